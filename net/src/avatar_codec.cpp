#include "net/avatar_codec.h"

#include <algorithm>
#include <cmath>

#include "engine/core/log.h"

namespace mxr::net {
namespace {

constexpr float kRotRange = 0.70710678f;  // |component| <= 1/sqrt(2) except the largest
constexpr std::uint32_t kRotMax = 1023;

std::uint32_t quantizeComponent(float v) {
    const float t = std::clamp((v + kRotRange) / (2.0f * kRotRange), 0.0f, 1.0f);
    return static_cast<std::uint32_t>(std::lround(t * kRotMax));
}

float dequantizeComponent(std::uint32_t q) {
    return static_cast<float>(q) / kRotMax * (2.0f * kRotRange) - kRotRange;
}

constexpr std::uint8_t kFlagLeft = 1;
constexpr std::uint8_t kFlagRight = 2;
constexpr std::uint8_t kFlagPaused = 4;
constexpr std::uint8_t kFlagAway = 8;
constexpr std::uint8_t kFlagVelocity = 16;

void writeVelocity(ByteWriter& w, const Vec3& v) {
    for (int i = 0; i < 3; ++i) {
        const float units = std::isfinite(v[i]) ? std::round(v[i] / kVelocityStep) : 0.0f;
        w.u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(std::clamp(units, -127.0f, 127.0f))));
    }
}

Result<Vec3> readVelocity(ByteReader& r, const char* field) {
    Vec3 v;
    for (int i = 0; i < 3; ++i) {
        MXR_TRY_ASSIGN(auto b, r.u8(field));
        v[i] = static_cast<float>(static_cast<std::int8_t>(b)) * kVelocityStep;
    }
    return v;
}

}  // namespace

std::uint32_t packRotation(const Quat& qIn) {
    Quat q = glm::normalize(qIn);
    float c[4] = {q.x, q.y, q.z, q.w};
    std::uint32_t largest = 0;
    for (std::uint32_t i = 1; i < 4; ++i) {
        if (std::fabs(c[i]) > std::fabs(c[largest])) largest = i;
    }
    const float sign = c[largest] < 0.0f ? -1.0f : 1.0f;
    std::uint32_t packed = largest << 30;
    int shift = 20;
    for (std::uint32_t i = 0; i < 4; ++i) {
        if (i == largest) continue;
        packed |= quantizeComponent(c[i] * sign) << shift;
        shift -= 10;
    }
    return packed;
}

Quat unpackRotation(std::uint32_t packed) {
    const std::uint32_t largest = packed >> 30;
    float c[4];
    float sum = 0.0f;
    int shift = 20;
    for (std::uint32_t i = 0; i < 4; ++i) {
        if (i == largest) continue;
        c[i] = dequantizeComponent((packed >> shift) & kRotMax);
        sum += c[i] * c[i];
        shift -= 10;
    }
    c[largest] = std::sqrt(std::max(0.0f, 1.0f - sum));
    return glm::normalize(Quat(c[3], c[0], c[1], c[2]));
}

void writePose(ByteWriter& w, const Pose& pose) {
    w.i16(metresToMm(pose.position.x));
    w.i16(metresToMm(pose.position.y));
    w.i16(metresToMm(pose.position.z));
    w.u32(packRotation(pose.orientation));
}

Result<Pose> readPose(ByteReader& r, const RoomBounds& bounds, const char* field) {
    Pose p;
    MXR_TRY_ASSIGN(auto x, r.i16(field));
    MXR_TRY_ASSIGN(auto y, r.i16(field));
    MXR_TRY_ASSIGN(auto z, r.i16(field));
    MXR_TRY_ASSIGN(auto rot, r.u32(field));
    p.position = Vec3(x, y, z) * 0.001f;
    if (!bounds.contains(p.position)) {
        return tl::unexpected(protocolError(strCat("field '", field, "' position (", p.position.x,
                                                   ", ", p.position.y, ", ", p.position.z,
                                                   ") m is outside the room")));
    }
    p.orientation = unpackRotation(rot);
    return p;
}

