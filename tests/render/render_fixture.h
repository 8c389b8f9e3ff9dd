#pragma once
// A renderer on the default device (lavapipe in CI) with validation on;
// every test ends by asserting the layer said nothing.
#include <gtest/gtest.h>

#include <memory>

#include "engine/render/vulkan_renderer.h"
#include "scenes/avatar.h"
#include "xr/xr_system.h"

namespace mxr::test {

class RenderFixture : public ::testing::Test {
protected:
    void SetUp() override {
        engine::GpuCreateInfo info;
        info.validation = true;
        auto gpu = engine::GpuContext::create(engine::VulkanRenderer::requirements(), info, Logger(m_sink, "gpu"));
        ASSERT_TRUE(gpu) << gpu.error().message;
        m_gpu = std::move(*gpu);
        auto r = engine::VulkanRenderer::create(*m_gpu, {}, Logger(m_sink, "render"));
        ASSERT_TRUE(r) << r.error().message;
        m_renderer = std::move(*r);
        auto room = scenes::loadRoom(MXR_DEMO_ROOM);
        ASSERT_TRUE(room) << room.error().message;
        m_room = *room;
        auto meshes = scenes::uploadSceneMeshes(*m_renderer);
        ASSERT_TRUE(meshes) << meshes.error().message;
        m_meshes = *meshes;
    }
    void TearDown() override {
        if (m_renderer) (void)m_renderer->waitIdle();
        m_renderer.reset();
        if (m_gpu) {
            EXPECT_EQ(m_gpu->validation().errors.load(), 0u) << "Vulkan validation errors (see log)";
            EXPECT_EQ(m_gpu->validation().warnings.load(), 0u) << "Vulkan validation warnings (see log)";
        }
        m_gpu.reset();
    }

    xr::CameraRig camera(const std::string& preset) const {
        xr::CameraRig rig;
        const auto& c = m_room.cameras.at(preset);
        rig.position = c.position;
        rig.yaw = c.yawRadians;
        rig.pitch = c.pitchRadians;
        return rig;
    }

    engine::FrameScene demoScene(std::size_t people = 4) const {
        engine::FrameScene scene;
        scenes::appendRoom(m_room, m_meshes, scene);
        for (const auto& p : scenes::demoParticipants(m_room, people, 0.0)) scenes::appendAvatar(p, m_meshes, scene);
        return scene;
    }

    // Pixel where a world point lands in a view of the given size.
    static Vec2 project(const engine::ViewInfo& view, const Vec3& world, std::uint32_t w, std::uint32_t h) {
        const Vec4 clip = projectionFromFov(view.fov, 0.05f, 100.0f) * viewFromPose(view.pose) * Vec4(world, 1.0f);
        const Vec2 ndc = Vec2(clip) / clip.w;
        return Vec2((ndc.x + 1.0f) * 0.5f * float(w), (ndc.y + 1.0f) * 0.5f * float(h));
    }

    std::shared_ptr<StderrSink> m_sink = std::make_shared<StderrSink>(LogLevel::kWarn);
    std::unique_ptr<engine::GpuContext> m_gpu;
    std::unique_ptr<engine::VulkanRenderer> m_renderer;
    scenes::Room m_room;
    scenes::SceneMeshes m_meshes;
};

// Index of the palette colour closest in hue to a rendered pixel (lighting
// changes brightness, not which person it is).
inline std::size_t nearestPerson(const Vec4& pixel, std::size_t people) {
    auto chroma = [](Vec3 c) {
        const float s = c.r + c.g + c.b;
        return s > 1e-4f ? c / s : Vec3(1.0f / 3.0f);
    };
    const Vec3 p = chroma(Vec3(pixel));
    std::size_t best = 0;
    float bestD = 1e9f;
    for (std::size_t i = 0; i < people; ++i) {
        // Rendered pixels are sRGB-encoded; compare against the encoded palette.
        const Vec3 lin = Vec3(scenes::paletteColor(i));
        const Vec3 enc = glm::pow(lin, Vec3(1.0f / 2.2f));
        const float d = glm::length(chroma(enc) - p);
        if (d < bestD) bestD = d, best = i;
    }
    return best;
}

}  // namespace mxr::test
