// The workspace component that places, anchors and draws the frame and its
// model (scenes/workspace.h); the files are scenes/workspace_file.h's.
#include "scenes/workspace.h"

#include <algorithm>
#include <cmath>

#include "scenes/local_player.h"

namespace mxr::scenes {
namespace {

// XR_EXT_hand_tracking's joint indices, and how close the tips must come.
constexpr std::size_t kThumbTip = 5;
constexpr std::size_t kIndexTip = 10;
constexpr float kPinchMetres = 0.02f;

}  // namespace

std::optional<Pose> workspacePlacement(const Pose& aim, const Vec3& head) {
    const Vec3 dir = aim.orientation * Vec3(0, 0, -1);
    if (dir.y > -0.05f) return std::nullopt;  // not pointing down at the floor
    const float t = -aim.position.y / dir.y;
    if (t < 0.0f || t > 10.0f) return std::nullopt;
    Pose p;
    p.position = aim.position + t * dir;
    p.position.y = 0.0f;
    // The frame's front (+Z) faces the person placing it.
    const Vec3 toHead = head - p.position;
    p.orientation = glm::angleAxis(std::atan2(toHead.x, toHead.z), Vec3(0, 1, 0));
    return p;
}

WorkspaceComponent::WorkspaceComponent(WorkspaceDef def, const WorkspaceMeshes& meshes, const LocalPlayer* player,
                                       xr::XrSystem& system, bool seeThrough,
                                       std::function<void(const std::string&)> print)
    : m_def(std::move(def)),
      m_meshes(meshes),
      m_player(player),
      m_system(system),
      m_seeThrough(seeThrough),
      m_print(std::move(print)),
      m_pose(m_def.pose) {}

void WorkspaceComponent::place(const xr::InputState& in, const Pose& aim) {
    const auto stage = workspacePlacement(aim, in.head.position);
    if (!stage) {
        m_print("workspace: point at the floor to place it");
        return;
    }
    bool persisted = false;
    const auto anchored = m_system.anchorsSupported()
                              ? m_system.placeAnchor(kWorkspaceAnchorName, *stage, persisted)
                              : Result<void>(makeError(ErrorCode::kUnavailable, "this runtime has no world anchors"));
    m_placedInStage = stage;
    const Vec3& p = stage->position;
    m_print(strCat("workspace: placed at ", p.x, " ", p.y, " ", p.z, " (tracking space); ",
                   anchored ? (persisted ? "world anchor, persisted" : "world anchor, not persisted")
                            : strCat("not anchored: ", anchored.error().message)));
}

bool isPinching(const xr::HandJoints& hand) {
    return hand.valid &&
           glm::distance(hand.poses[kThumbTip].position, hand.poses[kIndexTip].position) < kPinchMetres;
}

void WorkspaceComponent::update(FrameContext& frame) {
    if (!m_player) return;  // desktop, headless: the file's pose in the room
    const xr::InputState& in = frame.input;
    const xr::HandInput& right = in.hands[1];
    const xr::HandInput& left = in.hands[0];
    // Right grip held + trigger, or (hand tracking) a left pinch with the
    // left hand pointing at the floor (the right pinch draws annotations).
    // Placed once per press.
    const bool grip = right.tracked && right.select && right.squeeze;
    const bool pinch = left.tracked && isPinching(in.joints[0]);
    const bool gesture = grip || pinch;
    if (gesture && !m_selectWasDown) place(in, grip ? right.aim : left.aim);
    m_selectWasDown = gesture;
    if (auto anchor = m_system.anchorPose(kWorkspaceAnchorName)) {
        if (!m_anchorSeen) {
            const Vec3& p = anchor->position;
            m_print(strCat("workspace: world anchor ", kWorkspaceAnchorName, " at ", p.x, " ", p.y, " ", p.z,
                           " (tracking space)"));
        }
        m_anchorSeen = true;
        m_pose = m_player->toWorld(*anchor);
    } else if (m_placedInStage) {
        m_pose = m_player->toWorld(*m_placedInStage);
    }
}

void WorkspaceComponent::contribute(const FrameContext&, engine::FrameScene& scene) {
    const Mat4 frame = glm::translate(Mat4(1.0f), m_pose.position) * glm::mat4_cast(m_pose.orientation);
    // The model where the real thing is not visible (VR, desktop).
    if (!m_seeThrough) {
        for (const auto& part : m_meshes.parts) scene.instances.push_back({part.mesh, frame * part.transform, part.color});
    }
    // The frame's footprint on the floor, and an arrow to its front.
    const Vec4 amber(1.0f, 0.72f, 0.1f, 1.0f);
    const float hx = 0.5f * m_def.size.x, hz = 0.5f * m_def.size.y, y = 0.01f;
    const Vec3 c[4] = {{-hx, y, -hz}, {hx, y, -hz}, {hx, y, hz}, {-hx, y, hz}};
    for (int i = 0; i < 4; ++i) {
        scene.lines.push_back({m_pose.transformPoint(c[i]), m_pose.transformPoint(c[(i + 1) % 4]), 0.012f, amber, false});
    }
    scene.lines.push_back({m_pose.transformPoint(Vec3(0, y, 0)), m_pose.transformPoint(Vec3(0, y, hz + 0.15f)), 0.012f,
                           amber, true});
}

}  // namespace mxr::scenes
