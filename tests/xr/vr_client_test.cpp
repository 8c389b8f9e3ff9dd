// mentorxr --mode vr against the headless OpenXR runtime, as a headset user
// would meet it: both submitted eyes (goldens plus meaning probes), clean
// under the Vulkan and OpenXR validation layers, the session lifecycle (loss
// and restart, runtime-initiated exit, SIGTERM), fall-backs with a clear
// reason, and swapchain format negotiation.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/render/image_io.h"
#include "golden.h"
#include "scenes/avatar.h"
#include "scenes/room.h"
#include "scenes/world_panel.h"
#include "vr_run.h"
#include "xr/xr_system.h"

namespace mxr::test {
namespace {

using nlohmann::json;

// The demo room seen from the default VR start (the room's "table" preset:
// floor point (-0.2, 0, 2.2), facing -Z), head at the runtime's default
// (0, 1.6, 0) in STAGE space, eyes 63 mm apart, 90 degree FOV.
constexpr std::uint32_t kSize = 256;
const json kGoldenConfig = {{"view_size", {kSize, kSize}}, {"frame_rate_hz", 0},
                            {"capture", {{"dir", "cap"}, {"frames", {5}}}}};
const std::string kArgs = "--mode vr --time 0 --validation ";

// The client's session states (logged with -v) are exactly `want`, in
// order, from the first of them on.
bool statesInOrder(const std::string& output, const std::vector<std::string>& want) {
    std::vector<std::string> seen;
    const std::string tag = "OpenXR session state ";
    for (auto at = output.find(tag); at != std::string::npos; at = output.find(tag, at + 1)) {
        const auto start = at + tag.size();
        seen.push_back(output.substr(start, output.find('\n', start) - start));
    }
    for (std::size_t first = 0; first + want.size() <= seen.size(); ++first) {
        if (std::equal(want.begin(), want.end(), seen.begin() + std::ptrdiff_t(first)) &&
            first + want.size() == seen.size()) {
            return true;
        }
    }
    return false;
}

TEST(VrClient, BothSubmittedEyesMatchGoldensAndShowTheRoom) {
    const VrRun r = runVr("golden", kGoldenConfig, kArgs + "--frames 8");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("graphics binding XR_KHR_vulkan_enable2"), std::string::npos) << r.output;
    // Both eyes were submitted as one projection layer every rendered frame.
    EXPECT_NE(r.events.find("frame 5 blend opaque layers 1 projection+depth"), std::string::npos) << r.events;
    auto left = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    auto right = engine::readPng((r.dir / "cap/frame5_view1.png").string());
    ASSERT_TRUE(left && right) << r.events;
    ASSERT_EQ(left->width, kSize);
    EXPECT_TRUE(matchesGolden(*left, "vr_demo_left"));
    EXPECT_TRUE(matchesGolden(*right, "vr_demo_right"));
    // The eyes differ (parallax), but not wildly.
    const double differ = engine::compareImages(*left, *right, 8).fraction();
    EXPECT_GT(differ, 0.01);
    EXPECT_LT(differ, 0.6);
    // Ben (the second demo participant, blue) sits across the table facing
    // us: his head is blue where it projects in each eye.
    auto roomR = scenes::loadRoom(MXR_DEMO_ROOM);
    ASSERT_TRUE(roomR);
    const scenes::Participant ben = scenes::demoParticipants(*roomR, 4, 0.0)[1];
    ASSERT_EQ(ben.name, "Ben (mentee)");
    const Vec3 headCentre = ben.head.transformPoint(Vec3(0.0f, 0.0f, 0.05f));
    for (int v = 0; v < 2; ++v) {
        const Vec2 at = projectToEye(headCentre, v, kSize);
        const Vec3 c = averageRgb(v == 0 ? *left : *right, at);
        EXPECT_GT(c.b, c.r + 40.0f) << "eye " << v << " at " << at.x << "," << at.y << ": " << c.r << " " << c.g << " " << c.b;
        EXPECT_GE(c.b, c.g) << "eye " << v;
    }
    // The parallax goes the right way: the head sits further right in the
    // left eye's image.
    EXPECT_GT(projectToEye(headCentre, 0, kSize).x, projectToEye(headCentre, 1, kSize).x);
}

TEST(VrClient, TheOlderVulkanBindingDrawsTheSameEyes) {
    // XR_KHR_vulkan_enable: we create instance and device with the
    // extensions the runtime lists, on the physical device it names.
    const VrRun r = runVr("vulkan_enable", kGoldenConfig, kArgs + "--frames 8 --xr-vulkan enable");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("graphics binding XR_KHR_vulkan_enable\n"), std::string::npos) << r.output;
    auto left = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    auto right = engine::readPng((r.dir / "cap/frame5_view1.png").string());
    ASSERT_TRUE(left && right) << r.events;
    EXPECT_TRUE(matchesGolden(*left, "vr_demo_left"));
    EXPECT_TRUE(matchesGolden(*right, "vr_demo_right"));
}

