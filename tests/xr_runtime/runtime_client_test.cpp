// The headless runtime as an application sees it, through Debian's OpenXR
// loader (XR_RUNTIME_JSON is set by CTest to the generated manifest).
#include "xr_test_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace mxr::xrrt::test {
namespace {

std::string baseConfig(const std::string& extra = "") {
    return std::string(R"({"frame_rate_hz": 0, "view_size": [64, 48], "event_log": "events.log")") +
           (extra.empty() ? "" : ", " + extra) + "}";
}


void runUntilFocused(Client& c) {
    for (int i = 0; i < kMaxFrames && c.state != XR_SESSION_STATE_FOCUSED; ++i) ASSERT_EQ(c.runFrame(nullptr), XR_SUCCESS);
    ASSERT_EQ(c.state, XR_SESSION_STATE_FOCUSED);
}

TEST(XrRuntime, ClearedArraySwapchainLayersAreCapturedAsPngs) {
    useConfig("config.json", baseConfig(R"("system_name": "Test HMD", "capture": {"dir": "captures", "frames": [3]})"));
    Client c;
    ASSERT_NO_FATAL_FAILURE(startSession(c));

    XrSystemProperties props{};
    props.type = XR_TYPE_SYSTEM_PROPERTIES;
    ASSERT_EQ(xrGetSystemProperties(c.instance, c.systemId, &props), XR_SUCCESS);
    EXPECT_STREQ(props.systemName, "Test HMD");

    // Negotiate: the first format of the runtime's list the app also wants.
    uint32_t count = 0;
    ASSERT_EQ(xrEnumerateSwapchainFormats(c.session, 0, &count, nullptr), XR_SUCCESS);
    std::vector<int64_t> formats(count);
    ASSERT_EQ(xrEnumerateSwapchainFormats(c.session, count, &count, formats.data()), XR_SUCCESS);
    const std::vector<int64_t> wanted{VK_FORMAT_R8G8B8A8_SRGB, VK_FORMAT_B8G8R8A8_SRGB};
    const auto chosen = std::find_first_of(formats.begin(), formats.end(), wanted.begin(), wanted.end());
    ASSERT_NE(chosen, formats.end());

    XrSwapchain swapchain = XR_NULL_HANDLE;
    ASSERT_EQ(c.createColorSwapchain(*chosen, 2, swapchain), XR_SUCCESS);
    const std::vector<VkImage> images = c.swapchainImages(swapchain);
    ASSERT_FALSE(images.empty());

    runUntilFocused(c);
    // Left eye red, right eye green; the colour changes after the captured
    // frame so a capture of the wrong frame would show.
    std::vector<XrCompositionLayerProjectionView> views(2);
    XrCompositionLayerProjection layer{};
    for (int frame = 0; frame < 8; ++frame) {
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
            const float g = c.framesRendered > 6 ? 0.0F : 1.0F;
            c.clearLayers(images[index], {VkClearColorValue{{1.0F, 0.0F, 0.0F, 1.0F}}, VkClearColorValue{{0.0F, g, 0.0F, 1.0F}}});
            ASSERT_EQ(xrReleaseSwapchainImage(swapchain, nullptr), XR_SUCCESS);
            for (uint32_t v = 0; v < 2; ++v) {
                views[v] = XrCompositionLayerProjectionView{XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW, nullptr, located[v].pose,
                                                            located[v].fov, {}};
                views[v].subImage.swapchain = swapchain;
                views[v].subImage.imageRect = {{0, 0}, {static_cast<int32_t>(c.viewWidth), static_cast<int32_t>(c.viewHeight)}};
                views[v].subImage.imageArrayIndex = v;
            }
            layer = XrCompositionLayerProjection{XR_TYPE_COMPOSITION_LAYER_PROJECTION, nullptr, 0, c.stage, 2, views.data()};
            layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer));
        }),
                  XR_SUCCESS);
    }
    const std::filesystem::path dir = std::filesystem::path(tempDir()) / "captures";
    Image left;
    Image right;
    ASSERT_TRUE(loadPng((dir / "frame3_view0.png").string(), left)) << "no capture in " << dir;
    ASSERT_TRUE(loadPng((dir / "frame3_view1.png").string(), right));
    ASSERT_EQ(left.width, 64);
    ASSERT_EQ(left.height, 48);
    for (auto [x, y] : {std::pair{0, 0}, std::pair{63, 47}, std::pair{32, 20}}) {
        EXPECT_EQ(left.at(x, y)[0], 255);
        EXPECT_EQ(left.at(x, y)[1], 0);
        EXPECT_EQ(right.at(x, y)[0], 0);
        EXPECT_EQ(right.at(x, y)[1], 255);
        EXPECT_EQ(right.at(x, y)[3], 255);
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "frame2_view0.png"));
    const std::string log = readText((std::filesystem::path(tempDir()) / "events.log").string());
    EXPECT_NE(log.find("frame 3 blend opaque layers 1 projection"), std::string::npos) << log;
    EXPECT_TRUE(c.validationMessages.empty()) << c.validationMessages.front();
}

