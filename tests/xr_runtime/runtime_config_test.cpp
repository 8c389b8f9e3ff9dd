// The runtime's config and script parser, without the loader.
#include "runtime_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mxr::xrrt {
namespace {

std::string errorOf(const std::string& text, const std::string& path = "/cfg/test.json") {
    auto r = parseConfig(text, path);
    EXPECT_FALSE(r.has_value()) << text;
    return r ? std::string() : r.error().message;
}

TEST(XrRuntimeConfig, DefaultsWhenNoConfigIsNamed) {
    unsetenv("MXR_XRRT_CONFIG");
    auto c = loadConfigFromEnvironment();
    ASSERT_TRUE(c.has_value());
    EXPECT_TRUE(c->headsetPresent);
    EXPECT_EQ(c->blendModes, std::vector<std::string>{"opaque"});
    EXPECT_EQ(c->viewWidth, 1024U);
    EXPECT_DOUBLE_EQ(c->frameRateHz, 90.0);
    EXPECT_EQ(c->lossPendingAtFrame, -1);
    // Without a script the head stands at 1.6 m and both hands are tracked.
    const InputState s = c->script.sample(100.0);
    EXPECT_FLOAT_EQ(s.head.position.y, 1.6F);
    EXPECT_TRUE(s.hands[0].tracked && s.hands[1].tracked);
}

TEST(XrRuntimeConfig, ParsesEveryKeyAndResolvesPathsBesideTheFile) {
    auto c = parseConfig(R"({
        "system_name": "Rig", "headset_present": false, "blend_modes": ["alpha_blend", "opaque"],
        "hand_tracking": true, "view_size": [640, 480], "fov_deg": {"left": -40, "right": 40, "up": 35, "down": -35},
        "ipd_m": 0.07, "local_origin_height_m": 1.5, "frame_rate_hz": 0, "max_swapchain_samples": 4,
        "interaction_profile": "/interaction_profiles/oculus/touch_controller",
        "loss_pending_at_frame": 12, "exit_at_frame": 40,
        "capture": {"dir": "shots", "frames": [1, 5]}, "event_log": "/abs/events.log",
        "passthrough": true, "spatial_anchors": true, "anchor_store": "anchors.json"})",
                         "/cfg/dir/test.json");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->systemName, "Rig");
    EXPECT_FALSE(c->headsetPresent);
    EXPECT_EQ(c->blendModes, (std::vector<std::string>{"alpha_blend", "opaque"}));
    EXPECT_TRUE(c->handTracking);
    EXPECT_EQ(c->viewWidth, 640U);
    EXPECT_EQ(c->viewHeight, 480U);
    EXPECT_FLOAT_EQ(c->fovUpDeg, 35.0F);
    EXPECT_FLOAT_EQ(c->ipdMeters, 0.07F);
    EXPECT_DOUBLE_EQ(c->frameRateHz, 0.0);
    EXPECT_EQ(c->maxSwapchainSamples, 4U);
    EXPECT_EQ(c->lossPendingAtFrame, 12);
    EXPECT_EQ(c->exitAtFrame, 40);
    EXPECT_EQ(c->captureDir, "/cfg/dir/shots");
    EXPECT_EQ(c->captureFrames, (std::vector<std::int64_t>{1, 5}));
    EXPECT_EQ(c->eventLog, "/abs/events.log");
    EXPECT_TRUE(c->passthrough);
    EXPECT_TRUE(c->spatialAnchors);
    EXPECT_EQ(c->anchorStore, "/cfg/dir/anchors.json");
}

TEST(XrRuntimeConfig, ScriptInterpolatesPosesAndStepsButtons) {
    auto c = parseConfig(R"({"script": {"keyframes": [
        {"frame": 10, "head": {"position": [1, 2, 3]}, "left": {"select": true, "squeeze": 1.0, "thumbstick": [1, 0]}},
        {"frame": 0, "head": {"position": [0, 2, 3]}, "left": {"squeeze": 0.0}},
        {"frame": 20, "right": {"grip": {"position": [0.5, 1, -0.5], "orientation": [0, 0, 0, 2]}}}
    ]}})",
                         "/cfg/test.json");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    const Script& s = c->script;
    EXPECT_FLOAT_EQ(s.sample(5.0).head.position.x, 0.5F);  // keyframes sorted, then lerped
    EXPECT_FLOAT_EQ(s.sample(15.0).head.position.x, 1.0F);  // held after the last key
    EXPECT_FALSE(s.sample(9.9).hands[0].select);            // booleans step
    EXPECT_TRUE(s.sample(10.0).hands[0].select);
    EXPECT_FLOAT_EQ(s.sample(2.5).hands[0].squeeze, 0.25F);
    EXPECT_FLOAT_EQ(s.sample(12.0).hands[0].thumbstick.x, 1.0F);
    // Before its first key a field keeps its default; after its last key it
    // holds; the aim pose follows the grip; quaternions are normalised.
    EXPECT_FLOAT_EQ(s.sample(0.0).hands[1].grip.position.x, defaultInputState().hands[1].grip.position.x);
    const HandInput right = s.sample(25.0).hands[1];
    EXPECT_FLOAT_EQ(right.grip.position.x, 0.5F);
    EXPECT_FLOAT_EQ(right.aim.position.z, -0.5F);
    EXPECT_FLOAT_EQ(right.grip.orientation.w, 1.0F);
}

TEST(XrRuntimeConfig, ErrorsNameTheFileAndTheKey) {
    EXPECT_NE(errorOf("{\"view_size\": 3}").find("/cfg/test.json: view_size: expected an array of 2 numbers"), std::string::npos);
    EXPECT_NE(errorOf(R"({"blend_modes": ["opaque", "glass"]})").find("blend_modes[1]: unknown blend mode 'glass'"),
              std::string::npos);
    EXPECT_NE(errorOf(R"({"script": {"keyframes": [{"head": {}}]}})").find("script.keyframes[0]: missing 'frame'"),
              std::string::npos);
    EXPECT_NE(errorOf(R"({"script": {"keyframes": [{"frame": 2, "right": {"squeeze": 2}}]}})")
                  .find("script.keyframes[0].right.squeeze: must be within [0, 1]"),
              std::string::npos);
    EXPECT_NE(errorOf(R"({"script": {"keyframes": [{"frame": 2, "left": {"grip": {"position": [1, 2]}}}]}})")
                  .find("script.keyframes[0].left.grip.position: expected an array of 3 numbers"),
              std::string::npos);
    EXPECT_NE(errorOf(R"({"frame_rate_hz": "fast"})").find("frame_rate_hz: expected a number"), std::string::npos);
    EXPECT_NE(errorOf("{\"hand_tracking\": true,}").find("/cfg/test.json: not valid JSON"), std::string::npos);
    EXPECT_NE(errorOf("[1, 2]").find("(root): expected an object"), std::string::npos);
}

TEST(XrRuntimeConfig, ScriptFileErrorsNameTheScriptFile) {
    const auto dir = std::filesystem::temp_directory_path() / ("mxr_xrrt_config_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string config = (dir / "config.json").string();
    std::ofstream(config) << R"({"script": "moves.json"})";
    std::ofstream(dir / "moves.json") << R"({"keyframes": [{"frame": -1}]})";
    auto r = loadConfigFile(config);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find((dir / "moves.json").string() + ": (root).keyframes[0].frame: must be at least 0"),
              std::string::npos)
        << r.error().message;
    std::filesystem::remove(dir / "moves.json");
    r = loadConfigFile(config);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find(config + ": script: "), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("cannot open file"), std::string::npos) << r.error().message;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mxr::xrrt
