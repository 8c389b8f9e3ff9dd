// The annotation tools: pointer rays on the workspace to changes of the
// room's annotations (scenes/annotation_tools.h). The component's input
// (ImGui's mouse and keys, the controllers) is in annotation_component.cpp.
#include "scenes/annotation_tools.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mxr::scenes {
namespace {

using net::AnnotationField;
using net::AnnotationKind;

constexpr float kNoHit = std::numeric_limits<float>::infinity();

// Möller–Trumbore; the distance along the ray, or kNoHit.
float rayTriangle(const Ray& r, const Vec3& a, const Vec3& b, const Vec3& c) {
    const Vec3 e1 = b - a, e2 = c - a;
    const Vec3 p = glm::cross(r.direction, e2);
    const float det = glm::dot(e1, p);
    if (std::abs(det) < 1e-9f) return kNoHit;
    const float inv = 1.0f / det;
    const Vec3 s = r.origin - a;
    const float u = glm::dot(s, p) * inv;
    if (u < 0.0f || u > 1.0f) return kNoHit;
    const Vec3 q = glm::cross(s, e1);
    const float v = glm::dot(r.direction, q) * inv;
    if (v < 0.0f || u + v > 1.0f) return kNoHit;
    const float t = glm::dot(e2, q) * inv;
    return t > 0.0f ? t : kNoHit;
}

// The distance between the ray and the segment a..b, and how far along
// the ray the closest point is.
std::pair<float, float> raySegment(const Ray& r, const Vec3& a, const Vec3& b) {
    const Vec3 d = b - a;
    const Vec3 w = r.origin - a;
    const float dd = glm::dot(d, d), rd = glm::dot(r.direction, d);
    const float rw = glm::dot(r.direction, w), dw = glm::dot(d, w);
    const float denom = dd - rd * rd;  // |dir| = 1
    float s = dd > 1e-12f ? std::clamp(denom > 1e-9f ? (dw - rd * rw) / denom : 0.0f, 0.0f, 1.0f) : 0.0f;
    float t = std::max(0.0f, glm::dot(a + d * s - r.origin, r.direction));
    if (dd > 1e-12f) s = std::clamp(glm::dot(r.origin + r.direction * t - a, d) / dd, 0.0f, 1.0f);
    t = std::max(0.0f, glm::dot(a + d * s - r.origin, r.direction));
    return {glm::distance(r.origin + r.direction * t, a + d * s), t};
}

float rayPoint(const Ray& r, const Vec3& p, float radius) {
    const float t = glm::dot(p - r.origin, r.direction);
    if (t < 0.0f) return kNoHit;
    return glm::distance(r.origin + r.direction * t, p) <= radius ? t : kNoHit;
}

float raySphere(const Ray& r, const Vec3& c, float radius) {
    const Vec3 oc = r.origin - c;
    const float b = glm::dot(oc, r.direction);
    const float disc = b * b - (glm::dot(oc, oc) - radius * radius);
    if (disc < 0.0f) return kNoHit;
    const float s = std::sqrt(disc);
    const float t = -b - s >= 0.0f ? -b - s : -b + s;
    return t >= 0.0f ? t : kNoHit;
}

// Slabs in the box's own frame.
float rayBox(const Ray& r, const Vec3& c, const Vec3& e, const Quat& rot) {
    const Quat inv = glm::inverse(rot);
    const Vec3 o = inv * (r.origin - c), d = inv * r.direction;
    float t0 = 0.0f, t1 = kNoHit;
    for (int i = 0; i < 3; ++i) {
        if (std::abs(d[i]) < 1e-9f) {
            if (std::abs(o[i]) > e[i]) return kNoHit;
            continue;
        }
        float a = (-e[i] - o[i]) / d[i], b = (e[i] - o[i]) / d[i];
        if (a > b) std::swap(a, b);
        t0 = std::max(t0, a);
        t1 = std::min(t1, b);
        if (t0 > t1) return kNoHit;
    }
    return t0;
}

float pickDistance(const net::Annotation& a, const Ray& r, float tol) {
    const net::AnnotationValues& v = a.values;
    switch (a.kind) {
        case AnnotationKind::kArrow: {
            const auto [d, t] = raySegment(r, v.position, v.end);
            return d <= tol ? t : kNoHit;
        }
        case AnnotationKind::kLabel:
            return rayPoint(r, v.position, std::max(tol, 0.06f));
        case AnnotationKind::kMarker:
            return rayPoint(r, v.position, std::max(tol, kMarkerRadius * 1.5f));
        case AnnotationKind::kBox:
            return rayBox(r, v.position, v.extents + Vec3(tol), v.rotation);
        case AnnotationKind::kSphere:
            return raySphere(r, v.position, v.radius + tol);
        case AnnotationKind::kInk: {
            float best = kNoHit;
            for (std::size_t i = 0; i < v.points.size(); ++i) {
                const Vec3 p = v.position + v.points[i];
                const Vec3 q = v.position + v.points[i + 1 < v.points.size() ? i + 1 : i];
                const auto [d, t] = raySegment(r, p, q);
                if (d <= tol) best = std::min(best, t);
            }
            return best;
        }
    }
    return kNoHit;
}

std::string idText(net::AnnotationId id) { return strCat(net::authorOf(id), ":", net::serialOf(id)); }

}  // namespace

