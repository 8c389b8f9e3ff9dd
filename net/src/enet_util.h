#pragma once
// Small owners and helpers around ENet's C API (private to net/).
#include <enet/enet.h>

#include <memory>
#include <string>

#include "engine/core/result.h"

namespace mxr::net {

struct EnetHostDeleter {
    void operator()(ENetHost* h) const { enet_host_destroy(h); }
};
using EnetHostPtr = std::unique_ptr<ENetHost, EnetHostDeleter>;

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

// ENet pings only when no reliable command is in flight, so on a quiet
// connection a single command's retransmissions decide whether it lives:
// on a lossy, high-latency link, ENet's doubling retransmission timer
// allows only about four tries in 5 s. Pinging every kKeepAliveInterval
// keeps several independent reliable commands in flight; any one
// acknowledged keeps the connection. Pings ride in the datagrams already
// being sent, so they cost a few bytes.
// The data word of a disconnect the host sends on purpose, so a client can
// tell it from an ENet timeout (which reports 0).
inline constexpr enet_uint32 kHostDisconnectData = 0x4d58;

inline constexpr std::int64_t kKeepAliveIntervalNs = 250'000'000;

Result<ENetAddress> resolveAddress(const std::string& host, std::uint16_t port);

}  // namespace mxr::net
