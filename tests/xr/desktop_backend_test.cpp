// The desktop backend directly (no client), in a real GLFW window under
// Xvfb: the graphics bundle with its UI layer, frames presented to the
// window's swapchain, captures of what was drawn, a fresh bundle after
// release (what recovering from a lost device does), quitting.
#include <gtest/gtest.h>

#include "engine/platform/window.h"
#include "engine/render/image_io.h"
#include "xr/xr_system.h"

namespace {

using namespace mxr;

Logger quiet() { return Logger(std::make_shared<StderrSink>(LogLevel::kWarn), "test"); }

// Draws `frames` frames of a plain colour and checks each capture.
void drawFrames(xr::XrSystem& system, xr::Graphics& gfx, Vec4 colour, int frames) {
    engine::FrameScene scene;
    scene.clearColor = colour;
    for (int i = 0; i < frames; ++i) {
        ASSERT_TRUE(system.pollEvents());
        auto f = system.beginFrame();
        ASSERT_TRUE(f) << f.error().message;
        if (!f->shouldRender) continue;
        ASSERT_EQ(f->views.size(), 1u);
        ASSERT_TRUE(gfx.renderer().drawFrame(scene, f->views, f->target));
        auto img = system.captureFrame(*f, 0);
        ASSERT_TRUE(img) << img.error().message;
        EXPECT_EQ(img->width, 96u);
        EXPECT_EQ(img->height, 64u);
        const Vec4 c = engine::pixelAt(*img, 48, 32);
        EXPECT_NEAR(c.r, colour.r, 0.01f);
        EXPECT_NEAR(c.g, colour.g, 0.01f);
        EXPECT_NEAR(c.b, colour.b, 0.01f);
        ASSERT_TRUE(system.endFrame(*f));
    }
}

TEST(DesktopBackend, AWindowGetsABundleFramesAndAFreshBundleAfterRelease) {
    ASSERT_TRUE(xr::probeDesktop()) << "run under xvfb-run";
    xr::DesktopOptions d;
    d.width = 96;
    d.height = 64;
    d.vsync = false;
    auto system = xr::makeDesktopSystem(d, quiet());
    ASSERT_TRUE(system) << system.error().message;
    EXPECT_STREQ((*system)->name(), "desktop");
    ASSERT_NE((*system)->window(), nullptr);
    xr::GraphicsOptions go;
    go.validation = true;
    go.overlayWidth = 96;
    go.overlayHeight = 64;
    auto gfx = (*system)->createGraphics(go);
    ASSERT_TRUE(gfx) << gfx.error().message;
    EXPECT_NE((*gfx)->ui(), nullptr);
    drawFrames(**system, **gfx, Vec4(0.0f, 1.0f, 0.0f, 1.0f), 3);
    ASSERT_TRUE((*gfx)->renderer().waitIdle());
    EXPECT_EQ((*gfx)->validation().errors, 0u);
    EXPECT_EQ((*gfx)->validation().warnings, 0u);

    // Released and made again, on the same window: a new swapchain and device.
    (*system)->releaseGraphics();
    EXPECT_EQ((*system)->graphics(), nullptr);
    auto again = (*system)->createGraphics(go);
    ASSERT_TRUE(again) << again.error().message;
    drawFrames(**system, **again, Vec4(0.0f, 0.0f, 1.0f, 1.0f), 3);
    ASSERT_TRUE((*again)->renderer().waitIdle());
    EXPECT_EQ((*again)->validation().errors, 0u);

    (*system)->requestQuit();
    EXPECT_FALSE((*system)->pollEvents());
    (*system)->releaseGraphics();
}

}  // namespace
