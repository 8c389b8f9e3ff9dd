#include "engine/render/mesh_builder.h"

#include <cmath>
#include <numbers>

namespace mxr::engine {
namespace {

void addQuad(MeshData& m, Vec3 a, Vec3 b, Vec3 c, Vec3 d, Vec3 n) {
    const auto base = static_cast<std::uint32_t>(m.vertices.size());
    m.vertices.push_back({a, n});
    m.vertices.push_back({b, n});
    m.vertices.push_back({c, n});
    m.vertices.push_back({d, n});
    for (std::uint32_t i : {0u, 1u, 2u, 0u, 2u, 3u}) m.indices.push_back(base + i);
}

}  // namespace

MeshData makeBox() {
    MeshData m;
    const float h = 0.5f;
    // +X, -X, +Y, -Y, +Z, -Z; each quad counter-clockwise seen from outside.
    addQuad(m, {h, -h, h}, {h, -h, -h}, {h, h, -h}, {h, h, h}, {1, 0, 0});
    addQuad(m, {-h, -h, -h}, {-h, -h, h}, {-h, h, h}, {-h, h, -h}, {-1, 0, 0});
    addQuad(m, {-h, h, h}, {h, h, h}, {h, h, -h}, {-h, h, -h}, {0, 1, 0});
    addQuad(m, {-h, -h, -h}, {h, -h, -h}, {h, -h, h}, {-h, -h, h}, {0, -1, 0});
    addQuad(m, {-h, -h, h}, {h, -h, h}, {h, h, h}, {-h, h, h}, {0, 0, 1});
    addQuad(m, {h, -h, -h}, {-h, -h, -h}, {-h, h, -h}, {h, h, -h}, {0, 0, -1});
    return m;
}

MeshData makeQuad() {
    MeshData m;
    addQuad(m, {-0.5f, -0.5f, 0}, {0.5f, -0.5f, 0}, {0.5f, 0.5f, 0}, {-0.5f, 0.5f, 0}, {0, 0, 1});
    return m;
}

MeshData makeSphere(int rings, int segments) {
    MeshData m;
    const float pi = std::numbers::pi_v<float>;
    for (int r = 0; r <= rings; ++r) {
        const float phi = pi * static_cast<float>(r) / static_cast<float>(rings);
        for (int s = 0; s <= segments; ++s) {
            const float theta = 2.0f * pi * static_cast<float>(s) / static_cast<float>(segments);
            Vec3 n{std::sin(phi) * std::cos(theta), std::cos(phi), -std::sin(phi) * std::sin(theta)};
            m.vertices.push_back({n * 0.5f, n});
        }
    }
    const auto stride = static_cast<std::uint32_t>(segments + 1);
    for (std::uint32_t r = 0; r < static_cast<std::uint32_t>(rings); ++r) {
        for (std::uint32_t s = 0; s < static_cast<std::uint32_t>(segments); ++s) {
            const std::uint32_t a = r * stride + s, b = a + stride;
            m.indices.insert(m.indices.end(), {a, b, a + 1, a + 1, b, b + 1});
        }
    }
    return m;
}

MeshData makeCylinder(int segments) {
    MeshData m;
    const float pi = std::numbers::pi_v<float>;
    for (int s = 0; s <= segments; ++s) {
        const float t = 2.0f * pi * static_cast<float>(s) / static_cast<float>(segments);
        Vec3 n{std::cos(t), 0.0f, -std::sin(t)};
        m.vertices.push_back({Vec3(n.x * 0.5f, -0.5f, n.z * 0.5f), n});
        m.vertices.push_back({Vec3(n.x * 0.5f, 0.5f, n.z * 0.5f), n});
    }
    for (std::uint32_t s = 0; s < static_cast<std::uint32_t>(segments); ++s) {
        const std::uint32_t a = 2 * s;
        m.indices.insert(m.indices.end(), {a, a + 2, a + 1, a + 1, a + 2, a + 3});
    }
    for (float y : {0.5f, -0.5f}) {
        const auto centre = static_cast<std::uint32_t>(m.vertices.size());
        const Vec3 n{0.0f, y > 0 ? 1.0f : -1.0f, 0.0f};
        m.vertices.push_back({Vec3(0, y, 0), n});
        for (int s = 0; s <= segments; ++s) {
            const float t = 2.0f * pi * static_cast<float>(s) / static_cast<float>(segments);
            m.vertices.push_back({Vec3(std::cos(t) * 0.5f, y, -std::sin(t) * 0.5f), n});
        }
        for (std::uint32_t s = 0; s < static_cast<std::uint32_t>(segments); ++s) {
            if (y > 0) m.indices.insert(m.indices.end(), {centre, centre + 1 + s, centre + 2 + s});
            else m.indices.insert(m.indices.end(), {centre, centre + 2 + s, centre + 1 + s});
        }
    }
    return m;
}

}  // namespace mxr::engine
