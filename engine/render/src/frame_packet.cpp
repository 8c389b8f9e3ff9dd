#include "frame_packet.h"

#include <algorithm>

namespace mxr::engine {

void appendArrow(const Line& l, std::vector<LineGpu>& out) {
    const Vec3 dir = l.to - l.from;
    const float len = glm::length(dir);
    out.push_back({Vec4(l.from, l.width), Vec4(l.to, 0.0f), l.color});
    if (!l.arrow || len < 1e-5f) return;
    const Vec3 d = dir / len;
    // The head lies in the plane of the shaft and the world up (or X when the
    // shaft is vertical); two barbs of 6 widths at 30 degrees.
    Vec3 side = glm::cross(d, std::abs(d.y) > 0.95f ? Vec3(1, 0, 0) : Vec3(0, 1, 0));
    side = glm::normalize(side);
    const float head = std::min(len * 0.5f, l.width * 6.0f);
    for (float s : {1.0f, -1.0f}) {
        const Vec3 barb = l.to - d * (head * 0.866f) + side * (s * head * 0.5f);
        out.push_back({Vec4(l.to, l.width), Vec4(barb, 0.0f), l.color});
    }
}

namespace {

void fillUniforms(const FrameScene& scene, std::span<const ViewInfo> views, FrameUniforms& u) {
    u = FrameUniforms{};
    const auto viewCount = static_cast<std::uint32_t>(views.size());
    for (std::uint32_t v = 0; v < kMaxViews; ++v) {
        const ViewInfo& view = views[std::min(v, viewCount - 1)];
        u.viewProj[v] = projectionFromFov(view.fov, kNearZ, kFarZ) * viewFromPose(view.pose);
        u.eyePos[v] = Vec4(view.pose.position, 1.0f);
    }
    const auto lightCount = static_cast<std::uint32_t>(std::min<std::size_t>(scene.lights.size(), kMaxLights));
    for (std::uint32_t i = 0; i < lightCount; ++i) {
        const auto& l = scene.lights[i];
        u.lightPos[i] = Vec4(l.position, std::max(l.range, 0.01f));
        u.lightColor[i] = Vec4(l.color * l.intensity, 0.0f);
    }
    u.ambient = Vec4(scene.ambient, 0.0f);
    u.counts = glm::ivec4(static_cast<int>(lightCount), 0, 0, 0);
}

void sortInstances(const FrameScene& scene, FramePacket& out) {
    const auto& all = scene.instances;
    out.order.resize(all.size());
    for (std::uint32_t i = 0; i < out.order.size(); ++i) out.order[i] = i;
    out.sortKeys.resize(all.size());
    for (std::size_t k = 0; k < all.size(); ++k) {
        const Instance& i = all[k];
        std::uint64_t pass = 2;
        if (i.color.a >= 1.0f) {
            const Mat4& m = i.transform;
            const float extent = std::max({glm::length(Vec3(m[0])), glm::length(Vec3(m[1])), glm::length(Vec3(m[2]))});
            pass = extent > 2.0f ? 1 : 0;
        }
        out.sortKeys[k] = (pass << 32) | i.mesh.id;
    }
    std::stable_sort(out.order.begin(), out.order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return out.sortKeys[a] < out.sortKeys[b]; });
    out.instances.clear();
    out.runs.clear();
    for (std::uint32_t idx : out.order) {
        const Instance& s = all[idx];
        const bool blended = s.color.a < 1.0f;
        const auto at = static_cast<std::uint32_t>(out.instances.size());
        out.instances.push_back(InstanceGpu{s.transform, s.color});
        if (out.runs.empty() || out.runs.back().mesh != s.mesh.id || out.runs.back().blended != blended) {
            out.runs.push_back(DrawRun{s.mesh.id, at, 0, blended});
        }
        ++out.runs.back().count;
    }
}

void layoutLabels(const FrameScene& scene, std::span<const ViewInfo> views, TextAtlas& atlas, FramePacket& out) {
    // Labels face the viewer: with two eyes, the head between them.
    Pose head = views[0].pose;
    if (views.size() == 2) {
        head.position = 0.5f * (views[0].pose.position + views[1].pose.position);
        head.orientation = glm::slerp(views[0].pose.orientation, views[1].pose.orientation, 0.5f);
    }
    out.text.clear();
    for (const auto& label : scene.labels) {
        const Vec3 toEye = glm::length(label.facing) > 0.0f ? label.facing : head.position - label.anchor;
        Vec3 fwd = glm::length(toEye) > 1e-4f ? glm::normalize(toEye) : Vec3(0, 0, 1);
        Vec3 right = glm::cross(Vec3(0, 1, 0), fwd);
        right = glm::length(right) > 1e-4f ? glm::normalize(right) : head.orientation * Vec3(1, 0, 0);
        const Vec3 up = glm::cross(fwd, right);
        atlas.appendLabel(label, right, up, out.text);
    }
}

}  // namespace

PixelRect scaleRect(const PixelRect& r, std::uint32_t fromWidth, std::uint32_t fromHeight, std::uint32_t toWidth,
                    std::uint32_t toHeight) {
    if (r.empty() || fromWidth == 0 || fromHeight == 0) return {};
    auto lo = [](std::uint64_t v, std::uint32_t from, std::uint32_t to) {
        return static_cast<std::uint32_t>(std::min<std::uint64_t>(v * to / from, to));
    };
    auto hi = [](std::uint64_t v, std::uint32_t from, std::uint32_t to) {
        return static_cast<std::uint32_t>(std::min<std::uint64_t>((v * to + from - 1) / from, to));
    };
    const std::uint32_t x0 = lo(r.x, fromWidth, toWidth);
    const std::uint32_t y0 = lo(r.y, fromHeight, toHeight);
    const std::uint32_t x1 = hi(std::uint64_t(r.x) + r.width, fromWidth, toWidth);
    const std::uint32_t y1 = hi(std::uint64_t(r.y) + r.height, fromHeight, toHeight);
    if (x1 <= x0 || y1 <= y0) return {};
    return PixelRect{x0, y0, x1 - x0, y1 - y0};
}

void buildFramePacket(const FrameScene& scene, std::span<const ViewInfo> views, TextAtlas& atlas,
                      bool overlayInWorld, FramePacket& out) {
    fillUniforms(scene, views, out.uniforms);
    sortInstances(scene, out);
    out.lines.clear();
    for (const auto& l : scene.lines) appendArrow(l, out.lines);
    layoutLabels(scene, views, atlas, out);
    out.overlayQuad = overlayInWorld && scene.overlayQuad.has_value();
    if (out.overlayQuad) {
        const Mat4& m = *scene.overlayQuad;
        auto corner = [&](float x, float y) {
            return TextVertex{Vec3(m * Vec4(x, y, 0.0f, 1.0f)), Vec2(x + 0.5f, 0.5f - y), Vec4(1.0f)};
        };
        out.quadVertices = {corner(-0.5f, 0.5f), corner(-0.5f, -0.5f), corner(0.5f, -0.5f),
                            corner(-0.5f, 0.5f), corner(0.5f, -0.5f),  corner(0.5f, 0.5f)};
    }
}

}  // namespace mxr::engine
