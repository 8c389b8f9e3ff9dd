#pragma once
// The job-shadowing workspace: a frame in the real world where the work
// happens (a bench, a machine), with an optional model of it.
//
// - Workspace files (scenes/workspaces/*.json): `name`, `model` (a glTF 2.0
//   file relative to the workspace file, optional), `size` [width, depth]
//   metres (the frame's footprint), `position` [x, y, z] and `yaw_deg`: the
//   frame in room coordinates until it is placed in the world;
//   `annotations` (optional): the annotations it ships with, in workspace
//   coordinates (scenes/README.md, "annotation_tools.h").
// - The model (glTF 2.0 through tinygltf: .gltf with embedded or external
//   buffers, or .glb; triangle primitives with POSITION, optional NORMAL,
//   the material's baseColorFactor; node transforms of the default scene)
//   is shown to people in VR and on the desktop, and hidden on see-through
//   devices, where the real thing is there.
// - Placing (VR and AR): hold the right squeeze and pull the trigger (or,
//   with hand tracking, pinch the left thumb and index finger, pointing the
//   left hand: the right pinch draws annotations) while pointing at the
//   floor; the frame moves there, its front facing you.
//   Where the runtime has world anchors (XR_MSFT_spatial_anchor) the frame
//   is anchored and persisted as "mentorxr-workspace", found again next run;
//   it can be placed again at any time.
//
// The files (the workspace file, annotation lists, the glTF model) are
// read by scenes/workspace_file.h, which needs no GPU.
//
// Thread: main thread only.
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "engine/render/renderer.h"
#include "scenes/client_component.h"
#include "scenes/workspace_file.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

class LocalPlayer;

// The model as uploaded: one mesh per part (owned by the client's state,
// remade with each graphics bundle).
struct WorkspaceMeshes {
    std::vector<engine::Instance> parts;  // transforms relative to the frame
};

constexpr const char* kWorkspaceAnchorName = "mentorxr-workspace";

// Where the frame lands when the aim ray (stage space) meets the floor,
// facing `head`; nullopt when the ray does not reach the floor within 10 m.
std::optional<Pose> workspacePlacement(const Pose& aim, const Vec3& head);
// Hand tracking: the thumb and index tips within 2 cm.
bool isPinching(const xr::HandJoints& hand);

class WorkspaceComponent final : public ClientComponent {
public:
    // `player` is the wearer (null on the desktop and headless: the frame
    // stays at the file's pose); `system` gives the world anchors.
    WorkspaceComponent(WorkspaceDef def, const WorkspaceMeshes& meshes, const LocalPlayer* player,
                       xr::XrSystem& system, bool seeThrough, std::function<void(const std::string&)> print);
    void update(FrameContext& frame) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;

    const Pose& pose() const { return m_pose; }  // world (room) space
    // From this client's room space to the room everyone shares, which is
    // anchored to the workspace where its file puts it (the identity until
    // the workspace is placed elsewhere; RoomPresence::setSharedFrame).
    Pose sharedFromLocal() const { return m_def.pose * m_pose.inverse(); }
    const WorkspaceDef& def() const { return m_def; }

private:
    void place(const xr::InputState& input, const Pose& aim);

    WorkspaceDef m_def;
    const WorkspaceMeshes& m_meshes;
    const LocalPlayer* m_player;
    xr::XrSystem& m_system;
    bool m_seeThrough;
    std::function<void(const std::string&)> m_print;
    Pose m_pose;
    std::optional<Pose> m_placedInStage;  // placed this run without an anchor
    bool m_selectWasDown = false;  // the placing gesture was held last frame
    bool m_anchorSeen = false;
};

}  // namespace mxr::scenes
