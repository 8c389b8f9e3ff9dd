// XR_FB_passthrough in the headless runtime, through the real loader: a
// running passthrough layer under a see-through projection puts the camera
// test pattern under the captured view (premultiplied alpha, opaque
// result); paused, the view is captured as submitted.
#include <gtest/gtest.h>

#include <filesystem>

#include "xr_test_client.h"

namespace mxr::xrrt::test {
namespace {

TEST(XrRuntimePassthrough, ARunningLayerShowsTheCameraUnderTheViewAndAPausedOneDoesNot) {
    useConfig("config.json", R"({"frame_rate_hz": 0, "view_size": [64, 48], "passthrough": true,
                                 "event_log": "events.log", "capture": {"dir": "pt", "frames": [3, 6]}})");
    Client c;
    ASSERT_EQ(c.createInstance({XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, XR_FB_PASSTHROUGH_EXTENSION_NAME}), XR_SUCCESS);
    ASSERT_EQ(c.getSystem(), XR_SUCCESS);
    XrSystemPassthroughPropertiesFB pass{XR_TYPE_SYSTEM_PASSTHROUGH_PROPERTIES_FB};
    XrSystemProperties props{XR_TYPE_SYSTEM_PROPERTIES, &pass};
    ASSERT_EQ(xrGetSystemProperties(c.instance, c.systemId, &props), XR_SUCCESS);
    EXPECT_EQ(pass.supportsPassthrough, XR_TRUE);
    ASSERT_NO_FATAL_FAILURE(c.createVulkan());
    ASSERT_EQ(c.createSession(), XR_SUCCESS);
    ASSERT_EQ(c.createSpaces(), XR_SUCCESS);

    auto create = c.proc<PFN_xrCreatePassthroughFB>("xrCreatePassthroughFB");
    auto createLayer = c.proc<PFN_xrCreatePassthroughLayerFB>("xrCreatePassthroughLayerFB");
    auto pauseLayer = c.proc<PFN_xrPassthroughLayerPauseFB>("xrPassthroughLayerPauseFB");
    XrPassthroughCreateInfoFB pci{XR_TYPE_PASSTHROUGH_CREATE_INFO_FB, nullptr, XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB};
    XrPassthroughFB feature = XR_NULL_HANDLE;
    ASSERT_EQ(create(c.session, &pci, &feature), XR_SUCCESS);
    XrPassthroughLayerCreateInfoFB lci{XR_TYPE_PASSTHROUGH_LAYER_CREATE_INFO_FB, nullptr, feature,
                                       XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB,
                                       XR_PASSTHROUGH_LAYER_PURPOSE_RECONSTRUCTION_FB};
    XrPassthroughLayerFB cameraLayer = XR_NULL_HANDLE;
    ASSERT_EQ(createLayer(c.session, &lci, &cameraLayer), XR_SUCCESS);
    lci.purpose = XR_PASSTHROUGH_LAYER_PURPOSE_PROJECTED_FB;
    XrPassthroughLayerFB projected = XR_NULL_HANDLE;
    EXPECT_EQ(createLayer(c.session, &lci, &projected), XR_ERROR_FEATURE_UNSUPPORTED);

