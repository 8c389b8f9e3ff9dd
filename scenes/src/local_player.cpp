#include "scenes/local_player.h"

#include <cmath>
#include <glm/gtc/matrix_transform.hpp>

namespace mxr::scenes {
namespace {

Pose levelled(const Pose& p) {
    // Keep only yaw: a tilted play space would tilt the floor.
    const Vec3 fwd = p.orientation * Vec3(0, 0, -1);
    const float yaw = std::atan2(-fwd.x, -fwd.z);
    return Pose{p.position, glm::angleAxis(yaw, Vec3(0, 1, 0))};
}

Mat4 scaleAt(const Vec3& p, const Quat& q, const Vec3& s) {
    Mat4 m = glm::mat4_cast(q);
    m[0] *= s.x;
    m[1] *= s.y;
    m[2] *= s.z;
    m[3] = Vec4(p, 1.0f);
    return m;
}

constexpr int kPalmJoint = 0;  // XR_HAND_JOINT_PALM_EXT

}  // namespace

LocalPlayer::LocalPlayer(const Pose& worldFromStage, LocomotionSettings settings)
    : m_worldFromStage(levelled(worldFromStage)), m_settings(settings) {}

void LocalPlayer::update(const xr::InputState& input) {
    m_input = input;
    const xr::HandInput& right = input.hands[1];
    if (!right.tracked) {
        m_aiming = false;
        m_target.reset();
        return;
    }
    if (!m_settings.enabled) return;
    const Vec2 stick = right.thumbstick;
    // Snap turn: one turn per flick, re-armed when the stick comes back.
    if (!m_aiming) {
        if (m_turnArmed && std::abs(stick.x) > m_settings.pressThreshold && std::abs(stick.x) > std::abs(stick.y)) {
            snapTurn(stick.x > 0.0f ? -m_settings.snapTurnRadians : m_settings.snapTurnRadians);
            m_turnArmed = false;
        } else if (std::abs(stick.x) < m_settings.releaseThreshold) {
            m_turnArmed = true;
        }
    }
    // Teleport: aim while pushed forward, jump on release.
    if (stick.y > m_settings.pressThreshold) m_aiming = true;
    if (m_aiming) {
        aimTeleport();
        if (stick.y < m_settings.releaseThreshold) {
            if (m_target && m_targetValid) {
                const Vec3 head = toWorld(input.head).position;
                m_worldFromStage.position += Vec3(m_target->x - head.x, 0.0f, m_target->z - head.z);
                ++m_teleports;
            }
            m_aiming = false;
            m_target.reset();
            m_targetValid = false;
        }
    }
}

void LocalPlayer::snapTurn(float radians) {
    // Turn about the head, not the play-space origin, so the wearer stays put.
    const Vec3 pivot = toWorld(m_input.head).position;
    const Quat turn = glm::angleAxis(radians, Vec3(0, 1, 0));
    m_worldFromStage.position = pivot + turn * (m_worldFromStage.position - pivot);
    m_worldFromStage.orientation = glm::normalize(turn * m_worldFromStage.orientation);
    ++m_snapTurns;
}

void LocalPlayer::aimTeleport() {
    const Pose aim = aimWorld();
    const Vec3 dir = aim.forward();
    m_target.reset();
    m_targetValid = false;
    if (dir.y > -0.05f) {
        // Pointing level or up: show where the ray goes, no landing.
        m_target = aim.position + dir * 2.0f;
        return;
    }
    const float t = -aim.position.y / dir.y;
    m_target = aim.position + dir * t;
    m_target->y = 0.0f;
    const Vec2 lim = m_settings.floorHalfExtent - Vec2(m_settings.wallMargin);
    m_targetValid = t <= m_settings.maxTeleportMetres && std::abs(m_target->x) <= lim.x && std::abs(m_target->z) <= lim.y;
}

void LocalPlayer::toWorld(std::span<engine::ViewInfo> views) const {
    for (auto& v : views) v.pose = m_worldFromStage * v.pose;
}

Participant LocalPlayer::avatar(const std::string& name, const Vec4& color) const {
    Participant p;
    p.name = name;
    p.color = color;
    p.head = toWorld(m_input.head);
    for (int h = 0; h < 2; ++h) {
        const auto& joints = m_input.joints[h];
        p.hands[h] = toWorld(joints.valid ? joints.poses[kPalmJoint] : m_input.hands[h].grip);
    }
    return p;
}

void LocalPlayer::appendSelf(const SceneMeshes& meshes, const Vec4& color, engine::FrameScene& scene) const {
    for (int h = 0; h < 2; ++h) {
        const auto& joints = m_input.joints[h];
        if (joints.valid) {
            for (std::size_t j = 0; j < xr::kHandJointCount; ++j) {
                const Pose w = toWorld(joints.poses[j]);
                const float r = std::max(joints.radii[j], 0.006f);
                scene.instances.push_back({meshes.sphere, scaleAt(w.position, w.orientation, Vec3(2.0f * r)), color});
            }
        } else if (m_input.hands[h].tracked) {
            const Pose w = toWorld(m_input.hands[h].grip);
            scene.instances.push_back({meshes.sphere, scaleAt(w.position, w.orientation, Vec3(0.085f, 0.06f, 0.11f)), color});
        }
    }
    if (m_aiming && m_target) {
        const Vec4 lineColor = m_targetValid ? Vec4(0.3f, 0.95f, 0.5f, 1.0f) : Vec4(0.95f, 0.3f, 0.25f, 1.0f);
        scene.lines.push_back({aimWorld().position, *m_target, 0.012f, lineColor, false});
        if (m_targetValid) {
            scene.instances.push_back({meshes.cylinder,
                                       scaleAt(*m_target + Vec3(0, 0.01f, 0), Quat(1, 0, 0, 0), Vec3(0.5f, 0.01f, 0.5f)),
                                       lineColor});
        }
    }
}

}  // namespace mxr::scenes
