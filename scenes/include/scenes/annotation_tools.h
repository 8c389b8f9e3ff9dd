#pragma once
// Annotating the workspace (issue 14 point 3): the tools that turn a
// pointer on the workspace into changes of the room's annotations, and the
// component that draws them (annotation_view.h) and takes the input.
//
// - The pointer is a ray: on the desktop from the eye through the mouse
//   cursor, in a headset the right controller's aim. It lands on the
//   workspace's surface: the model's triangles, else the floor of its
//   footprint (WorkspaceSurface), in workspace coordinates.
// - Tools: select (pick, drag to move), arrow (drag tail to head; a click
//   points down at the spot), label (click), box (drag a corner to the
//   opposite corner over a surface), sphere (centre, drag the radius), ink
//   (drag), marker (click; numbered 1, 2, ...). A new annotation is
//   selected; the selection can be recoloured or deleted.
// - Only what the replica's mayChange() allows is changed: others'
//   annotations can be selected but not moved, recoloured or deleted (the
//   room's moderators may). Refusals, local or the host's, become messages
//   for the user.
//
// AnnotationEditor is pure (no GPU, no input device): tests drive it with
// rays. Thread: main thread only.
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/annotation_replica.h"
#include "net/annotations.h"
#include "scenes/annotation_view.h"
#include "scenes/client_component.h"
#include "scenes/local_player.h"
#include "scenes/workspace.h"

namespace mxr::scenes {
class ProcedureCard;
}

namespace mxr::scenes {

// The drawing tools share their kind's number (net::AnnotationKind).
enum class AnnotationTool : std::uint8_t { kSelect = 0, kArrow = 1, kLabel, kBox, kSphere, kInk, kMarker };
inline constexpr std::array<AnnotationTool, 7> kAnnotationTools{
    AnnotationTool::kSelect, AnnotationTool::kArrow, AnnotationTool::kLabel, AnnotationTool::kBox,
    AnnotationTool::kSphere, AnnotationTool::kInk,   AnnotationTool::kMarker};
const char* toString(AnnotationTool tool) noexcept;

struct Ray {
    Vec3 origin{0.0f};
    Vec3 direction{0.0f, 0.0f, -1.0f};  // unit length
};

// The ray along -Z of an aim pose.
Ray rayFromAim(const Pose& aim);
// The ray from the eye through `pixel` of a view `size` pixels large (top
// left origin), as the desktop's mouse cursor points.
Ray rayThroughPixel(const engine::ViewInfo& view, Vec2 pixel, Vec2 size);
// A room-space ray in workspace coordinates.
Ray toWorkspace(const Ray& room, const Pose& workspace);

struct SurfaceHit {
    Vec3 point{0.0f};               // workspace space
    Vec3 normal{0.0f, 1.0f, 0.0f};  // facing the ray's origin
    float distance = 0.0f;
};

// What the pointer lands on: the model's triangles (workspace space),
// else the floor (y = 0) within the footprint and a margin of 0.5 m.
class WorkspaceSurface {
public:
    WorkspaceSurface() = default;
    WorkspaceSurface(const std::vector<ModelPart>& model, Vec2 footprint);
    std::optional<SurfaceHit> hit(const Ray& ray, float maxDistance = 10.0f) const;
    std::size_t triangles() const { return m_triangles.size() / 3; }

private:
    std::vector<Vec3> m_triangles;  // three corners each
    Vec2 m_halfFloor{1.0f};
};

// The live annotation the ray (workspace space) points at, nearest first:
// within `tolerance` metres of an arrow's shaft, an ink stroke, a label's
// or marker's point, or inside a box or sphere.
std::optional<net::AnnotationId> pickAnnotation(const net::AnnotationState& state, const Ray& ray,
                                                float tolerance = 0.03f);

// One frame of the pointer, in workspace space.
struct PointerSample {
    Ray ray;
    std::optional<SurfaceHit> hit;
    bool down = false;  // the button (mouse left, trigger) is held
};

// Sizes and steps the tools use (metres).
inline constexpr float kClickDrag = 0.02f;     // shorter drags are clicks
inline constexpr float kInkStep = 0.005f;      // ink points at least this far apart
inline constexpr float kMoveSendStep = 0.01f;  // a move is sent every centimetre, and at the end
inline constexpr float kDefaultArrowLength = 0.15f;

// Pointer input to annotation changes on a replica.
class AnnotationEditor {
public:
    explicit AnnotationEditor(net::AnnotationReplica& replica) : m_replica(replica) {}

    void setTool(AnnotationTool tool);
    AnnotationTool tool() const { return m_tool; }
    // The colour for new annotations; with a selection the editor may
    // change, it is recoloured too.
    void setColour(std::uint8_t paletteIndex);
    std::uint8_t colour() const { return m_colour; }
    void setLabelText(std::string text) { m_labelText = std::move(text); }
    const std::string& labelText() const { return m_labelText; }

