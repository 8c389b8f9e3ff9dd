#pragma once
// A UDP proxy that impairs traffic both ways: clients send to the proxy's
// port; each client gets its own upstream socket to the target, so the
// target sees one address per client. Each direction has its own seeded
// net::Impairment (loss, delay, jitter, duplication, outages; jitter wider
// than the packet interval reorders).
//
// Thread: one thread calls run()/runFor(); nothing else is shared.
#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <queue>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/log.h"
#include "net/impairment.h"

namespace mxr::tools {

struct ImpairProxyConfig {
    std::uint16_t listenPort = 0;  // 0: any
    std::string targetHost = "127.0.0.1";
    std::uint16_t targetPort = 0;
    net::ImpairmentConfig upstream;    // client -> target
    net::ImpairmentConfig downstream;  // target -> client
};

struct ImpairProxyStats {
    std::uint64_t received = 0;
    std::uint64_t forwarded = 0;  // copies sent (duplicates count twice)
    std::uint64_t dropped = 0;
};

class ImpairProxy {
public:
    static Result<std::unique_ptr<ImpairProxy>> create(const ImpairProxyConfig& config, const Clock& clock, Logger log);
    ~ImpairProxy();
    std::uint16_t port() const { return m_port; }
    // Moves datagrams for up to `duration`, then returns.
    void runFor(Nanos duration);
    const ImpairProxyStats& stats() const { return m_stats; }

private:
    struct Pending {
        Nanos due;
        std::uint64_t order;
        int fd;
        sockaddr_in to;
        std::vector<std::uint8_t> data;
        bool operator>(const Pending& o) const { return due != o.due ? due > o.due : order > o.order; }
    };
    ImpairProxy(const ImpairProxyConfig& c, const Clock& k, Logger l)
        : m_config(c), m_clock(k), m_log(std::move(l)), m_up(c.upstream), m_down(c.downstream) {}
    void schedule(net::Impairment& imp, int fd, const sockaddr_in& to, const std::uint8_t* data, std::size_t n);
    int upstreamFor(const sockaddr_in& client);

    ImpairProxyConfig m_config;
    const Clock& m_clock;
    Logger m_log;
    net::Impairment m_up;
    net::Impairment m_down;
    int m_listen = -1;
    std::uint16_t m_port = 0;
    sockaddr_in m_target{};
    std::map<std::uint64_t, int> m_upstreamByClient;  // client addr:port -> socket
    std::map<int, sockaddr_in> m_clientByUpstream;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> m_pending;
    std::uint64_t m_order = 0;
    ImpairProxyStats m_stats;
};

}  // namespace mxr::tools
