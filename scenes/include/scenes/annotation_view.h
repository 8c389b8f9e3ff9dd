#pragma once
// Drawing a room's annotations (net/annotations.h) over the workspace: an
// AnnotationState in workspace coordinates plus the workspace's pose in the
// room become FrameScene lines, instances and labels.
//
// - arrow: a line from its tail (`position`) to its head (`end`) with the
//   renderer's arrow head; label: its text on a plate at `position`, facing
//   the viewer; box: its 12 edges (rotated, `extents` half sizes) and a
//   translucent fill; sphere: two outline rings (seen from above and from
//   the front) and a translucent fill; ink: a line through the anchor plus
//   each offset, leaving out points within an eighth of its width of the
//   segment that skips them (invisible, and fewer segments to draw); marker:
//   a flat disc with its number on a plate above it.
// - Colours from kAnnotationPalette (sRGB, converted to the renderer's
//   linear colours). On additive displays black is drawn white, and the
//   translucent fills are left out (an additive display cannot darken:
//   fills only veil the real thing); the outlines carry the shape there,
//   and ar_view's legibility pass still lifts lines and labels.
// - The geometry is built in room space and cached: it is rebuilt only
//   when the revision, the workspace pose, the display or the selection
//   changes, so a frame with 200 annotations and 5,000 ink points only
//   copies it into the scene.
//
// Thread: main thread only.
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/render/renderer.h"
#include "net/annotations.h"
#include "scenes/avatar.h"

namespace mxr::scenes {

// A palette entry as the renderer's linear colour; black is white on
// additive displays (it would be invisible there).
Vec4 annotationColour(std::uint8_t paletteIndex, bool additive);

// Sizes the drawing uses (metres).
inline constexpr float kAnnotationLineWidth = 0.012f;
inline constexpr float kInkWidth = 0.008f;
inline constexpr float kLabelHeight = 0.05f;
inline constexpr float kMarkerRadius = 0.035f;
inline constexpr float kMarkerLabelRise = 0.07f;  // the number's plate above the disc

// An annotation's extent in workspace space (the selection's outline).
struct AnnotationBounds {
    Vec3 lo{0.0f};
    Vec3 hi{0.0f};
};
AnnotationBounds annotationBounds(net::AnnotationKind kind, const net::AnnotationValues& v);

// What the cached geometry was built from.
struct AnnotationViewKey {
    std::uint64_t revision = 0;
    Pose workspace;
    bool additive = false;
    net::AnnotationId selected = 0;  // 0: none
    bool operator==(const AnnotationViewKey& o) const {
        return revision == o.revision && workspace.position == o.workspace.position &&
               workspace.orientation == o.workspace.orientation && additive == o.additive && selected == o.selected;
    }
};

class AnnotationView {
public:
    // Rebuilds the geometry when `key` differs from the last build's. The
    // caller bumps key.revision whenever `state` changes (the replica's
    // revision()).
    void update(const net::AnnotationState& state, const AnnotationViewKey& key);
    // Appends the cached geometry (box, sphere and cylinder meshes from
    // `meshes`).
    void append(const SceneMeshes& meshes, engine::FrameScene& scene) const;

    std::uint64_t builds() const { return m_builds; }
    std::size_t lineCount() const { return m_lines.size(); }

private:
    void build(const net::AnnotationState& state);

    std::optional<AnnotationViewKey> m_key;
    std::uint64_t m_builds = 0;
    // Instances by shape (their mesh is set when appended).
    struct Shape {
        enum Kind : std::uint8_t { kBox, kSphere, kDisc } kind;
        Mat4 transform;
        Vec4 colour;
    };
    std::vector<Shape> m_shapes;
    std::vector<engine::Line> m_lines;
    std::vector<engine::Label> m_labels;
};

// The outline part of an annotation (lines and labels) in room space; what
// the tools draw for a preview.
void appendAnnotationOutline(net::AnnotationKind kind, const net::AnnotationValues& v, const Pose& workspace,
                             bool additive, std::vector<engine::Line>& lines, std::vector<engine::Label>& labels);

}  // namespace mxr::scenes
