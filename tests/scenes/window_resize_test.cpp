// A real window under Xvfb: the swapchain follows resizes and skips frames
// while the window has no area, and rendering carries on afterwards.
#include <gtest/gtest.h>

#include "engine/platform/window.h"
#include "engine/render/vulkan_swapchain.h"
#include "scenes/avatar.h"
#include "xr/xr_system.h"

namespace mxr {
namespace {

TEST(WindowSwapchain, ResizeRecreatesAndZeroSizeSkipsFrames) {
    auto sink = std::make_shared<StderrSink>(LogLevel::kWarn);
    xr::DesktopOptions d;
    d.width = 400;
    d.height = 300;
    d.vsync = false;
    auto system = xr::makeDesktopSystem(d, Logger(sink, "desktop"));
    ASSERT_TRUE(system) << system.error().message;
    xr::GraphicsOptions go;
    go.validation = true;
    auto gfx = (*system)->createGraphics(go);
    ASSERT_TRUE(gfx) << gfx.error().message;
    engine::Renderer& renderer = (*gfx)->renderer();
    auto room = scenes::loadRoom(MXR_DEMO_ROOM);
    ASSERT_TRUE(room);
    auto meshes = scenes::uploadSceneMeshes(renderer);
    ASSERT_TRUE(meshes);
    engine::FrameScene scene;
    scenes::appendRoom(*room, *meshes, scene);

    auto frameOnce = [&]() -> std::pair<bool, engine::Image> {
        EXPECT_TRUE((*system)->pollEvents());
        auto f = (*system)->beginFrame();
        EXPECT_TRUE(f) << f.error().message;
        engine::Image img;
        if (f->shouldRender) {
            EXPECT_TRUE(renderer.drawFrame(scene, f->views, f->target));
            auto cap = (*system)->captureFrame(*f, 0);
            EXPECT_TRUE(cap) << cap.error().message;
            if (cap) img = *cap;
        }
        EXPECT_TRUE((*system)->endFrame(*f));
        return {f->shouldRender, img};
    };
    for (int i = 0; i < 3; ++i) {
        auto [drawn, img] = frameOnce();
        EXPECT_TRUE(drawn);
        EXPECT_EQ(img.width, 400u);
    }
    // Resize: the next frames come at the new size.
    (*system)->window()->setSize(640, 360);
    engine::Image last;
    for (int i = 0; i < 10 && last.width != 640; ++i) last = frameOnce().second;
    EXPECT_EQ(last.width, 640u);
    EXPECT_EQ(last.height, 360u);
    ASSERT_TRUE(renderer.waitIdle());
    EXPECT_EQ((*gfx)->validation().errors, 0u);
    EXPECT_EQ((*gfx)->validation().warnings, 0u);
    (*system)->releaseGraphics();
}

TEST(WindowSwapchain, NoAreaMeansNoTargetUntilRestored) {
    auto sink = std::make_shared<StderrSink>(LogLevel::kWarn);
    // Engine level, below the XR backends: window, surface, device, swapchain.
    auto window = engine::Window::create({});
    ASSERT_TRUE(window) << window.error().message;
    engine::Window* w = window->get();
    engine::GpuCreateInfo info;
    info.validation = true;
    info.extraInstanceExtensions = engine::Window::requiredVulkanExtensions();
    info.makeSurface = [w](VkInstance instance) { return w->createSurface(instance); };
    auto gpu = engine::GpuContext::create(engine::VulkanRenderer::requirements(), info, Logger(sink, "gpu"));
    ASSERT_TRUE(gpu) << gpu.error().message;
    auto renderer = engine::VulkanRenderer::create(**gpu, {}, Logger(sink, "render"));
    ASSERT_TRUE(renderer);
    // A size source standing in for a minimised window (Xvfb has no window
    // manager to iconify with): 0 x 0, then the real size again.
    bool minimised = false;
    auto swapchain = engine::VulkanSwapchain::create(
        **renderer, [&] { return minimised ? VkExtent2D{0, 0} : w->framebufferSize(); }, false);
    ASSERT_TRUE(swapchain) << swapchain.error().message;
    minimised = true;
    auto none = (*swapchain)->acquire();
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
    minimised = false;
    auto some = (*swapchain)->acquire();
    ASSERT_TRUE(some) << some.error().message;
    ASSERT_TRUE(some->has_value());
    xr::CameraRig rig;
    engine::FrameScene scene;
    ASSERT_TRUE((*renderer)->drawFrame(scene, rig.views(1, 16.0f / 9.0f), **some));
    ASSERT_TRUE((*swapchain)->present());
    swapchain->reset();
    renderer->reset();
    EXPECT_EQ((*gpu)->validation().errors.load(), 0u);
}

}  // namespace
}  // namespace mxr