void writeAvatarEntry(ByteWriter& w, const AvatarEntry& e) {
    w.u16(e.avatarId);
    w.u16(e.timeMs);
    std::uint8_t flags = 0;
    if (e.state.leftTracked) flags |= kFlagLeft;
    if (e.state.rightTracked) flags |= kFlagRight;
    if (e.state.paused) flags |= kFlagPaused;
    if (e.state.away) flags |= kFlagAway;
    if (e.state.hasVelocity) flags |= kFlagVelocity;
    w.u8(flags);
    writePose(w, e.state.head);
    if (e.state.leftTracked) writePose(w, e.state.leftHand);
    if (e.state.rightTracked) writePose(w, e.state.rightHand);
    if (e.state.hasVelocity) {
        writeVelocity(w, e.state.headVelocity);
        if (e.state.leftTracked) writeVelocity(w, e.state.leftVelocity);
        if (e.state.rightTracked) writeVelocity(w, e.state.rightVelocity);
    }
}

Result<AvatarEntry> readAvatarEntry(ByteReader& r, const RoomBounds& bounds) {
    AvatarEntry e;
    MXR_TRY_ASSIGN(e.avatarId, r.u16("avatar.id"));
    MXR_TRY_ASSIGN(e.timeMs, r.u16("avatar.time"));
    MXR_TRY_ASSIGN(auto flags, r.u8("avatar.flags"));
    if (flags & ~(kFlagLeft | kFlagRight | kFlagPaused | kFlagAway | kFlagVelocity)) {
        return tl::unexpected(
            protocolError(strCat("field 'avatar.flags' has unknown bits 0x", std::hex, int(flags))));
    }
    MXR_TRY_ASSIGN(e.state.head, readPose(r, bounds, "avatar.head"));
    e.state.leftTracked = flags & kFlagLeft;
    e.state.rightTracked = flags & kFlagRight;
    e.state.paused = flags & kFlagPaused;
    e.state.away = flags & kFlagAway;
    if (e.state.leftTracked) {
        MXR_TRY_ASSIGN(e.state.leftHand, readPose(r, bounds, "avatar.leftHand"));
    } else {
        e.state.leftHand = e.state.head;
    }
    if (e.state.rightTracked) {
        MXR_TRY_ASSIGN(e.state.rightHand, readPose(r, bounds, "avatar.rightHand"));
    } else {
        e.state.rightHand = e.state.head;
    }
    e.state.hasVelocity = flags & kFlagVelocity;
    if (e.state.hasVelocity) {
        MXR_TRY_ASSIGN(e.state.headVelocity, readVelocity(r, "avatar.headVelocity"));
        if (e.state.leftTracked) {
            MXR_TRY_ASSIGN(e.state.leftVelocity, readVelocity(r, "avatar.leftVelocity"));
        }
        if (e.state.rightTracked) {
            MXR_TRY_ASSIGN(e.state.rightVelocity, readVelocity(r, "avatar.rightVelocity"));
        }
    }
    return e;
}

Result<void> validateAvatarState(const AvatarState& s, const RoomBounds& bounds) {
    const Pose* poses[3] = {&s.head, &s.leftHand, &s.rightHand};
    const char* names[3] = {"head", "leftHand", "rightHand"};
    for (int i = 0; i < 3; ++i) {
        const Pose& p = *poses[i];
        const Quat& q = p.orientation;
        if (!isFinite(p.position) || !std::isfinite(q.w) || !std::isfinite(q.x) ||
            !std::isfinite(q.y) || !std::isfinite(q.z)) {
            return makeError(ErrorCode::kInvalidArgument, strCat(names[i], " is not finite"));
        }
        const float len = glm::length(q);
        if (std::fabs(len - 1.0f) > 0.01f) {
            return makeError(ErrorCode::kInvalidArgument,
                             strCat(names[i], " rotation is not a unit quaternion (length ", len, ")"));
        }
        if (!bounds.contains(p.position)) {
            return makeError(ErrorCode::kInvalidArgument, strCat(names[i], " is outside the room"));
        }
    }
    return {};
}

}  // namespace mxr::net
