// Annotations drawn over the workspace (scenes/annotation_view.h).
#include "scenes/annotation_view.h"

#include <algorithm>
#include <cmath>

namespace mxr::scenes {
namespace {

using net::AnnotationKind;

float srgbToLinear(std::uint8_t c) {
    const float s = float(c) / 255.0f;
    return s <= 0.04045f ? s / 12.92f : std::pow((s + 0.055f) / 1.055f, 2.4f);
}

constexpr float kFillAlpha = 0.22f;
constexpr int kRingSegments = 12;
// Ink is drawn through the points that matter: a point within this of the
// segment that skips it changes nothing visible (an eighth of the stroke's
// width), so runs of such points are one segment (at most kInkRun points).
constexpr float kInkTolerance = kInkWidth / 8.0f;
constexpr std::size_t kInkRun = 64;
const Vec4 kSelectionColour(1.0f, 1.0f, 1.0f, 1.0f);

// The 12 edges of the box with centre `c`, half extents `e` and rotation
// `r` (workspace space), in room space.
void appendBoxEdges(const Pose& ws, const Vec3& c, const Vec3& e, const Quat& r, float width, const Vec4& colour,
                    std::vector<engine::Line>& lines) {
    Vec3 corner[8];
    for (int i = 0; i < 8; ++i) {
        const Vec3 s((i & 1) ? 1.0f : -1.0f, (i & 2) ? 1.0f : -1.0f, (i & 4) ? 1.0f : -1.0f);
        corner[i] = ws.transformPoint(c + r * (s * e));
    }
    for (int i = 0; i < 8; ++i) {
        for (int bit : {1, 2, 4}) {
            if (!(i & bit)) lines.push_back({corner[i], corner[i | bit], width, colour, false});
        }
    }
}

// A ring of kRingSegments segments around `axis` (room space).
void appendRing(const Vec3& centre, const Vec3& u, const Vec3& v, float radius, float width, const Vec4& colour,
                std::vector<engine::Line>& lines) {
    constexpr float kStep = 6.2831853f / kRingSegments;
    Vec3 prev = centre + u * radius;
    for (int i = 1; i <= kRingSegments; ++i) {
        const float a = kStep * float(i);
        const Vec3 p = centre + (u * std::cos(a) + v * std::sin(a)) * radius;
        lines.push_back({prev, p, width, colour, false});
        prev = p;
    }
}

float distanceToSegment(const Vec3& p, const Vec3& a, const Vec3& b) {
    const Vec3 ab = b - a;
    const float len2 = glm::dot(ab, ab);
    const float t = len2 > 1e-12f ? std::clamp(glm::dot(p - a, ab) / len2, 0.0f, 1.0f) : 0.0f;
    return glm::distance(p, a + ab * t);
}

// The stroke as segments between the points kept (workspace space in,
// room space out): from each kept point, the farthest next point whose
// skipped points all lie within kInkTolerance of the segment to it.
void appendInk(const net::AnnotationValues& v, const Pose& ws, const Vec4& colour, std::vector<engine::Line>& lines) {
    const auto& pts = v.points;
    if (pts.size() <= 1) {
        // One point: a dot (a segment as long as it is wide).
        const Vec3 p = ws.transformPoint(v.position + (pts.empty() ? Vec3(0.0f) : pts.front()));
        lines.push_back({p, p + ws.orientation * Vec3(0.001f, 0.0f, 0.0f), kInkWidth, colour, false});
        return;
    }
    std::size_t kept = 0;
    Vec3 from = ws.transformPoint(v.position + pts[0]);
    while (kept + 1 < pts.size()) {
        std::size_t next = kept + 1;
        for (std::size_t c = kept + 2; c < pts.size() && c - kept <= kInkRun; ++c) {
            bool straight = true;
            for (std::size_t k = kept + 1; k < c && straight; ++k) {
                straight = distanceToSegment(pts[k], pts[kept], pts[c]) <= kInkTolerance;
            }
            if (!straight) break;
            next = c;
        }
        const Vec3 to = ws.transformPoint(v.position + pts[next]);
        lines.push_back({from, to, kInkWidth, colour, false});
        from = to;
        kept = next;
    }
}

engine::Label plate(std::string text, const Vec3& anchor, const Vec4& colour, bool additive) {
    engine::Label l;
    l.text = std::move(text);
    l.anchor = anchor;
    l.height = kLabelHeight;
    l.color = colour;
    // A dark plate reads over any background, except on additive displays
    // (it is transparent there; ar_view drops it anyway).
    l.background = additive ? Vec4(0.0f) : Vec4(0.04f, 0.04f, 0.06f, 0.7f);
    l.maxWidth = 1.0f;
    return l;
}

}  // namespace

Vec4 annotationColour(std::uint8_t paletteIndex, bool additive) {
    const auto& p = net::kAnnotationPalette[std::min<std::size_t>(paletteIndex, net::kAnnotationPalette.size() - 1)];
    if (additive && p.r == 0 && p.g == 0 && p.b == 0) return Vec4(1.0f);
    return Vec4(srgbToLinear(p.r), srgbToLinear(p.g), srgbToLinear(p.b), 1.0f);
}

AnnotationBounds annotationBounds(AnnotationKind kind, const net::AnnotationValues& v) {
    AnnotationBounds b{v.position, v.position};
    auto add = [&](const Vec3& p) {
        b.lo = glm::min(b.lo, p);
        b.hi = glm::max(b.hi, p);
    };
    switch (kind) {
        case AnnotationKind::kArrow:
            add(v.end);
            break;
        case AnnotationKind::kLabel:
            add(v.position - Vec3(0.1f, 0.03f, 0.01f));
            add(v.position + Vec3(0.1f, 0.03f, 0.01f));
            break;
        case AnnotationKind::kBox:
            for (int i = 0; i < 8; ++i) {
                const Vec3 s((i & 1) ? 1.0f : -1.0f, (i & 2) ? 1.0f : -1.0f, (i & 4) ? 1.0f : -1.0f);
                add(v.position + v.rotation * (s * v.extents));
            }
            break;
        case AnnotationKind::kSphere:
            add(v.position - Vec3(v.radius));
            add(v.position + Vec3(v.radius));
            break;
        case AnnotationKind::kInk:
            for (const Vec3& p : v.points) add(v.position + p);
            break;
        case AnnotationKind::kMarker:
            add(v.position - Vec3(kMarkerRadius, 0.0f, kMarkerRadius));
            add(v.position + Vec3(kMarkerRadius, kMarkerLabelRise, kMarkerRadius));
            break;
    }
    return b;
}

void appendAnnotationOutline(AnnotationKind kind, const net::AnnotationValues& v, const Pose& ws, bool additive,
                             std::vector<engine::Line>& lines, std::vector<engine::Label>& labels) {
    const Vec4 colour = annotationColour(v.colour, additive);
    const float w = kAnnotationLineWidth;
    switch (kind) {
        case AnnotationKind::kArrow:
            lines.push_back({ws.transformPoint(v.position), ws.transformPoint(v.end), w, colour, true});
            break;
        case AnnotationKind::kLabel:
            labels.push_back(plate(v.text, ws.transformPoint(v.position), colour, additive));
            break;
        case AnnotationKind::kBox:
            appendBoxEdges(ws, v.position, v.extents, v.rotation, w * 0.75f, colour, lines);
            break;
        case AnnotationKind::kSphere: {
            const Vec3 c = ws.transformPoint(v.position);
            const Quat& o = ws.orientation;
            const Vec3 x = o * Vec3(1, 0, 0), y = o * Vec3(0, 1, 0), z = o * Vec3(0, 0, 1);
            // Two rings: its outline from above and from the front.
            appendRing(c, x, z, v.radius, w * 0.6f, colour, lines);
            appendRing(c, x, y, v.radius, w * 0.6f, colour, lines);
            break;
        }
        case AnnotationKind::kInk:
            appendInk(v, ws, colour, lines);
            break;
        case AnnotationKind::kMarker: {
            // The disc (a fill, AnnotationView) and its number.
            labels.push_back(plate(std::to_string(v.number),
                                   ws.transformPoint(v.position + Vec3(0, kMarkerLabelRise, 0)), colour, additive));
            break;
        }
    }
}

void AnnotationView::update(const net::AnnotationState& state, const AnnotationViewKey& key) {
    if (m_key && *m_key == key) return;
    m_key = key;
    build(state);
}

void AnnotationView::build(const net::AnnotationState& state) {
    ++m_builds;
    m_shapes.clear();
    m_lines.clear();
    m_labels.clear();
    const Pose& ws = m_key->workspace;
    const bool additive = m_key->additive;
    const Mat4 frame = ws.toMatrix();
    for (const auto& [id, a] : state.live()) {
        const net::AnnotationValues& v = a.values;
        appendAnnotationOutline(a.kind, v, ws, additive, m_lines, m_labels);
        const Vec4 colour = annotationColour(v.colour, additive);
        if (a.kind == AnnotationKind::kBox && !additive) {
            const Mat4 m = frame * glm::translate(Mat4(1.0f), v.position) * glm::mat4_cast(v.rotation) *
                           glm::scale(Mat4(1.0f), v.extents * 2.0f);
            m_shapes.push_back({Shape::kBox, m, Vec4(Vec3(colour), kFillAlpha)});
        } else if (a.kind == AnnotationKind::kSphere && !additive) {
            const Mat4 m =
                frame * glm::translate(Mat4(1.0f), v.position) * glm::scale(Mat4(1.0f), Vec3(v.radius * 2.0f));
            m_shapes.push_back({Shape::kSphere, m, Vec4(Vec3(colour), kFillAlpha)});
        } else if (a.kind == AnnotationKind::kMarker) {
            // A flat disc lying in the workspace's horizontal plane: the pin
            // a number is read from. Bright, never dark: fine on additive.
            const Mat4 m = frame * glm::translate(Mat4(1.0f), v.position) *
                           glm::scale(Mat4(1.0f), Vec3(kMarkerRadius * 2.0f, 0.006f, kMarkerRadius * 2.0f));
            m_shapes.push_back({Shape::kDisc, m, colour});
        }
        if (id == m_key->selected) {
            const AnnotationBounds b = annotationBounds(a.kind, v);
            const Vec3 pad(0.015f);
            appendBoxEdges(ws, 0.5f * (b.lo + b.hi), 0.5f * (b.hi - b.lo) + pad, Quat(1, 0, 0, 0), 0.005f,
                           kSelectionColour, m_lines);
        }
    }
}

void AnnotationView::append(const SceneMeshes& meshes, engine::FrameScene& scene) const {
    scene.lines.insert(scene.lines.end(), m_lines.begin(), m_lines.end());
    scene.labels.insert(scene.labels.end(), m_labels.begin(), m_labels.end());
    for (const Shape& s : m_shapes) {
        const engine::MeshHandle mesh = s.kind == Shape::kBox      ? meshes.box
                                        : s.kind == Shape::kSphere ? meshes.sphere
                                                                   : meshes.cylinder;
        scene.instances.push_back({mesh, s.transform, s.colour});
    }
}

}  // namespace mxr::scenes
