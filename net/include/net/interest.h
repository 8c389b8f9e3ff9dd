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
    std::uint32_t nearDivisor = 2;   // every 2nd tick: 22.5 Hz
    std::uint32_t midDivisor = 3;    // 15 Hz
    std::uint32_t farDivisor = 3;    // 15 Hz: below that, 20% loss pushes hands past 5 cm p95
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