TEST(XrRuntime, LifecycleReachesFocusedAndExitsOnRequest) {
    useConfig("config.json", baseConfig());
    Client c;
    ASSERT_NO_FATAL_FAILURE(startSession(c));
    EXPECT_EQ(c.pollEvents(), (std::vector<XrSessionState>{XR_SESSION_STATE_IDLE, XR_SESSION_STATE_READY}));

    XrFrameState fs{XR_TYPE_FRAME_STATE, nullptr, 0, 0, XR_FALSE};
    EXPECT_EQ(xrWaitFrame(c.session, nullptr, &fs), XR_ERROR_SESSION_NOT_RUNNING);
    EXPECT_EQ(xrRequestExitSession(c.session), XR_ERROR_SESSION_NOT_RUNNING);
    XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO, nullptr, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_MONO};
    EXPECT_EQ(xrBeginSession(c.session, &begin), XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED);
    begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    ASSERT_EQ(xrBeginSession(c.session, &begin), XR_SUCCESS);
    c.running = true;
    EXPECT_EQ(xrBeginSession(c.session, &begin), XR_ERROR_SESSION_RUNNING);
    EXPECT_EQ(xrBeginFrame(c.session, nullptr), XR_ERROR_CALL_ORDER_INVALID);
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO, nullptr, 1, XR_ENVIRONMENT_BLEND_MODE_OPAQUE, 0, nullptr};
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_ERROR_CALL_ORDER_INVALID);
    EXPECT_EQ(xrEndSession(c.session), XR_ERROR_SESSION_NOT_STOPPING);

    // Predicted display times advance by at least the period.
    ASSERT_EQ(xrWaitFrame(c.session, nullptr, &fs), XR_SUCCESS);
    const XrTime first = fs.predictedDisplayTime;
    EXPECT_GT(fs.predictedDisplayPeriod, 0);
    ASSERT_EQ(xrBeginFrame(c.session, nullptr), XR_SUCCESS);
    end.displayTime = fs.predictedDisplayTime;
    end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_ADDITIVE;
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED);
    end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    ASSERT_EQ(xrEndFrame(c.session, &end), XR_SUCCESS);
    ASSERT_EQ(xrWaitFrame(c.session, nullptr, &fs), XR_SUCCESS);
    EXPECT_GE(fs.predictedDisplayTime - first, fs.predictedDisplayPeriod);
    ASSERT_EQ(xrBeginFrame(c.session, nullptr), XR_SUCCESS);
    EXPECT_EQ(xrBeginFrame(c.session, nullptr), XR_ERROR_CALL_ORDER_INVALID);  // no second xrWaitFrame
    end.displayTime = fs.predictedDisplayTime;
    ASSERT_EQ(xrEndFrame(c.session, &end), XR_SUCCESS);

    runUntilFocused(c);
    EXPECT_EQ(c.statesSeen, (std::vector<XrSessionState>{XR_SESSION_STATE_IDLE, XR_SESSION_STATE_READY,
                                                          XR_SESSION_STATE_SYNCHRONIZED, XR_SESSION_STATE_VISIBLE,
                                                          XR_SESSION_STATE_FOCUSED}));
    ASSERT_EQ(xrRequestExitSession(c.session), XR_SUCCESS);
    for (int i = 0; i < kMaxFrames && c.running; ++i) ASSERT_EQ(c.runFrame(nullptr), XR_SUCCESS);
    c.pollEvents();
    EXPECT_EQ(c.statesSeen, (std::vector<XrSessionState>{
                                XR_SESSION_STATE_IDLE, XR_SESSION_STATE_READY, XR_SESSION_STATE_SYNCHRONIZED,
                                XR_SESSION_STATE_VISIBLE, XR_SESSION_STATE_FOCUSED, XR_SESSION_STATE_VISIBLE,
                                XR_SESSION_STATE_SYNCHRONIZED, XR_SESSION_STATE_STOPPING, XR_SESSION_STATE_IDLE,
                                XR_SESSION_STATE_EXITING}));
    EXPECT_EQ(xrEndSession(c.session), XR_ERROR_SESSION_NOT_RUNNING);
}

