#pragma once
// The person wearing the headset: where their tracked play space sits in the
// room (the world-from-stage pose every view and input is transformed by),
// locomotion (snap turn, teleport along the aim ray), the local avatar built
// from the real head and hands, and the laser pointer.
//
// Input arrives in stage space (the XR system's tracking space, floor at
// y = 0); everything this class hands out is in world (room) space.
// Thread: main thread only. Plain data, no GPU: testable without hardware.
#include <optional>
#include <span>
#include <vector>

#include "engine/render/renderer.h"
#include "scenes/avatar.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

struct LocomotionSettings {
    float snapTurnRadians = 0.5235988f;  // 30 degrees a flick
    float pressThreshold = 0.7f;         // thumbstick past this arms a turn or teleport
    float releaseThreshold = 0.3f;       // ... back under this re-arms / commits
    float maxTeleportMetres = 8.0f;      // along the aim ray
    Vec2 floorHalfExtent{4.0f, 3.0f};    // teleport targets stay inside (x, z)
    float wallMargin = 0.3f;
    // Off in AR: the play space is the real room, so a snap turn or a
    // teleport would only slide the people and the workspace against it.
    bool enabled = true;
};

class LocalPlayer {
public:
    // `worldFromStage`: where the play space's origin stands in the room
    // (only its position and yaw are used: the floor stays level).
    LocalPlayer(const Pose& worldFromStage, LocomotionSettings settings);

    // One frame of input in stage space. Right thumbstick: x flicks snap
    // turn about the head; y pushed forward aims a teleport along the right
    // aim ray; letting go moves the play space so the head lands on the
    // floor hit. Does nothing with untracked hands.
    void update(const xr::InputState& input);

    const Pose& worldFromStage() const { return m_worldFromStage; }
    // Eye views from stage space into the room.
    void toWorld(std::span<engine::ViewInfo> views) const;
    Pose toWorld(const Pose& stagePose) const { return m_worldFromStage * stagePose; }

    // The avatar others see: head, hands at the grip poses (at the palm
    // joint when hand tracking runs), in world space.
    Participant avatar(const std::string& name, const Vec4& color) const;
    // The right hand's aim ray in world space.
    Pose aimWorld() const { return toWorld(m_input.hands[1].aim); }
    bool aimTracked() const { return m_input.hands[1].tracked; }
    // While aiming a teleport: where it would land, and whether it may.
    std::optional<Vec3> teleportTarget() const { return m_aiming ? m_target : std::nullopt; }
    bool teleportValid() const { return m_targetValid; }

    // What the wearer sees of themselves: hands (or 26 joint spheres each
    // with hand tracking), never their own head; plus the teleport line and
    // target disc while aiming.
    void appendSelf(const SceneMeshes& meshes, const Vec4& color, engine::FrameScene& scene) const;

    int teleports() const { return m_teleports; }
    int snapTurns() const { return m_snapTurns; }
    const xr::InputState& lastInput() const { return m_input; }

private:
    void snapTurn(float radians);
    void aimTeleport();

    Pose m_worldFromStage;
    LocomotionSettings m_settings;
    xr::InputState m_input;
    bool m_turnArmed = true;
    bool m_aiming = false;
    std::optional<Vec3> m_target;
    bool m_targetValid = false;
    int m_teleports = 0;
    int m_snapTurns = 0;
};

}  // namespace mxr::scenes
