#pragma once
// Interest management: how often the host relays one avatar to one viewer.
// Nearby avatars get more updates than distant ones; that is how the relay
// stays within the per-avatar bandwidth budget (README.md has the figures).
//
// Thread: pure functions.
#include <cstdint>

#include "engine/core/math.h"

namespace mxr::net {

struct InterestConfig {
    std::uint32_t tickHz = 45;       // host relay tick
    float nearDistance = 2.5f;       // metres
    float midDistance = 8.0f;
    // With the velocities the host relays (velocity.h), hands stay within
    // 2 cm at p95 at 7.5 Hz through 20% loss both ways (net_sim_test); what
    // a small room pays is mostly per datagram, so the rates are low
    // (protocol 7 relayed at 22.5 and 15 Hz without velocities).
    std::uint32_t nearDivisor = 5;   // every 5th tick: 9 Hz
    std::uint32_t midDivisor = 6;    // 7.5 Hz
    std::uint32_t farDivisor = 6;    // 7.5 Hz: at 5.6 Hz, 20% loss both ways pushes hands past 5 cm p95
    float maxDistance = 1e9f;        // beyond it an avatar is not relayed at all
};

// 0 when the avatar is out of range, else relay on ticks divisible by it.
inline std::uint32_t relayDivisor(const InterestConfig& c, const Vec3& viewer, const Vec3& avatar) {
    const float d = glm::length(viewer - avatar);
    if (d > c.maxDistance) return 0;
    if (d <= c.nearDistance) return c.nearDivisor;
    if (d <= c.midDistance) return c.midDivisor;
    return c.farDivisor;
}

}  // namespace mxr::net