// --validation sees the instance made with the runtime (enable2) and the one
// made for it (enable): a test-only switch breaks one known rule on that
// device, and the run ends with exit code 3 naming it.
void expectValidationSees(const std::string& binding) {
    const VrRun r = runVr("provoked_" + binding, {{"view_size", {64, 64}}, {"frame_rate_hz", 0}},
                          kArgs + "--frames 2 --test-provoke-validation --xr-vulkan " + binding);
    EXPECT_EQ(r.exitCode, 3) << r.output;
    EXPECT_NE(r.output.find("VUID-VkBufferCreateInfo-usage-requiredbitmask"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Vulkan validation reported 1 errors"), std::string::npos) << r.output;
}

TEST(VrClient, ValidationSeesTheInstanceMadeThroughTheRuntime) { expectValidationSees("enable2"); }
TEST(VrClient, ValidationSeesTheInstanceMadeForTheRuntime) { expectValidationSees("enable"); }

TEST(VrClient, NegotiatesTheRuntimesFirstSrgbSwapchainFormat) {
    const VrRun r = runVr("format", {{"view_size", {64, 64}}, {"frame_rate_hz", 0}}, kArgs + "--frames 2");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    // tests/xr_runtime offers R8G8B8A8_SRGB (43) first; one two-layer array.
    EXPECT_NE(r.events.find("swapchain format 43 size 64x64 layers 2"), std::string::npos) << r.events;
    // Depth (XR_KHR_composition_layer_depth): a D32_SFLOAT (126) array
    // beside it, the renderer's depth format; nothing else.
    EXPECT_NE(r.events.find("swapchain format 126 size 64x64 layers 2"), std::string::npos) << r.events;
    EXPECT_EQ(countOf(r.events, "swapchain format"), 2) << r.events;
    EXPECT_NE(r.output.find("swapchain format R8G8B8A8_SRGB (43), depth submitted"), std::string::npos) << r.output;
}

TEST(VrClient, SubmitsDepthWithEveryProjectionAlsoWithMsaa) {
    // With 4x MSAA the depth reaches the XR swapchain through a sample-0
    // resolve, without it by storing the depth attachment; both validation
    // clean and accepted by the runtime's layer checks.
    for (const char* msaa : {"1", "4"}) {
        const VrRun r = runVr(std::string("depth_msaa") + msaa, {{"view_size", {64, 64}}, {"frame_rate_hz", 0}},
                              kArgs + "--frames 6 --msaa " + msaa);
        ASSERT_EQ(r.exitCode, 0) << r.output;
        EXPECT_EQ(countOf(r.events, "layers 1 projection+depth"), 5) << r.events;
        EXPECT_EQ(countOf(r.events, "layers 1 projection\n"), 0) << r.events;
    }
}

TEST(SwapchainFormat, FollowsTheRuntimesOrderSrgbFirst) {
    const std::int64_t bgraSrgb = 50, rgbaSrgb = 43, rgbaUnorm = 37, bgraUnorm = 44, rgba16f = 97, d32 = 126;
    EXPECT_EQ(xr::chooseSwapchainFormat(std::vector<std::int64_t>{bgraSrgb, rgbaSrgb}), bgraSrgb);
    EXPECT_EQ(xr::chooseSwapchainFormat(std::vector<std::int64_t>{rgbaSrgb, bgraSrgb}), rgbaSrgb);
    EXPECT_EQ(xr::chooseSwapchainFormat(std::vector<std::int64_t>{rgba16f, bgraUnorm, rgbaSrgb}), rgbaSrgb);
    EXPECT_EQ(xr::chooseSwapchainFormat(std::vector<std::int64_t>{rgba16f, bgraUnorm, rgbaUnorm}), bgraUnorm);
    EXPECT_EQ(xr::chooseSwapchainFormat(std::vector<std::int64_t>{rgba16f, d32}), 0);
}

TEST(VrClient, CleanUnderTheOpenXrCoreValidationLayer) {
    // What the client uses: enable2, depth, hand tracking, a thumbstick
    // profile, and haptics (the laser starts on the panel's button: a hover
    // pulse, then a click).
    scenes::WorldPanel panel;
    panel.aim(panel.layout().inStage, Pose{}, false);
    const json script = {{"keyframes",
                          {{{"frame", 0}, {"right", rightAim(aimAt(panel.buttonCentre()))}},
                           {{"frame", 3}, {"right", {{"select", true}}}},
                           {{"frame", 5}, {"right", {{"select", false}}}}}}};
    const json config = {{"view_size", {64, 64}},
                         {"frame_rate_hz", 0},
                         {"hand_tracking", true},
                         {"interaction_profile", "/interaction_profiles/valve/index_controller"},
                         {"script", script}};
    const VrRun r = runVr("core_validation", config, kArgs + "--frames 10",
                          "XR_ENABLE_API_LAYERS=XR_APILAYER_LUNARG_core_validation XR_LOADER_DEBUG=info");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    // The loader really put the layer in the call chain ...
    EXPECT_NE(r.output.find("XR_APILAYER_LUNARG_core_validation"), std::string::npos) << r.output;
    // ... and it reported nothing.
    EXPECT_EQ(r.output.find("VUID-"), std::string::npos) << r.output;
    EXPECT_EQ(countOf(r.events, "projection"), 9) << r.events;
    EXPECT_EQ(countOf(r.events, "haptic right"), 2) << r.events;
}

TEST(VrClient, RestartsTheSessionAfterLossAndKeepsRendering) {
    json c = kGoldenConfig;
    c["loss_pending_at_frame"] = 3;
    c["capture"]["frames"] = {5};
    const VrRun r = runVr("loss", c, kArgs + "--frames 16 -v");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    const auto lost = r.events.find("session loss_pending frame 3");
    ASSERT_NE(lost, std::string::npos) << r.events;
    const auto second = r.events.find("session create 2");
    ASSERT_NE(second, std::string::npos) << r.events;
    EXPECT_GT(second, lost);
    EXPECT_NE(r.output.find("restarting"), std::string::npos) << r.output;
    EXPECT_TRUE(statesInOrder(r.output, {"FOCUSED", "LOSS_PENDING", "IDLE", "READY", "SYNCHRONIZED", "VISIBLE",
                                         "FOCUSED", "VISIBLE", "SYNCHRONIZED", "STOPPING", "IDLE", "EXITING"}))
        << r.output;
    // The new session runs and shows the same room: its frame 5 (the first
    // session never got there) is the golden view.
    EXPECT_GE(countOf(r.events.substr(second), "layers 1 projection"), 5) << r.events;
    auto left = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    ASSERT_TRUE(left) << r.events;
    EXPECT_TRUE(matchesGolden(*left, "vr_demo_left"));
    // And it ends cleanly.
    EXPECT_NE(r.events.find("session request_exit", second), std::string::npos) << r.events;
}

TEST(VrClient, EndsCleanlyWhenTheRuntimeAsksToExit) {
    const VrRun r = runVr("runtime_exit", {{"view_size", {64, 64}}, {"frame_rate_hz", 0}, {"exit_at_frame", 6}},
                          kArgs + "--frames 500 -v");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    // The whole walk, as the client saw it.
    EXPECT_TRUE(statesInOrder(r.output, {"IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED", "VISIBLE",
                                         "SYNCHRONIZED", "STOPPING", "IDLE", "EXITING"}))
        << r.output;
    const auto asked = r.events.find("session runtime_exit frame 6");
    ASSERT_NE(asked, std::string::npos) << r.events;
    EXPECT_NE(r.events.find("session end", asked), std::string::npos) << r.events;
    EXPECT_NE(r.events.find("session destroy", asked), std::string::npos) << r.events;
    EXPECT_EQ(r.events.find("frame 7 "), std::string::npos) << "frames after STOPPING: " << r.events;
    EXPECT_EQ(r.events.find("request_exit"), std::string::npos) << r.events;
}

// SIGTERM and SIGINT (Ctrl+C) end the session the OpenXR way.
void endsOnSignal(int signal, const std::string& name) {
    const auto dir = testDir(name);
    json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 90}, {"event_log", "events.log"}};
    std::ofstream(dir / "config.json") << c.dump();
    const std::string out = (dir / "out.txt").string();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (chdir(dir.c_str()) != 0) _exit(126);
        setenv("MXR_XRRT_CONFIG", (dir / "config.json").c_str(), 1);
        if (!freopen(out.c_str(), "w", stdout) || !freopen(out.c_str(), "a", stderr)) _exit(126);
        execl(MXR_CLIENT, MXR_CLIENT, "--mode", "vr", "--validation", static_cast<char*>(nullptr));
        _exit(127);
    }
    // Wait until it is well into its session (a bounded wait, not a timing
    // assertion: the failure says which state was never reached).
    bool running = false;
    for (int i = 0; i < 1200 && !running; ++i) {
        running = readText(dir / "events.log").find("frame 20 ") != std::string::npos;
        if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, signal);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(running) << readText(dir / "events.log") << readText(out);
    ASSERT_TRUE(WIFEXITED(status)) << readText(out);
    EXPECT_EQ(WEXITSTATUS(status), 0) << readText(out);
    const std::string events = readText(dir / "events.log");
    const auto req = events.find("session request_exit");
    ASSERT_NE(req, std::string::npos) << events;
    EXPECT_NE(events.find("session end", req), std::string::npos) << events;
    EXPECT_NE(events.find("session destroy", req), std::string::npos) << events;
    EXPECT_NE(readText(out).find("stop requested"), std::string::npos) << readText(out);
}

