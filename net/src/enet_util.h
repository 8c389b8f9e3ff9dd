#pragma once
// Small owners and helpers around ENet's C API (private to net/).
#include <enet/enet.h>

#include <memory>
#include <string>

#include "engine/core/result.h"
#include "net/messages.h"

namespace mxr::net {

struct EnetHostDeleter {
    void operator()(ENetHost* h) const { enet_host_destroy(h); }
};
using EnetHostPtr = std::unique_ptr<ENetHost, EnetHostDeleter>;

// How each channel is sent (ARCHITECTURE.md): avatars unreliable
// sequenced, voice unreliable unsequenced (the jitter buffer sees
// reordering, ENet does not hide it), the rest reliable.
inline std::uint32_t packetFlags(Channel ch) {
    if (ch == Channel::kAvatar) return 0u;
    if (ch == Channel::kVoice) return static_cast<std::uint32_t>(ENET_PACKET_FLAG_UNSEQUENCED);
    return static_cast<std::uint32_t>(ENET_PACKET_FLAG_RELIABLE);
}

// bindAddress empty: a client host (no listening address).
Result<EnetHostPtr> createEnetHost(const std::string& bindAddress, std::uint16_t port, std::size_t peers,
                                   std::size_t channels);
Result<std::uint16_t> boundPort(ENetHost* host);
// ENet's packet throttle drops unreliable packets at the sender when it
// sees loss or jitter. Avatar traffic is already rate-limited by interest
// management and only the newest sample matters, so dropping more on a
// lossy link only makes avatars worse: keep the throttle fully open.
// Set locally on each side (enet_peer_throttle_configure would also send a
// command to the other side, which breaks a connection still being made).
inline void disableUnreliableThrottle(ENetPeer* peer) {
    peer->packetThrottleAcceleration = 0;
    peer->packetThrottleDeceleration = 0;
    peer->packetThrottle = ENET_PEER_PACKET_THROTTLE_SCALE;
}

// A connection is declared dead only after `timeoutMs` without any
// acknowledgement, however many retransmissions that took: ENet's default
// also gives up after 32 attempts past a minimum, which on a lossy link
// with little reliable traffic (one ping outstanding at a time) drops
// healthy connections.
inline void setPeerTimeout(ENetPeer* peer, std::uint32_t timeoutMs) {
    enet_peer_timeout(peer, 1u << 20, timeoutMs, timeoutMs);
}

// ENet doubles a reliable command's retransmission timeout each time it
// expires, without bound, and when a command expires it takes that
// command's last send time as the start of the silence it measures against
// the peer timeout. On a lossy link (20% each way loses 36% of round trips)
// one of the many pings in flight soon has four losses behind it and an 8 s
// timer; when that fires, its send time is already more than 5 s old and
// ENet declares the connection dead although acknowledgements for the other
// commands arrive all the time (measured: one false timeout per bot every
// ~40 s through the proxy). Call boundRetransmissions after each
// enet_host_service: it caps every in-flight command's timer at
// max(kMaxRetransmitMs, the peer's current RTO), so a command is retried at
// least every second and a connection dies only after about
// timeout - kMaxRetransmitMs without any acknowledgement. It also makes a
// client's connect request through loss retry every second instead of at
// 0.5, 1, 2, 4 s. A host's half-open peers are exempt: one spoofed CONNECT
// must not make the host answer every second (see enet_guard.h).
inline constexpr enet_uint32 kMaxRetransmitMs = 1000;
void boundRetransmissions(ENetHost* host);

// Both sides ping every kKeepAliveInterval (ENet on its own pings only when
// nothing reliable is in flight and nothing was received for 500 ms, which
// never happens while avatars stream): the pings carry round-trip samples
// and give a dead link's timeout something to measure.
// The data word of a disconnect the host sends on purpose, so a client can
// tell it from an ENet timeout (which reports 0).
inline constexpr enet_uint32 kHostDisconnectData = 0x4d58;

inline constexpr std::int64_t kKeepAliveIntervalNs = 250'000'000;

Result<ENetAddress> resolveAddress(const std::string& host, std::uint16_t port);

}  // namespace mxr::net
