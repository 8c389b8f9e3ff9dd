// engine/platform's window under Xvfb: size, resize, close, the Vulkan
// surface extensions. (Run by CTest inside xvfb-run.)
#include <gtest/gtest.h>

#include <cstring>

#include "engine/platform/window.h"

namespace {

using namespace mxr;

TEST(Window, OpensAtItsSizeFollowsResizesAndCloses) {
    ASSERT_TRUE(engine::Window::probeDisplay());
    engine::WindowOptions o;
    o.width = 320;
    o.height = 200;
    auto w = engine::Window::create(o);
    ASSERT_TRUE(w) << w.error().message;
    (*w)->pollEvents();
    EXPECT_EQ((*w)->framebufferSize().width, 320u);
    EXPECT_EQ((*w)->framebufferSize().height, 200u);
    (*w)->setSize(400, 300);
    for (int i = 0; i < 50 && (*w)->framebufferSize().width != 400; ++i) (*w)->pollEvents();
    EXPECT_EQ((*w)->framebufferSize().width, 400u);
    EXPECT_EQ((*w)->framebufferSize().height, 300u);
    EXPECT_FALSE((*w)->closeRequested());
    (*w)->requestClose();
    EXPECT_TRUE((*w)->closeRequested());
    EXPECT_FALSE((*w)->input().mouseLook);
}

TEST(Window, NamesTheVulkanSurfaceExtensionsWhileOneIsOpen) {
    auto w = engine::Window::create({});  // GLFW lives while a window does
    ASSERT_TRUE(w) << w.error().message;
    const auto exts = engine::Window::requiredVulkanExtensions();
    bool surface = false;
    for (const char* e : exts) surface = surface || std::strcmp(e, "VK_KHR_surface") == 0;
    EXPECT_TRUE(surface);
}

}  // namespace
