// engine/ui directly: the ImGui layer on a headless renderer draws its
// window into the overlay, composited over the view; without an overlay it
// is refused with a clear error.
#include <gtest/gtest.h>

#include <imgui.h>

#include <algorithm>

#include "engine/render/image_io.h"
#include "engine/render/mesh_builder.h"
#include "engine/render/vulkan_renderer.h"
#include "engine/ui/imgui_layer.h"

namespace {

using namespace mxr;

Logger quiet() { return Logger(std::make_shared<StderrSink>(LogLevel::kWarn), "test"); }

struct Gpu {
    std::unique_ptr<engine::GpuContext> gpu;
    std::unique_ptr<engine::VulkanRenderer> renderer;
    Gpu(std::uint32_t overlay) {
        engine::GpuCreateInfo info;
        info.validation = true;
        auto g = engine::GpuContext::create(engine::VulkanRenderer::requirements(), info, quiet());
        if (!g) return;
        gpu = std::move(*g);
        engine::VulkanRenderer::Options o;
        o.msaa = VK_SAMPLE_COUNT_1_BIT;
        o.overlayExtent = {overlay, overlay};
        auto r = engine::VulkanRenderer::create(*gpu, o, quiet());
        if (r) renderer = std::move(*r);
    }
};

TEST(UiLayer, RefusedWithoutAnOverlay) {
    Gpu g(0);
    ASSERT_TRUE(g.renderer);
    auto ui = engine::createImGuiLayer(*g.renderer, nullptr, 64, 64);
    ASSERT_FALSE(ui);
    EXPECT_EQ(ui.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(ui.error().message.find("without an overlay"), std::string::npos) << ui.error().message;
}

TEST(UiLayer, ItsWindowIsCompositedOverTheView) {
    Gpu g(128);
    ASSERT_TRUE(g.renderer);
    auto ui = engine::createImGuiLayer(*g.renderer, nullptr, 128, 128);
    ASSERT_TRUE(ui) << ui.error().message;
    auto target = g.renderer->createOffscreenTarget({128, 128}, 1);
    ASSERT_TRUE(target);
    engine::FrameScene scene;
    scene.clearColor = Vec4(0.0f, 0.0f, 1.0f, 1.0f);
    scene.drawOverlay = true;
    (*ui)->frame(1.0f / 60.0f, [] {
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(64, 64));
        ImGui::SetNextWindowBgAlpha(1.0f);
        ImGui::Begin("probe", nullptr, ImGuiWindowFlags_NoDecoration);
        ImGui::End();
    });
    const engine::ViewInfo view{Pose{Vec3(0), Quat(1, 0, 0, 0)}, Fov::symmetric(1.0f, 1.0f)};
    ASSERT_TRUE(g.renderer->drawFrame(scene, std::span(&view, 1), *target));
    auto img = g.renderer->readback(*target);
    ASSERT_TRUE(img) << img.error().message;
    const Vec4 inside = engine::pixelAt(*img, 32, 32), outside = engine::pixelAt(*img, 100, 100);
    EXPECT_GT(outside.b, 0.99f) << "the view's clear colour outside the window";
    EXPECT_LT(inside.b, 0.6f) << "ImGui's dark window background over the view";
    ui->reset();
    ASSERT_TRUE(g.renderer->waitIdle());
    EXPECT_EQ(g.gpu->validation().errors.load(), 0u);
    EXPECT_EQ(g.gpu->validation().warnings.load(), 0u);
}

// Over the view, only what the UI drew is composited: its area is the
// window's, and every pixel outside it is exactly the view without a UI;
// a frame that draws nothing leaves the whole view as it was.
TEST(UiLayer, OnlyTheAreaItDrewIsComposited) {
    Gpu g(128);
    ASSERT_TRUE(g.renderer);
    auto ui = engine::createImGuiLayer(*g.renderer, nullptr, 128, 128);
    ASSERT_TRUE(ui) << ui.error().message;
    auto target = g.renderer->createOffscreenTarget({128, 128}, 1);
    ASSERT_TRUE(target);
    engine::FrameScene scene;
    scene.clearColor = Vec4(0.2f, 0.5f, 0.3f, 1.0f);
    engine::Instance box;
    box.mesh = *g.renderer->upload(engine::makeBox());
    box.transform = glm::translate(Mat4(1.0f), Vec3(0, 0, -3));
    box.color = Vec4(0.9f, 0.8f, 0.1f, 1.0f);
    scene.instances.push_back(box);
    const engine::ViewInfo view{Pose{Vec3(0), Quat(1, 0, 0, 0)}, Fov::symmetric(1.0f, 1.0f)};
    auto draw = [&](bool overlay) {
        scene.drawOverlay = overlay;
        EXPECT_TRUE(g.renderer->drawFrame(scene, std::span(&view, 1), *target));
        auto img = g.renderer->readback(*target);
        EXPECT_TRUE(img) << img.error().message;
        return img ? *img : engine::Image{};
    };
    const engine::Image plain = draw(false);

    (*ui)->frame(1.0f / 60.0f, [] {
        ImGui::SetNextWindowPos(ImVec2(20, 30));
        ImGui::SetNextWindowSize(ImVec2(40, 24));
        ImGui::SetNextWindowBgAlpha(1.0f);
        ImGui::Begin("probe", nullptr, ImGuiWindowFlags_NoDecoration);
        ImGui::End();
    });
    const engine::PixelRect area = (*ui)->drawnArea();
    EXPECT_LE(area.x, 20u);
    EXPECT_LE(area.y, 30u);
    EXPECT_GE(area.x + area.width, 60u);
    EXPECT_GE(area.y + area.height, 54u);
    EXPECT_LT(area.width * area.height, 128u * 128u / 4) << "the area is the window's, not the image";
    const engine::Image withUi = draw(true);
    ASSERT_EQ(withUi.rgba.size(), plain.rgba.size());
    std::size_t changed = 0, outsideChanged = 0;
    for (std::uint32_t y = 0; y < 128; ++y) {
        for (std::uint32_t x = 0; x < 128; ++x) {
            const std::size_t i = (std::size_t(y) * 128 + x) * 4;
            const bool same = std::equal(plain.rgba.begin() + i, plain.rgba.begin() + i + 4, withUi.rgba.begin() + i);
            const bool inside = x >= area.x && x < area.x + area.width && y >= area.y && y < area.y + area.height;
            changed += !same;
            outsideChanged += !same && !inside;
        }
    }
    EXPECT_GE(changed, 40u * 24u * 9 / 10) << "the window is drawn over the view";
    EXPECT_EQ(outsideChanged, 0u);

    (*ui)->frame(1.0f / 60.0f, [] {});
    EXPECT_TRUE((*ui)->drawnArea().empty());
    const engine::Image empty = draw(true);
    EXPECT_TRUE(empty.rgba == plain.rgba) << "an empty UI changed the view";
    ui->reset();
    ASSERT_TRUE(g.renderer->waitIdle());
    EXPECT_EQ(g.gpu->validation().errors.load(), 0u);
    EXPECT_EQ(g.gpu->validation().warnings.load(), 0u);
}

}  // namespace