    XrSwapchain swapchain = XR_NULL_HANDLE;
    ASSERT_EQ(c.createColorSwapchain(VK_FORMAT_R8G8B8A8_SRGB, 2, swapchain), XR_SUCCESS);
    const std::vector<VkImage> images = c.swapchainImages(swapchain);
    std::vector<XrCompositionLayerProjectionView> views(2);
    XrCompositionLayerProjection layer{};
    XrCompositionLayerPassthroughFB under{XR_TYPE_COMPOSITION_LAYER_PASSTHROUGH_FB, nullptr, 0, XR_NULL_HANDLE, cameraLayer};
    for (int i = 0; i < 200 && c.framesRendered < 8; ++i) {
        if (c.framesRendered == 5) {
            EXPECT_EQ(pauseLayer(cameraLayer), XR_SUCCESS);  // before frame 6's capture
        }
        ASSERT_EQ(c.runFrame([&](const XrFrameState& fs, std::vector<const XrCompositionLayerBaseHeader*>& layers) {
            XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO, nullptr, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO,
                                    fs.predictedDisplayTime, c.stage};
            XrViewState viewState{XR_TYPE_VIEW_STATE, nullptr, 0};
            std::vector<XrView> located(2, XrView{XR_TYPE_VIEW, nullptr, {}, {}});
            uint32_t n = 0;
            ASSERT_EQ(xrLocateViews(c.session, &locate, &viewState, 2, &n, located.data()), XR_SUCCESS);
            uint32_t index = 0;
            ASSERT_EQ(xrAcquireSwapchainImage(swapchain, nullptr, &index), XR_SUCCESS);
            XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO, nullptr, XR_INFINITE_DURATION};
            ASSERT_EQ(xrWaitSwapchainImage(swapchain, &wait), XR_SUCCESS);
            // Left: nothing drawn (transparent); right: half-covering red, premultiplied.
            c.clearLayers(images[index], {VkClearColorValue{{0.0F, 0.0F, 0.0F, 0.0F}}, VkClearColorValue{{0.5F, 0.0F, 0.0F, 0.5F}}});
            ASSERT_EQ(xrReleaseSwapchainImage(swapchain, nullptr), XR_SUCCESS);
            for (uint32_t v = 0; v < 2; ++v) {
                views[v] = XrCompositionLayerProjectionView{XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW, nullptr, located[v].pose,
                                                            located[v].fov, {}};
                views[v].subImage.swapchain = swapchain;
                views[v].subImage.imageRect = {{0, 0}, {static_cast<int32_t>(c.viewWidth), static_cast<int32_t>(c.viewHeight)}};
                views[v].subImage.imageArrayIndex = v;
            }
            layer = XrCompositionLayerProjection{XR_TYPE_COMPOSITION_LAYER_PROJECTION, nullptr,
                                                 XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT, c.stage, 2, views.data()};
            if (c.running) {
                layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&under));
                layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer));
            }
        }),
                  XR_SUCCESS);
    }
    const std::filesystem::path dir = std::filesystem::path(tempDir()) / "pt";
    Image left, right, paused;
    ASSERT_TRUE(loadPng((dir / "frame3_view0.png").string(), left)) << "no capture in " << dir;
    ASSERT_TRUE(loadPng((dir / "frame3_view1.png").string(), right));
    ASSERT_TRUE(loadPng((dir / "frame6_view0.png").string(), paused));
    // The first colour bar (near white) and, below two thirds, the checkerboard.
    EXPECT_EQ(left.at(2, 2)[0], 235);
    EXPECT_EQ(left.at(2, 2)[2], 235);
    EXPECT_EQ(left.at(2, 2)[3], 255);
    EXPECT_EQ(left.at(60, 2)[0], 16);  // the last bar is black
    EXPECT_EQ(left.at(2, 40)[0], 180);  // a light square
    // Half red over the camera: red stronger than green, green not zero.
    EXPECT_GT(right.at(2, 2)[0], right.at(2, 2)[1] + 40);
    EXPECT_GT(right.at(2, 2)[1], 100);
    EXPECT_EQ(right.at(2, 2)[3], 255);
    // Paused: the view as submitted.
    EXPECT_EQ(paused.at(2, 2)[3], 0);
    const std::string log = readText((std::filesystem::path(tempDir()) / "events.log").string());
    EXPECT_NE(log.find("frame 3 blend opaque layers 2 passthrough projection"), std::string::npos) << log;
    EXPECT_TRUE(c.validationMessages.empty()) << c.validationMessages.front();
}

}  // namespace
}  // namespace mxr::xrrt::test
