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
// Thread: main thread only. Errors: parse and load errors name the file,
// the field and the problem (kInvalidArgument), or the file (kNotFound).
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "engine/render/renderer.h"
#include "net/annotations.h"
#include "scenes/client_component.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

class LocalPlayer;

// One drawable piece of a model: its mesh, colour and place in the model.
struct ModelPart {
    engine::MeshData mesh;
    Vec4 color{1.0f};
    Mat4 transform{1.0f};
};

// An annotation the workspace file ships with (workspace coordinates).
struct WorkspaceAnnotation {
    net::AnnotationKind kind = net::AnnotationKind::kArrow;
    net::AnnotationValues values;
};

struct WorkspaceDef {
    std::string name;
    std::string modelPath;  // absolute or relative to the process; "" = none
    Vec2 size{1.2f, 0.8f};
    Pose pose;  // in the room until placed
    // `annotations` [{kind, colour, and the kind's fields}]: loaded into
    // the offline replica (a room keeps its own).
    std::vector<WorkspaceAnnotation> annotations;
};

Result<WorkspaceDef> parseWorkspace(const std::string& jsonText, const std::string& source);
// Annotations in the workspace file's format (its `annotations` array; also
// a procedure step's `annotations`, which the server stores as the client
// writes them): a JSON array of objects, each "kind", "colour" (a palette
// name or index) and the kind's fields in workspace coordinates: arrow
// position/end, label position/text, box position/extents/yaw_deg, sphere
// position/radius, ink points (workspace points), marker position/number.
// Errors name the source and `field[i].name`.
Result<std::vector<WorkspaceAnnotation>> parseAnnotationList(const std::string& jsonText, const std::string& source,
                                                             const std::string& field);
// The kinds as these files name them ("ink", where net's toString says "ink
// stroke" for people): the kind, or nullopt for another name.
std::optional<net::AnnotationKind> annotationKindNamed(std::string_view name);
// The same format written back (palette names; a box's rotation as its yaw).
std::string annotationListJson(const std::vector<WorkspaceAnnotation>& annotations);
Result<WorkspaceDef> loadWorkspace(const std::string& path);
// The default scene's triangle primitives, flattened with their transforms.
Result<std::vector<ModelPart>> loadGltfModel(const std::string& path);

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
