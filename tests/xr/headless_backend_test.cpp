// The headless backend directly (no client): the graphics bundle, frames in
// virtual time, stereo views, captures, quitting and releasing.
#include <gtest/gtest.h>

#include "engine/render/image_io.h"
#include "xr/xr_system.h"

namespace {

using namespace mxr;

Logger quiet() { return Logger(std::make_shared<StderrSink>(LogLevel::kWarn), "test"); }

TEST(HeadlessBackend, StereoFramesInVirtualTimeDrawTheClearColour) {
    xr::HeadlessOptions h;
    h.width = h.height = 64;
    h.stereo = true;
    auto system = xr::makeHeadlessSystem(h, quiet());
    EXPECT_EQ(system->graphics(), nullptr);
    xr::GraphicsOptions go;
    go.validation = true;
    auto gfx = system->createGraphics(go);
    ASSERT_TRUE(gfx) << gfx.error().message;
    EXPECT_EQ((*gfx)->ui(), nullptr) << "no overlay was asked for";
    engine::FrameScene scene;
    scene.clearColor = Vec4(1.0f, 0.0f, 0.0f, 1.0f);
    Nanos last = 0;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(system->pollEvents());
        auto f = system->beginFrame();
        ASSERT_TRUE(f) << f.error().message;
        ASSERT_TRUE(f->shouldRender);
        ASSERT_EQ(f->views.size(), 2u);
        EXPECT_NEAR(f->deltaSeconds, 1.0 / 90.0, 1e-8);
        EXPECT_GT(f->predictedDisplayTime, last);
        last = f->predictedDisplayTime;
        // The eyes are 63 mm apart.
        EXPECT_NEAR(glm::length(f->views[0].pose.position - f->views[1].pose.position), 0.063f, 1e-5f);
        ASSERT_TRUE((*gfx)->renderer().drawFrame(scene, f->views, f->target));
        for (std::uint32_t v = 0; v < 2; ++v) {
            auto img = system->captureFrame(*f, v);
            ASSERT_TRUE(img) << img.error().message;
            const Vec4 c = engine::pixelAt(*img, 32, 32);
            EXPECT_GT(c.r, 0.99f);
            EXPECT_LT(c.g, 0.01f);
        }
        ASSERT_TRUE(system->endFrame(*f));
    }
    system->requestQuit();
    EXPECT_FALSE(system->pollEvents());
    ASSERT_TRUE((*gfx)->renderer().waitIdle());
    EXPECT_EQ((*gfx)->validation().errors, 0u);
    EXPECT_EQ((*gfx)->validation().warnings, 0u);
    system->releaseGraphics();
    EXPECT_EQ(system->graphics(), nullptr);
    system->releaseGraphics();  // harmless twice
}

TEST(HeadlessBackend, TheBundleCarriesAUiLayerWhenAnOverlayIsAsked) {
    xr::HeadlessOptions h;
    h.width = h.height = 32;
    auto system = xr::makeHeadlessSystem(h, quiet());
    xr::GraphicsOptions go;
    go.overlayWidth = go.overlayHeight = 32;
    auto gfx = system->createGraphics(go);
    ASSERT_TRUE(gfx) << gfx.error().message;
    EXPECT_NE((*gfx)->ui(), nullptr);
    EXPECT_FALSE((*gfx)->deviceName().empty());
    // A fresh bundle after release (what recovering from device loss needs).
    system->releaseGraphics();
    auto again = system->createGraphics(go);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_NE((*again)->ui(), nullptr);
}

}  // namespace