TEST(XrRuntime, RuntimeInitiatedExitAndPacedFrames) {
    useConfig("config.json", R"({"frame_rate_hz": 240, "view_size": [16, 16], "exit_at_frame": 6})");
    Client c;
    ASSERT_NO_FATAL_FAILURE(startSession(c));
    std::vector<XrFrameState> states;
    for (int i = 0; i < kMaxFrames && c.state != XR_SESSION_STATE_EXITING; ++i) {
        ASSERT_EQ(c.runFrame([&](const XrFrameState& fs, std::vector<const XrCompositionLayerBaseHeader*>&) {
            states.push_back(fs);
        }),
                  XR_SUCCESS);
    }
    ASSERT_EQ(c.state, XR_SESSION_STATE_EXITING);
    EXPECT_FALSE(c.running);
    const std::vector<XrSessionState> tail(c.statesSeen.end() - 5, c.statesSeen.end());
    EXPECT_EQ(tail, (std::vector<XrSessionState>{XR_SESSION_STATE_VISIBLE, XR_SESSION_STATE_SYNCHRONIZED,
                                                  XR_SESSION_STATE_STOPPING, XR_SESSION_STATE_IDLE, XR_SESSION_STATE_EXITING}));
    // Frames 1..5 rendered (frame 0 is before VISIBLE, frame 6 stops).
    ASSERT_EQ(states.size(), 5U);
    for (std::size_t i = 1; i < states.size(); ++i) {
        EXPECT_EQ(states[i].predictedDisplayPeriod, 1000000000 / 240);
        EXPECT_GE(states[i].predictedDisplayTime - states[i - 1].predictedDisplayTime, states[i].predictedDisplayPeriod);
    }
}

TEST(XrRuntime, LossPendingSessionIsRecreated) {
    useConfig("config.json", baseConfig(R"("loss_pending_at_frame": 5)"));
    Client c;
    ASSERT_NO_FATAL_FAILURE(startSession(c));
    XrResult r = XR_SUCCESS;
    for (int i = 0; i < kMaxFrames && r == XR_SUCCESS; ++i) r = c.runFrame(nullptr);
    ASSERT_EQ(r, XR_ERROR_SESSION_LOST);
    c.pollEvents();
    EXPECT_EQ(c.state, XR_SESSION_STATE_LOSS_PENDING);
    XrFrameState fs{XR_TYPE_FRAME_STATE, nullptr, 0, 0, XR_FALSE};
    EXPECT_EQ(xrWaitFrame(c.session, nullptr, &fs), XR_ERROR_SESSION_LOST);
    EXPECT_EQ(xrRequestExitSession(c.session), XR_ERROR_SESSION_LOST);
    uint32_t count = 0;
    EXPECT_EQ(xrEnumerateSwapchainFormats(c.session, 0, &count, nullptr), XR_ERROR_SESSION_LOST);

    // The application destroys the lost session and makes a new one on the
    // same instance and device; that one runs normally.
    c.destroySession();
    c.statesSeen.clear();
    ASSERT_EQ(c.createSession(), XR_SUCCESS);
    ASSERT_EQ(c.createSpaces(), XR_SUCCESS);
    runUntilFocused(c);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(c.runFrame(nullptr), XR_SUCCESS);
    EXPECT_EQ(c.state, XR_SESSION_STATE_FOCUSED);
    const std::string log = readText((std::filesystem::path(tempDir()) / "events.log").string());
    EXPECT_NE(log.find("session loss_pending frame 5"), std::string::npos) << log;
}

