#pragma once
// A seeded model of a bad network: loss, delay with jitter (which reorders),
// duplication and outages. Used by SimulatedLink (virtual time, for tests
// that must not flake) and by tools/impair (the real UDP proxy).
//
// Thread: one thread per instance.
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "engine/core/clock.h"
#include "net/wire.h"

namespace mxr::net {

struct ImpairmentConfig {
    double loss = 0.0;          // probability a datagram is dropped
    Nanos delay = 0;            // mean one-way delay
    Nanos jitter = 0;           // delay is uniform in [delay - jitter, delay + jitter]
    double duplicate = 0.0;     // probability a datagram is delivered twice
    Nanos outageEvery = 0;      // 0: no outages; else an outage starts every this often
    Nanos outageLength = 0;     // everything sent during an outage is dropped
    Nanos outageFirstAt = 0;    // when the first outage starts
    Nanos impairFrom = 0;       // before this, datagrams pass untouched (a clean join)
    std::uint64_t seed = 1;
};

class Impairment {
public:
    explicit Impairment(const ImpairmentConfig& config) : m_config(config), m_rng(config.seed) {}
    // The delays after which copies of a datagram sent at `now` arrive:
    // empty when it is lost, two entries when duplicated.
    std::vector<Nanos> decide(Nanos now);
    bool inOutage(Nanos now) const;
    const ImpairmentConfig& config() const { return m_config; }

private:
    ImpairmentConfig m_config;
    std::mt19937_64 m_rng;
};

// A one-way datagram link in virtual time. With `sequenced` it behaves as
// ENet's unreliable-sequenced channel: a datagram older than one already
// delivered is discarded.
class SimulatedLink {
public:
    SimulatedLink(const ImpairmentConfig& config, bool sequenced)
        : m_impairment(config), m_sequenced(sequenced) {}
    void send(Bytes datagram, Nanos now);
    // Datagrams whose arrival time is <= now, in arrival order.
    std::vector<Bytes> receive(Nanos now);

    std::uint64_t sent() const { return m_sent; }
    std::uint64_t delivered() const { return m_delivered; }

private:
    struct InFlight {
        Nanos arrival;
        std::uint64_t sequence;
        Bytes data;
    };
    Impairment m_impairment;
    bool m_sequenced;
    std::deque<InFlight> m_inFlight;  // sorted by arrival
    std::uint64_t m_nextSequence = 0;
    std::uint64_t m_lastDeliveredSequence = 0;
    bool m_deliveredAny = false;
    std::uint64_t m_sent = 0;
    std::uint64_t m_delivered = 0;
};

}  // namespace mxr::net
