#pragma once
// Deterministic avatar motion for bots, tests and benchmarks: people
// walking around the room and people standing and gesturing. The pose at
// any time is a pure function, so a receiver can compare what it displays
// with what the sender truly did at that instant.
//
// Thread: pure functions.
#include <cstdint>

#include "net/avatar_codec.h"

namespace mxr::net {

enum class MotionKind : std::uint8_t { kWalking, kGesturing };

struct MotionScript {
    MotionKind kind = MotionKind::kWalking;
    Vec3 centre{0.0f, 0.0f, 0.0f};  // floor point the path goes around
    float radius = 2.0f;            // walking circle radius, metres
    float speed = 1.4f;             // walking speed, m/s
    float phase = 0.0f;             // radians; spreads bots apart

    // The pose at `seconds` on the sender's clock.
    AvatarState at(double seconds) const;
    // Script number `index` of `count`, spread over a room of `bounds`.
    static MotionScript forBot(std::uint32_t index, std::uint32_t count, MotionKind kind,
                               const RoomBounds& bounds);
};

}  // namespace mxr::net
