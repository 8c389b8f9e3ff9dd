#pragma once
// Avatar state and its quantized wire form.
//
// Positions travel as signed 16-bit millimetres relative to the room origin
// (so a room spans at most +/-32.767 m per axis), rotations as
// "smallest three": the index of the largest quaternion component in 2 bits
// and the other three in 10 bits each (about 0.1 degree), 4 bytes. A head
// or hand pose is 10 bytes; a full entry (id, time, flags, head, two hands)
// is 35 bytes. Entries the host relays also carry the three positions'
// velocities (bit 4 of the flags): one signed byte per axis in steps of
// 2.5 cm/s (up to 3.175 m/s), 9 bytes more, 44 in all, so receivers can
// follow a curve between samples far apart instead of cutting corners.
//
// Thread: pure functions.
#include <cstdint>

#include "engine/core/math.h"
#include "net/wire.h"

namespace mxr::net {

// The box avatars may stand in, in metres relative to the room origin.
struct RoomBounds {
    Vec3 min{-16.0f, -1.0f, -16.0f};
    Vec3 max{16.0f, 4.0f, 16.0f};
    bool contains(const Vec3& p) const {
        return p.x >= min.x && p.y >= min.y && p.z >= min.z && p.x <= max.x && p.y <= max.y &&
               p.z <= max.z;
    }
};

struct AvatarState {
    Pose head;
    Pose leftHand;
    Pose rightHand;
    bool leftTracked = true;
    bool rightTracked = true;
    // The sender's app lost input focus (a system menu or dashboard is open,
    // or the headset is off): receivers draw the avatar dimmed in place, not
    // faded out. Bit 2 of the entry's flags byte (the size is unchanged).
    bool paused = false;
    // The sender's headset is idle (taken off, display asleep): receivers
    // draw the avatar ghosted in place as away. Bit 3 of the flags byte.
    // Sent about twice a second meanwhile, so it never times out.
    bool away = false;
    // The three positions' velocities in m/s, when known: the host adds them
    // to what it relays (VelocityEstimator, from the sender's samples), and
    // AvatarInterpolator follows a Hermite curve with them. Untracked
    // hands' velocities are not sent (zero).
    bool hasVelocity = false;
    Vec3 headVelocity{0.0f};
    Vec3 leftVelocity{0.0f};
    Vec3 rightVelocity{0.0f};
};

// One avatar's sample as relayed: who, when (sender's clock, milliseconds
// modulo 2^16; receivers unwrap it with unwrapTimeMs), and the state.
struct AvatarEntry {
    std::uint16_t avatarId = 0;
    std::uint16_t timeMs = 0;
    AvatarState state;
};

// A sample's 16-bit time unwrapped against `reference`, an unwrapped time
// of the same sender: the nearest within 32.8 s either way.
inline std::int64_t unwrapTimeMs(std::uint16_t timeMs, std::int64_t reference) {
    return reference + static_cast<std::int16_t>(static_cast<std::uint16_t>(timeMs - reference));
}

inline constexpr std::size_t kPoseWireBytes = 10;
inline constexpr std::size_t kVelocityWireBytes = 3;
inline constexpr float kVelocityStep = 0.025f;  // m/s per unit
inline constexpr std::size_t kAvatarEntryMaxBytes = 2 + 2 + 1 + 3 * (kPoseWireBytes + kVelocityWireBytes);

// Smallest-three rotation packing. The decoded quaternion is normalised and
// may differ in sign from the input (q and -q are the same rotation).
std::uint32_t packRotation(const Quat& q);
Quat unpackRotation(std::uint32_t packed);

// Positions are clamped to the int16 range on encode; callers validate
// against the room first. The decoders reject non-finite values (cannot
// occur from ints), unknown flag bits and positions outside `bounds`.
void writePose(ByteWriter& w, const Pose& pose);
Result<Pose> readPose(ByteReader& r, const RoomBounds& bounds, const char* field);

void writeAvatarEntry(ByteWriter& w, const AvatarEntry& e);
Result<AvatarEntry> readAvatarEntry(ByteReader& r, const RoomBounds& bounds);

// Validation of a state produced locally or decoded: finite, unit-length
// rotations, inside the room.
Result<void> validateAvatarState(const AvatarState& s, const RoomBounds& bounds);

}  // namespace mxr::net
