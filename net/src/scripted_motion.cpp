#include "net/scripted_motion.h"

#include <algorithm>
#include <cmath>

namespace mxr::net {

AvatarState MotionScript::at(double seconds) const {
    AvatarState s;
    const float t = static_cast<float>(seconds);
    constexpr float kEyeHeight = 1.65f;
    if (kind == MotionKind::kWalking) {
        const float omega = speed / radius;
        const float a = phase + omega * t;
        const Vec3 pos = centre + Vec3(radius * std::cos(a), 0.0f, radius * std::sin(a));
        // Facing along the direction of travel, with a 2 cm head bob at the
        // step frequency (about 1.8 Hz) and arms swinging at half of it.
        const Vec3 dir(-std::sin(a), 0.0f, std::cos(a));
        const float yaw = std::atan2(-dir.x, -dir.z);
        const Quat facing = glm::angleAxis(yaw, Vec3(0, 1, 0));
        const float bob = 0.02f * std::sin(2.0f * 3.14159265f * 1.8f * t);
        s.head.position = pos + Vec3(0.0f, kEyeHeight + bob, 0.0f);
        s.head.orientation = facing * glm::angleAxis(0.1f * std::sin(0.7f * t), Vec3(0, 1, 0));
        const float swing = 0.25f * std::sin(2.0f * 3.14159265f * 0.9f * t);
        const Vec3 right = facing * Vec3(1, 0, 0);
        s.leftHand.position = pos + Vec3(0, 0.9f, 0) - right * 0.25f + dir * swing;
        s.rightHand.position = pos + Vec3(0, 0.9f, 0) + right * 0.25f - dir * swing;
        s.leftHand.orientation = facing;
        s.rightHand.orientation = facing;
    } else {
        // Standing, turning the head slowly and waving/pointing with both hands.
        const Quat facing = glm::angleAxis(phase + 0.4f * std::sin(0.5f * t), Vec3(0, 1, 0));
        s.head.position = centre + Vec3(0.0f, kEyeHeight, 0.0f);
        s.head.orientation = facing;
        const Vec3 fwd = facing * Vec3(0, 0, -1);
        const Vec3 right = facing * Vec3(1, 0, 0);
        const float wave = std::sin(2.0f * 3.14159265f * 1.2f * t);
        s.rightHand.position = centre + Vec3(0, 1.4f + 0.15f * wave, 0) + right * 0.35f + fwd * 0.3f;
        s.rightHand.orientation = facing * glm::angleAxis(0.6f * wave, Vec3(0, 0, 1));
        const float point = 0.5f + 0.5f * std::sin(0.8f * t);
        s.leftHand.position = centre + Vec3(0, 1.1f + 0.2f * point, 0) - right * 0.3f + fwd * (0.2f + 0.3f * point);
        s.leftHand.orientation = facing * glm::angleAxis(-0.5f * point, Vec3(1, 0, 0));
    }
    return s;
}

MotionScript MotionScript::forBot(std::uint32_t index, std::uint32_t count, MotionKind kind,
                                  const RoomBounds& bounds) {
    MotionScript m;
    m.kind = kind;
    // Bots on a grid of circles inside the room, 3 m apart.
    const std::uint32_t perRow = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::ceil(std::sqrt(count))));
    const float spacing = 3.0f;
    const float row = static_cast<float>(index / perRow);
    const float col = static_cast<float>(index % perRow);
    const float offset = (static_cast<float>(perRow) - 1.0f) * spacing * 0.5f;
    m.centre = Vec3(col * spacing - offset, 0.0f, row * spacing - offset);
    m.centre.x = std::clamp(m.centre.x, bounds.min.x + 2.0f, bounds.max.x - 2.0f);
    m.centre.z = std::clamp(m.centre.z, bounds.min.z + 2.0f, bounds.max.z - 2.0f);
    m.centre.y = std::max(0.0f, bounds.min.y + 0.01f);
    m.radius = 1.0f;
    m.phase = static_cast<float>(index) * 0.7f;
    return m;
}

}  // namespace mxr::net