const char* toString(AnnotationTool tool) noexcept {
    static_assert(int(AnnotationTool::kMarker) == int(AnnotationKind::kMarker));
    return tool == AnnotationTool::kSelect ? "select" : net::toString(static_cast<AnnotationKind>(tool));
}

Ray rayFromAim(const Pose& aim) { return Ray{aim.position, glm::normalize(aim.forward())}; }

Ray rayThroughPixel(const engine::ViewInfo& view, Vec2 pixel, Vec2 size) {
    const Fov& f = view.fov;
    const float u = size.x > 0.0f ? pixel.x / size.x : 0.5f;
    const float v = size.y > 0.0f ? pixel.y / size.y : 0.5f;
    const float l = std::tan(f.angleLeft), r = std::tan(f.angleRight);
    const float up = std::tan(f.angleUp), down = std::tan(f.angleDown);
    const Vec3 dir(l + u * (r - l), up - v * (up - down), -1.0f);
    return Ray{view.pose.position, glm::normalize(view.pose.orientation * dir)};
}

Ray toWorkspace(const Ray& room, const Pose& ws) {
    const Quat inv = glm::inverse(ws.orientation);
    return Ray{inv * (room.origin - ws.position), glm::normalize(inv * room.direction)};
}

WorkspaceSurface::WorkspaceSurface(const std::vector<ModelPart>& model, Vec2 footprint)
    : m_halfFloor(footprint * 0.5f + Vec2(0.5f)) {
    for (const ModelPart& part : model) {
        const auto& vs = part.mesh.vertices;
        for (std::uint32_t i : part.mesh.indices) {
            m_triangles.push_back(Vec3(part.transform * Vec4(vs[i].position, 1.0f)));
        }
    }
}

std::optional<SurfaceHit> WorkspaceSurface::hit(const Ray& ray, float maxDistance) const {
    float best = maxDistance;
    std::optional<SurfaceHit> out;
    for (std::size_t i = 0; i + 2 < m_triangles.size(); i += 3) {
        const Vec3 &a = m_triangles[i], &b = m_triangles[i + 1], &c = m_triangles[i + 2];
        const float t = rayTriangle(ray, a, b, c);
        if (t >= best) continue;
        best = t;
        Vec3 n = glm::normalize(glm::cross(b - a, c - a));
        if (glm::dot(n, ray.direction) > 0.0f) n = -n;
        out = SurfaceHit{ray.origin + ray.direction * t, n, t};
    }
    if (out) return out;
    if (std::abs(ray.direction.y) > 1e-6f) {
        const float t = -ray.origin.y / ray.direction.y;
        const Vec3 p = ray.origin + ray.direction * t;
        if (t > 0.0f && t < maxDistance && std::abs(p.x) <= m_halfFloor.x && std::abs(p.z) <= m_halfFloor.y) {
            return SurfaceHit{p, Vec3(0.0f, ray.origin.y > 0.0f ? 1.0f : -1.0f, 0.0f), t};
        }
    }
    return std::nullopt;
}

std::optional<net::AnnotationId> pickAnnotation(const net::AnnotationState& state, const Ray& ray, float tolerance) {
    float best = kNoHit;
    std::optional<net::AnnotationId> out;
    for (const auto& [id, a] : state.live()) {
        const float t = pickDistance(a, ray, tolerance);
        if (t < best) {
            best = t;
            out = id;
        }
    }
    return out;
}