    void pointer(const PointerSample& sample);
    void select(std::optional<net::AnnotationId> id) { m_selected = id; }
    std::optional<net::AnnotationId> selected() const;
    // Deletes `id` (the selection when not given).
    void remove(std::optional<net::AnnotationId> id = std::nullopt);

    // What is being drawn and not yet created (kind and values), to preview.
    struct Draft {
        net::AnnotationKind kind;
        net::AnnotationValues values;
    };
    std::optional<Draft> draft() const;
    // Messages for the user since the last call (local refusals).
    std::vector<std::string> takeMessages();

private:
    void press(const PointerSample& s);
    void drag(const PointerSample& s);
    void release(const PointerSample& s);
    std::optional<Draft> draftAt(const Vec3& end) const;
    void sendMove(bool final);
    bool allowed(net::AnnotationId id, const char* what);
    void report(const char* what, const Error& e);

    net::AnnotationReplica& m_replica;
    AnnotationTool m_tool = AnnotationTool::kArrow;
    std::uint8_t m_colour = net::kDefaultAnnotationColour;
    std::string m_labelText = "Look here";
    std::optional<net::AnnotationId> m_selected;
    std::vector<std::string> m_messages;
    bool m_wasDown = false;
    // The gesture in progress.
    bool m_active = false;
    Vec3 m_start{0.0f}, m_normal{0.0f, 1.0f, 0.0f}, m_last{0.0f};
    std::vector<Vec3> m_ink;  // workspace points
    std::optional<net::AnnotationId> m_moving;
    net::AnnotationValues m_moveFrom;  // the moved annotation's values at the press
    Vec3 m_sentOffset{0.0f};
};

// Creates the workspace file's annotations on `replica` (offline: the
// client's own). Errors name the file and the annotation
// ("demo_bench.json: annotations[2]: ...").
Result<void> addWorkspaceAnnotations(net::AnnotationReplica& replica, const WorkspaceDef& def,
                                     const std::string& source);

// The annotation tools as a client component: draws the replica's view
// over the workspace and edits it with the desktop's mouse and keys (and a
// small "Annotate" window) or a headset's controllers (the right aim ray
// and trigger; the left stick flicked left/right picks the tool, up/down
// the colour; the left trigger deletes what the right ray points at).
class AnnotationComponent final : public ClientComponent {
public:
    using LineSink = std::function<void(const std::string&)>;
    // `workspace` gives the pose (it must outlive this); `player`: the
    // wearer in a headset (controller input, moved from the tracking space
    // into the room), null on the desktop (the mouse through ImGui).
    AnnotationComponent(net::AnnotationReplica& replica, const WorkspaceComponent& workspace, WorkspaceSurface surface,
                        const SceneMeshes& meshes, xr::BlendMode blend, const LocalPlayer* player, LineSink print);
    void update(FrameContext& frame) override;
    void drawUi(UiContext& ui) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;

    AnnotationEditor& editor() { return m_editor; }
    const AnnotationView& view() const { return m_view; }
    // The procedure's card (null: none): the current step's annotations
    // are drawn with the room's, and the room's free annotations can be
    // kept in that step (the tool window's "Keep in step N").
    void setProcedure(ProcedureCard* card) { m_card = card; }
    // Moves the free annotations (no step) this client may change into the
    // current step (ProcedureCard::keepInStep) and deletes them from the
    // room; the number moved (0: none, or the card refused, and said why).
    std::size_t keepInCurrentStep();
    const AnnotationView& stepView() const { return m_stepView; }
    // The refusals shown in the tool window (the latest last).
    const std::vector<std::string>& refusals() const { return m_refusals; }

private:
    void say(const std::string& line);
    void show(std::string line);
    void controllers(const xr::InputState& in);
    void cycleTool(int step);
    void cycleColour(int step);

    void followStep();

    net::AnnotationReplica& m_replica;
    ProcedureCard* m_card = nullptr;
    // The current step's annotations, as drawn (rebuilt when its text changes).
    std::string m_stepText;
    net::AnnotationState m_stepState;
    std::uint64_t m_stepRevision = 0;
    AnnotationView m_stepView;
    const WorkspaceComponent& m_workspace;
    WorkspaceSurface m_surface;
    const SceneMeshes& m_meshes;
    xr::BlendMode m_blend;
    const LocalPlayer* m_player;
    LineSink m_print;
    AnnotationEditor m_editor;
    AnnotationView m_view;
    std::optional<engine::ViewInfo> m_eye;   // this frame's first view (desktop rays)
    std::optional<PointerSample> m_pointer;  // this frame's, in workspace space
    std::vector<std::string> m_refusals;
    Vec2 m_stickArmed{1.0f};  // the left stick returned to centre on each axis
    bool m_leftSelectWas = false;
    Pose m_rightGrip;
    bool m_rightTracked = false;
};

}  // namespace mxr::scenes