TEST(XrRuntime, NoHeadsetIsFormFactorUnavailable) {
    useConfig("config.json", baseConfig(R"("headset_present": false)"));
    Client c;
    ASSERT_EQ(c.createInstance(), XR_SUCCESS);
    EXPECT_EQ(c.getSystem(), XR_ERROR_FORM_FACTOR_UNAVAILABLE);
}

TEST(XrRuntime, MissingRuntimeManifestIsRuntimeUnavailable) {
    useConfig("config.json", baseConfig());
    const char* saved = std::getenv("XR_RUNTIME_JSON");
    const std::string previous = saved != nullptr ? saved : "";
    setenv("XR_RUNTIME_JSON", (tempDir() + "/no_such_runtime.json").c_str(), 1);
    Client c;
    EXPECT_EQ(c.createInstance(), XR_ERROR_RUNTIME_UNAVAILABLE);
    setenv("XR_RUNTIME_JSON", previous.c_str(), 1);
}

TEST(XrRuntime, UnknownExtensionIsRejected) {
    useConfig("config.json", baseConfig());
    Client c;
    EXPECT_EQ(c.createInstance({XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, "XR_MXR_no_such_extension"}),
              XR_ERROR_EXTENSION_NOT_PRESENT);
    // Hand tracking is offered only when the config turns it on.
    Client d;
    EXPECT_EQ(d.createInstance({XR_EXT_HAND_TRACKING_EXTENSION_NAME}), XR_ERROR_EXTENSION_NOT_PRESENT);
}

TEST(XrRuntime, MalformedConfigFailsWithMessageNamingFileAndKey) {
    const std::string path = useConfig("broken.json", R"({"frame_rate_hz": 0, "blend_mode": ["opaque"]})");
    Client c;
    testing::internal::CaptureStderr();
    const XrResult r = c.createInstance();
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r, XR_ERROR_RUNTIME_FAILURE);
    EXPECT_NE(err.find(path), std::string::npos) << err;
    EXPECT_NE(err.find("unknown key 'blend_mode'"), std::string::npos) << err;

    const std::string path2 = useConfig("truncated.json", R"({"script": {"keyframes": [{"frame": 1, "head": )");
    testing::internal::CaptureStderr();
    EXPECT_EQ(c.createInstance(), XR_ERROR_RUNTIME_FAILURE);
    const std::string err2 = testing::internal::GetCapturedStderr();
    EXPECT_NE(err2.find(path2), std::string::npos) << err2;
    EXPECT_NE(err2.find("not valid JSON"), std::string::npos) << err2;
}

TEST(XrRuntime, BlendModesComeFromConfig) {
    useConfig("config.json", baseConfig(R"("blend_modes": ["additive", "alpha_blend"])"));
    Client c;
    ASSERT_EQ(c.createInstance(), XR_SUCCESS);
    ASSERT_EQ(c.getSystem(), XR_SUCCESS);
    uint32_t n = 0;
    ASSERT_EQ(xrEnumerateEnvironmentBlendModes(c.instance, c.systemId, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &n, nullptr),
              XR_SUCCESS);
    std::vector<XrEnvironmentBlendMode> modes(n);
    ASSERT_EQ(xrEnumerateEnvironmentBlendModes(c.instance, c.systemId, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, n, &n,
                                               modes.data()),
              XR_SUCCESS);
    EXPECT_EQ(modes, (std::vector<XrEnvironmentBlendMode>{XR_ENVIRONMENT_BLEND_MODE_ADDITIVE, XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND}));
}