Result<void> addWorkspaceAnnotations(net::AnnotationReplica& replica, const WorkspaceDef& def,
                                     const std::string& source) {
    for (std::size_t i = 0; i < def.annotations.size(); ++i) {
        const WorkspaceAnnotation& a = def.annotations[i];
        if (auto r = replica.create(a.kind, a.values); !r) {
            return makeError(r.error().code, strCat(source, ": annotations[", i, "]: ", r.error().message));
        }
    }
    return {};
}

void AnnotationEditor::setTool(AnnotationTool tool) {
    m_tool = tool;
    m_active = false;
    m_moving.reset();
}

void AnnotationEditor::setColour(std::uint8_t paletteIndex) {
    m_colour = std::min<std::uint8_t>(paletteIndex, std::uint8_t(net::kAnnotationPalette.size() - 1));
    const auto id = selected();
    if (!id) return;
    const net::Annotation* a = m_replica.view().find(*id);
    if (a->values.colour == m_colour || !allowed(*id, "recolour")) return;
    net::AnnotationValues v;
    v.colour = m_colour;
    if (auto r = m_replica.update(*id, net::fieldBit(AnnotationField::kColour), v); !r) report("recolour", r.error());
}

std::optional<net::AnnotationId> AnnotationEditor::selected() const {
    if (m_selected && m_replica.view().find(*m_selected)) return m_selected;
    return std::nullopt;
}

void AnnotationEditor::remove(std::optional<net::AnnotationId> id) {
    const auto target = id ? id : selected();
    if (!target) {
        m_messages.push_back("annotations: nothing selected to delete");
        return;
    }
    if (!allowed(*target, "delete")) return;
    if (auto r = m_replica.remove(*target); !r) {
        report("delete", r.error());
        return;
    }
    if (m_selected == target) m_selected.reset();
}

std::vector<std::string> AnnotationEditor::takeMessages() { return std::exchange(m_messages, {}); }

bool AnnotationEditor::allowed(net::AnnotationId id, const char* what) {
    if (m_replica.mayChange(id)) return true;
    m_messages.push_back(strCat("annotations: cannot ", what, " annotation ", idText(id), ": it is person ",
                                net::authorOf(id), "'s; only its author or a moderator may change it"));
    return false;
}

void AnnotationEditor::report(const char* what, const Error& e) {
    m_messages.push_back(strCat("annotations: cannot ", what, ": ", e.message));
}

void AnnotationEditor::pointer(const PointerSample& s) {
    if (s.down && !m_wasDown) {
        press(s);
    } else if (s.down && (m_active || m_moving)) {
        drag(s);
    } else if (!s.down && m_wasDown && (m_active || m_moving)) {
        drag(s);
        release(s);
    }
    m_wasDown = s.down;
}

void AnnotationEditor::press(const PointerSample& s) {
    m_active = false;
    m_moving.reset();
    if (m_tool == AnnotationTool::kSelect) {
        m_selected = pickAnnotation(m_replica.view(), s.ray);
        if (!m_selected || !s.hit) return;
        // Moving follows the surface under the pointer from here.
        m_moving = m_selected;
        m_moveFrom = m_replica.view().find(*m_selected)->values;
        m_start = m_last = s.hit->point;
        m_sentOffset = Vec3(0.0f);
        return;
    }
    if (!s.hit) return;  // pointing past the workspace: nothing to draw on
    m_active = true;
    m_start = m_last = s.hit->point;
    m_normal = s.hit->normal;
    m_ink.assign(1, s.hit->point);
}

void AnnotationEditor::drag(const PointerSample& s) {
    if (!s.hit) return;  // off the surface: the gesture holds its last point
    m_last = s.hit->point;
    if (m_active && m_tool == AnnotationTool::kInk && m_ink.size() < net::kMaxInkPointsPerStroke &&
        glm::distance(m_ink.back(), m_last) >= kInkStep) {
        m_ink.push_back(m_last);
    }
    if (m_moving && glm::distance(m_last - m_start, m_sentOffset) >= kMoveSendStep) sendMove(false);
}