TEST(VrClient, SigtermEndsTheSessionWithRequestExit) { endsOnSignal(SIGTERM, "sigterm"); }
TEST(VrClient, SigintEndsTheSessionWithRequestExit) { endsOnSignal(SIGINT, "sigint"); }

TEST(VrClient, NoHeadsetFallsBackWithTheReason) {
    const json c = {{"headset_present", false}};
    const VrRun vr = runVr("no_headset_vr", c, "--mode vr --frames 2");
    EXPECT_EQ(vr.exitCode, 2) << vr.output;
    EXPECT_NE(vr.output.find("mentorxr: no headset is connected (XR_ERROR_FORM_FACTOR_UNAVAILABLE)"), std::string::npos)
        << vr.output;
    const VrRun autoRun = runVr("no_headset_auto", c, "--frames 2 --size 64x64 --validation", "-u DISPLAY -u WAYLAND_DISPLAY");
    ASSERT_EQ(autoRun.exitCode, 0) << autoRun.output;
    EXPECT_NE(autoRun.output.find("no VR: no headset is connected"), std::string::npos) << autoRun.output;
    EXPECT_NE(autoRun.output.find("running headless"), std::string::npos) << autoRun.output;
    EXPECT_NE(autoRun.output.find("mode: headless"), std::string::npos) << autoRun.output;
}