TEST(XrRuntime, NamesPathsAndTimes) {
    useConfig("config.json", baseConfig());
    Client c;
    ASSERT_EQ(c.createInstance({XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, XR_KHR_CONVERT_TIMESPEC_TIME_EXTENSION_NAME}), XR_SUCCESS);
    char text[XR_MAX_RESULT_STRING_SIZE] = {};
    ASSERT_EQ(xrResultToString(c.instance, XR_ERROR_SESSION_LOST, text), XR_SUCCESS);
    EXPECT_STREQ(text, "XR_ERROR_SESSION_LOST");
    char type[XR_MAX_STRUCTURE_NAME_SIZE] = {};
    ASSERT_EQ(xrStructureTypeToString(c.instance, XR_TYPE_FRAME_STATE, type), XR_SUCCESS);
    EXPECT_STREQ(type, "XR_TYPE_FRAME_STATE");

    XrPath p = XR_NULL_PATH;
    EXPECT_EQ(xrStringToPath(c.instance, "/user/Hand/left", &p), XR_ERROR_PATH_FORMAT_INVALID);
    EXPECT_EQ(xrStringToPath(c.instance, "/user//hand", &p), XR_ERROR_PATH_FORMAT_INVALID);
    EXPECT_EQ(xrStringToPath(c.instance, "/user/hand/", &p), XR_ERROR_PATH_FORMAT_INVALID);
    ASSERT_EQ(xrStringToPath(c.instance, "/user/hand/left", &p), XR_SUCCESS);
    XrPath again = XR_NULL_PATH;
    ASSERT_EQ(xrStringToPath(c.instance, "/user/hand/left", &again), XR_SUCCESS);
    EXPECT_EQ(p, again);
    char buffer[XR_MAX_PATH_LENGTH] = {};
    uint32_t n = 0;
    ASSERT_EQ(xrPathToString(c.instance, p, sizeof(buffer), &n, buffer), XR_SUCCESS);
    EXPECT_STREQ(buffer, "/user/hand/left");
    EXPECT_EQ(n, 16U);
    EXPECT_EQ(xrPathToString(c.instance, p + 1000, sizeof(buffer), &n, buffer), XR_ERROR_PATH_INVALID);

    auto toTime = c.proc<PFN_xrConvertTimespecTimeToTimeKHR>("xrConvertTimespecTimeToTimeKHR");
    auto toTimespec = c.proc<PFN_xrConvertTimeToTimespecTimeKHR>("xrConvertTimeToTimespecTimeKHR");
    ASSERT_TRUE(toTime && toTimespec);
    const timespec ts{12, 345};
    XrTime t = 0;
    ASSERT_EQ(toTime(c.instance, &ts, &t), XR_SUCCESS);
    EXPECT_EQ(t, 12000000345);
    timespec back{};
    ASSERT_EQ(toTimespec(c.instance, t, &back), XR_SUCCESS);
    EXPECT_EQ(back.tv_sec, 12);
    EXPECT_EQ(back.tv_nsec, 345);
    // Functions of extensions the instance did not enable are not handed out.
    PFN_xrVoidFunction f = nullptr;
    EXPECT_EQ(xrGetInstanceProcAddr(c.instance, "xrCreateHandTrackerEXT", &f), XR_ERROR_FUNCTION_UNSUPPORTED);
    EXPECT_EQ(xrGetInstanceProcAddr(c.instance, "xrGetVulkanGraphicsDeviceKHR", &f), XR_ERROR_FUNCTION_UNSUPPORTED);
}