void AnnotationEditor::release(const PointerSample&) {
    if (m_moving) {
        if (m_last - m_start != m_sentOffset) sendMove(true);
        m_moving.reset();
        return;
    }
    m_active = false;
    const auto d = draftAt(m_last);
    if (!d) return;
    auto id = m_replica.create(d->kind, d->values);
    if (!id) {
        report(strCat("add the ", toString(m_tool)).c_str(), id.error());
        return;
    }
    m_selected = *id;
}

void AnnotationEditor::sendMove(bool) {
    const net::AnnotationId id = *m_moving;
    if (!allowed(id, "move")) {
        m_moving.reset();
        return;
    }
    const net::Annotation* a = m_replica.view().find(id);
    if (!a) {
        m_moving.reset();
        return;
    }
    const Vec3 offset = m_last - m_start;
    net::AnnotationValues v = a->values;
    v.position = m_moveFrom.position + offset;
    net::FieldMask fields = net::fieldBit(AnnotationField::kPosition);
    if (a->kind == AnnotationKind::kArrow) {
        v.end = m_moveFrom.end + offset;
        fields |= net::fieldBit(AnnotationField::kEnd);
    }
    if (auto r = m_replica.update(id, fields, v); !r) {
        report("move", r.error());
        m_moving.reset();
        return;
    }
    m_sentOffset = offset;
}

std::optional<AnnotationEditor::Draft> AnnotationEditor::draftAt(const Vec3& end) const {
    net::AnnotationValues v;
    v.colour = m_colour;
    const Vec3 p0 = m_start, n = m_normal;
    const bool click = glm::distance(p0, end) < kClickDrag;
    switch (m_tool) {
        case AnnotationTool::kSelect:
            return std::nullopt;
        case AnnotationTool::kArrow:
            // A click points at the spot from above its surface; a drag
            // runs from where it began to where it ends, just over it.
            v.end = click ? p0 + n * 0.005f : end + n * 0.01f;
            v.position = click ? v.end + n * kDefaultArrowLength : p0 + n * 0.01f;
            return Draft{AnnotationKind::kArrow, v};
        case AnnotationTool::kLabel:
            v.position = p0 + n * 0.06f;
            v.text = m_labelText.empty() ? std::string("Note") : m_labelText;
            return Draft{AnnotationKind::kLabel, v};
        case AnnotationTool::kBox: {
            if (click) {
                v.extents = Vec3(0.05f);
                v.position = p0 + n * 0.05f;
                return Draft{AnnotationKind::kBox, v};
            }
            const Vec3 lo = glm::min(p0, end), hi = glm::max(p0, end);
            const float h = std::max(0.05f, 0.5f * std::max(hi.x - lo.x, hi.z - lo.z));
            v.extents = Vec3(std::max(0.5f * (hi.x - lo.x), 0.01f), 0.5f * h, std::max(0.5f * (hi.z - lo.z), 0.01f));
            v.position = Vec3(0.5f * (lo.x + hi.x), hi.y + 0.5f * h, 0.5f * (lo.z + hi.z));
            return Draft{AnnotationKind::kBox, v};
        }
        case AnnotationTool::kSphere:
            v.position = p0;
            v.radius = click ? 0.05f : std::max(0.02f, glm::distance(p0, end));
            return Draft{AnnotationKind::kSphere, v};
        case AnnotationTool::kInk: {
            // Just over the surface, so it is not hidden in it.
            v.position = m_ink.front() + n * 0.003f;
            v.points.reserve(m_ink.size());
            for (const Vec3& p : m_ink) v.points.push_back(p - m_ink.front());
            return Draft{AnnotationKind::kInk, v};
        }
        case AnnotationTool::kMarker: {
            std::uint16_t highest = 0;
            for (const auto& [id, a] : m_replica.view().live()) {
                if (a.kind == AnnotationKind::kMarker) highest = std::max(highest, a.values.number);
            }
            v.position = p0 + n * 0.004f;
            v.number = static_cast<std::uint16_t>(std::min<int>(highest + 1, 65535));
            return Draft{AnnotationKind::kMarker, v};
        }
    }
    return std::nullopt;
}

std::optional<AnnotationEditor::Draft> AnnotationEditor::draft() const {
    if (!m_active) return std::nullopt;
    return draftAt(m_last);
}

}  // namespace mxr::scenes
