#pragma once
// What the room host lets into ENet, decided in ENet's intercept hook before
// ENet allocates anything (private to net/; design and figures in
// net/README.md, "Handshake and memory bounds").
//
// - A datagram without a peer must be exactly one CONNECT. Without a valid
//   cookie (connect_cookie.h) it is answered with a 14-byte CookieChallenge
//   and dropped; with one it takes a token from its source address's bucket
//   (a burst, then a steady rate) and goes to ENet, which may give it a slot.
// - A datagram for a peer loses the commands the policy refuses (the rest,
//   acknowledgements included, still reach ENet): before the peer said
//   Hello only a reliable command of at most maxHelloBytes on channel 0
//   that ENet can deliver at once; after it, reliable commands and
//   fragments only on the reliable channels and at most maxReliableAhead
//   sequence numbers past the next one ENet expects (the rest would wait in
//   ENet's queues), unreliable ones only on the unreliable channels and
//   only when ENet can deliver them at once; no unsequenced commands or
//   unreliable fragments. Refused reliable commands are not acknowledged,
//   so a genuine sender just sends them again later.
// - Peers in the connect handshake (VERIFY_CONNECT sent, not acknowledged)
//   are reset after halfOpenTimeout. Data from such a peer (its address,
//   peer id and session, which only VERIFY_CONNECT tells) proves the client
//   got VERIFY_CONNECT: the guard adds the lost acknowledgement for ENet.
//
// ENet 1.3 gives a host no user pointer: the guard keeps itself in the
// host's compressor context, which ENet only reads when compressor
// functions are set (they never are here; never call enet_host_compress on
// a guarded host).
//
// Thread: everything on the thread that services the host. The guard must
// be destroyed before the host (it unhooks itself).
#include <enet/enet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/clock.h"
#include "net/connect_cookie.h"
#include "net/messages.h"

namespace mxr::net {

struct GuardPolicy {
    std::uint16_t maxReliableAhead = 128;
    std::size_t maxHelloBytes = 256;
    // Bit per channel: control, and room events (annotations, the procedure step).
    std::uint32_t reliableChannels = (1u << 0) | (1u << 3);
    std::uint32_t unreliableChannels = (1u << 1) | (1u << 2);
    std::uint32_t unsequencedChannels = 1u << 2;               // voice
};

// What the filter needs to know about the peer a datagram is addressed to.
struct PeerView {
    bool open = false;  // said Hello
    std::size_t channelCount = 0;
    std::array<std::uint16_t, kChannelCount> incomingReliable{};  // ENet's last delivered reliable sequence number
};

// Removes, in place, the commands of a datagram for an existing peer that
// the policy refuses; returns the datagram's new length (a header alone, or
// 0 for a datagram ENet would not read, means: drop it). Counts removed
// commands in `refused`. Pure; fuzzed by fuzz_handshake.
std::size_t filterPeerDatagram(std::uint8_t* data, std::size_t length, const PeerView& peer,
                               const GuardPolicy& policy, std::uint64_t& refused);

struct ConnectView {
    std::uint32_t connectId = 0;  // as it came
    std::uint32_t data = 0;       // host order: the cookie, 0 for none
};
// A datagram that is exactly one CONNECT command for no peer; nullopt otherwise.
std::optional<ConnectView> parseConnectDatagram(ByteSpan datagram);

struct HostGuardConfig {
    GuardPolicy policy;
    std::uint8_t protocolVersion = kProtocolVersion;
    Nanos halfOpenTimeout = 3'000'000'000;
    double connectBurstPerAddress = 16;
    double connectsPerSecondPerAddress = 4;
};

struct HostGuardStats {
    std::uint64_t challenges = 0;        // CONNECTs without a valid cookie, answered
    std::uint64_t challengeBytes = 0;
    std::uint64_t connectsAdmitted = 0;  // with a valid cookie, passed to ENet
    std::uint64_t connectsRateLimited = 0;
    std::uint64_t commandsRefused = 0;
    std::uint64_t datagramsDropped = 0;  // malformed, or nothing left after filtering
    std::uint64_t halfOpenReset = 0;
    std::uint64_t handshakesFinishedByData = 0;  // VERIFY_CONNECT's lost acknowledgement implied by data
};

class HostGuard {
public:
    HostGuard(ENetHost* host, HostGuardConfig config, const Clock& clock);
    ~HostGuard();
    HostGuard(const HostGuard&) = delete;
    HostGuard& operator=(const HostGuard&) = delete;

    // The peer completed Hello: sealed traffic may follow.
    void helloDone(const ENetPeer* peer);
    // After each enet_host_service: resets half-open peers past the timeout.
    void afterService();
    const HostGuardStats& stats() const { return m_stats; }

private:
    static int ENET_CALLBACK intercept(ENetHost* host, ENetEvent* event);
    int onDatagram();
    int onConnect(ByteSpan datagram);
    bool takeConnectToken(std::uint32_t ipv4, Nanos now);
    std::size_t acknowledgeVerifyConnect(const ENetPeer* peer, std::size_t header, std::size_t length);

    struct Slot {
        std::uint32_t connectId = 0;
        bool open = false;
        bool halfOpen = false;
        Nanos halfOpenSince = 0;
    };
    struct Bucket {
        double tokens = 0;
        Nanos at = 0;
        bool used = false;
    };
    ENetHost* m_host;
    HostGuardConfig m_cfg;
    const Clock& m_clock;
    ConnectCookies m_cookies;
    std::vector<Slot> m_slots;
    std::vector<Bucket> m_buckets;
    HostGuardStats m_stats;
};

// The client side: catches a host's CookieChallenge for one of this host's
// connecting peers. Same hook and lifetime rules as HostGuard.
class ClientCookieCatcher {
public:
    explicit ClientCookieCatcher(ENetHost* host);
    ~ClientCookieCatcher();
    ClientCookieCatcher(const ClientCookieCatcher&) = delete;
    ClientCookieCatcher& operator=(const ClientCookieCatcher&) = delete;

    struct Caught {
        ENetPeer* peer = nullptr;
        CookieChallenge challenge;
    };
    // Challenges caught since the last call, at most one per peer.
    std::vector<Caught> take() { return std::exchange(m_caught, {}); }

private:
    static int ENET_CALLBACK intercept(ENetHost* host, ENetEvent* event);
    ENetHost* m_host;
    std::vector<Caught> m_caught;
};

// Resets a connecting `peer` and connects again to the same address from
// the same socket with `cookie` in the data word; the new peer, or null.
ENetPeer* reconnectWithCookie(ENetHost* host, ENetPeer* peer, std::uint32_t cookie);

}  // namespace mxr::net