TEST(VrClient, NoRuntimeFallsBackWithTheReason) {
    const std::string missing = "XR_RUNTIME_JSON=/nonexistent/openxr_runtime.json";
    const VrRun vr = runVr("no_runtime_vr", json::object(), "--mode vr --frames 2", missing);
    EXPECT_EQ(vr.exitCode, 2) << vr.output;
    EXPECT_NE(vr.output.find("mentorxr: no OpenXR runtime is available (XR_ERROR_RUNTIME_UNAVAILABLE)"),
              std::string::npos)
        << vr.output;
    const VrRun autoRun = runVr("no_runtime_auto", json::object(), "--frames 2 --size 64x64",
                                "-u DISPLAY -u WAYLAND_DISPLAY " + missing);
    ASSERT_EQ(autoRun.exitCode, 0) << autoRun.output;
    EXPECT_NE(autoRun.output.find("no VR: no OpenXR runtime is available"), std::string::npos) << autoRun.output;
    EXPECT_NE(autoRun.output.find("mode: headless"), std::string::npos) << autoRun.output;
}

TEST(VrClient, NoHeadsetWithADisplayFallsBackToTheDesktopWindow) {
    const VrRun r = runVr("no_headset_desktop", {{"headset_present", false}}, "--frames 3 --size 160x90 --validation",
                          "", "xvfb-run -a -s '-screen 0 1280x800x24 -noreset'");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("no VR: no headset is connected"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("mode: desktop"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mxr::test