TEST(XrRuntime, SwapchainFormatsAndImageOrder) {
    useConfig("config.json", baseConfig());
    Client c;
    ASSERT_NO_FATAL_FAILURE(startSession(c));
    uint32_t count = 0;
    ASSERT_EQ(xrEnumerateSwapchainFormats(c.session, 0, &count, nullptr), XR_SUCCESS);
    std::vector<int64_t> formats(count);
    ASSERT_EQ(xrEnumerateSwapchainFormats(c.session, count, &count, formats.data()), XR_SUCCESS);
    ASSERT_FALSE(formats.empty());
    EXPECT_EQ(formats.front(), VK_FORMAT_R8G8B8A8_SRGB);  // preferred first
    EXPECT_NE(std::find(formats.begin(), formats.end(), VK_FORMAT_D32_SFLOAT), formats.end());

    XrSwapchain sc = XR_NULL_HANDLE;
    EXPECT_EQ(c.createColorSwapchain(VK_FORMAT_R8_UNORM, 1, sc), XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED);
    XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO, nullptr, 0, XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT,
                               VK_FORMAT_R8G8B8A8_SRGB, 3, 64, 48, 1, 2, 1};
    EXPECT_EQ(xrCreateSwapchain(c.session, &info, &sc), XR_ERROR_FEATURE_UNSUPPORTED);  // 3 samples
    info.sampleCount = 1;
    info.mipCount = 20;
    EXPECT_EQ(xrCreateSwapchain(c.session, &info, &sc), XR_ERROR_VALIDATION_FAILURE);

    XrSwapchain depth = XR_NULL_HANDLE;
    info.mipCount = 1;
    info.format = VK_FORMAT_D32_SFLOAT;
    info.usageFlags = XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
    ASSERT_EQ(xrCreateSwapchain(c.session, &info, &depth), XR_SUCCESS);
    EXPECT_EQ(c.swapchainImages(depth).size(), 3U);
    xrDestroySwapchain(depth);

    ASSERT_EQ(c.createColorSwapchain(VK_FORMAT_R8G8B8A8_SRGB, 2, sc), XR_SUCCESS);
    XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO, nullptr, XR_INFINITE_DURATION};
    EXPECT_EQ(xrWaitSwapchainImage(sc, &wait), XR_ERROR_CALL_ORDER_INVALID);
    EXPECT_EQ(xrReleaseSwapchainImage(sc, nullptr), XR_ERROR_CALL_ORDER_INVALID);
    uint32_t a = 0;
    uint32_t b = 0;
    ASSERT_EQ(xrAcquireSwapchainImage(sc, nullptr, &a), XR_SUCCESS);
    ASSERT_EQ(xrAcquireSwapchainImage(sc, nullptr, &b), XR_SUCCESS);
    EXPECT_NE(a, b);
    EXPECT_EQ(xrReleaseSwapchainImage(sc, nullptr), XR_ERROR_CALL_ORDER_INVALID);  // not waited
    ASSERT_EQ(xrWaitSwapchainImage(sc, &wait), XR_SUCCESS);
    EXPECT_EQ(xrWaitSwapchainImage(sc, &wait), XR_ERROR_CALL_ORDER_INVALID);
    ASSERT_EQ(xrReleaseSwapchainImage(sc, nullptr), XR_SUCCESS);
    ASSERT_EQ(xrWaitSwapchainImage(sc, &wait), XR_SUCCESS);
    ASSERT_EQ(xrReleaseSwapchainImage(sc, nullptr), XR_SUCCESS);

    // A layer must stay inside the image: a rect past its edge is rejected.
    runUntilFocused(c);
    XrCompositionLayerProjectionView views[2]{};
    for (uint32_t v = 0; v < 2; ++v) {
        views[v].type = XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW;
        views[v].pose.orientation.w = 1.0F;
        views[v].subImage = {sc, {{0, 0}, {65, 48}}, v};
    }
    XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION, nullptr, 0, c.stage, 2, views};
    const XrCompositionLayerBaseHeader* layers[] = {reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer)};
    XrFrameState fs{XR_TYPE_FRAME_STATE, nullptr, 0, 0, XR_FALSE};
    ASSERT_EQ(xrWaitFrame(c.session, nullptr, &fs), XR_SUCCESS);
    ASSERT_EQ(xrBeginFrame(c.session, nullptr), XR_SUCCESS);
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO, nullptr, fs.predictedDisplayTime, XR_ENVIRONMENT_BLEND_MODE_OPAQUE, 1, layers};
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_ERROR_SWAPCHAIN_RECT_INVALID);
    views[1].subImage.imageRect.extent.width = 64;
    views[0].subImage.imageRect.extent.width = 64;
    views[1].subImage.imageArrayIndex = 2;
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_ERROR_VALIDATION_FAILURE);
    views[1].subImage.imageArrayIndex = 1;
    // A panel as a quad layer over the projection.
    XrCompositionLayerQuad quad{XR_TYPE_COMPOSITION_LAYER_QUAD, nullptr, 0, c.stage, XR_EYE_VISIBILITY_BOTH,
                                {sc, {{0, 0}, {32, 32}}, 0}, {{0, 0, 0, 1}, {0, 1.5F, -1}}, {0.5F, 0.5F}};
    const XrCompositionLayerBaseHeader* twoLayers[] = {layers[0], reinterpret_cast<const XrCompositionLayerBaseHeader*>(&quad)};
    end.layerCount = 2;
    end.layers = twoLayers;
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_SUCCESS);
    const std::string log = readText((std::filesystem::path(tempDir()) / "events.log").string());
    EXPECT_NE(log.find("layers 2 projection quad"), std::string::npos) << log;
    EXPECT_TRUE(c.validationMessages.empty()) << c.validationMessages.front();
}

}  // namespace
}  // namespace mxr::xrrt::test
