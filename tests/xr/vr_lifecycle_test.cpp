// mentorxr --mode vr when a real runtime leaves the happy path (issue 16):
// the runtime crashes (instance lost, seen while the session is idle), the
// session cannot begin, and a runtime that never ends the session after a
// quit request is waited for at most 3 s, SIGTERM included.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/render/image_io.h"
#include "vr_run.h"

namespace mxr::test {
namespace {

using nlohmann::json;

const std::string kArgs = "--mode vr --time 0 --validation ";

TEST(VrLifecycle, InstanceLostWhileIdleEndsWithCode1AndSaysSo) {
    // The headset is taken off (IDLE, and it stays so), then the runtime
    // crashes: xrPollEvent fails, with no loss-pending event first.
    const json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 0}, {"idle_at_frame", 5},
                    {"instance_loss_after_polls", 40}};
    // timeout(1) only bounds a client that never notices (it used to loop
    // forever here); nothing is measured.
    const VrRun r = runVr("instance_lost_idle", c, kArgs + "--frames 2000 -v", "", "timeout 60");
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find("mentorxr: the OpenXR runtime was lost (it crashed or was restarted) "
                            "(XR_ERROR_INSTANCE_LOST)"),
              std::string::npos)
        << r.output;
    const auto idle = r.events.find("session idle frame 5");
    ASSERT_NE(idle, std::string::npos) << r.events;
    EXPECT_NE(r.events.find("session end", idle), std::string::npos) << r.events;
    EXPECT_NE(r.events.find("instance lost after 40 polls", idle), std::string::npos) << r.events;
    EXPECT_EQ(r.events.find("frame 6 "), std::string::npos) << "no frames while idle: " << r.events;
}

TEST(VrLifecycle, AFailedBeginSessionEndsWithCode1AndSaysSo) {
    const json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 0}, {"begin_session_fails", true}};
    const VrRun r = runVr("begin_fails", c, kArgs + "--frames 30");
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find("mentorxr: the OpenXR session cannot begin (xrBeginSession) (XR_ERROR_RUNTIME_FAILURE)"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.events.find("session begin failed"), std::string::npos) << r.events;
}

TEST(VrLifecycle, AfterFramesARuntimeThatNeverEndsTheSessionIsLeft) {
    const json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 0}, {"exit_request_ignored", true}};
    const VrRun r = runVr("exit_ignored_frames", c, kArgs + "--frames 5");
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("did not end the session within 3 s; leaving anyway"), std::string::npos) << r.output;
    EXPECT_NE(r.events.find("session request_exit"), std::string::npos) << r.events;
}

// The client under `config` until the event log shows `waitFor` and its
// output `outputLine`, then
// SIGTERM; its exit status (-1: still running 60 s later, then killed) and
// output. The waits only bound a hang; nothing here measures time.
struct SignalledRun {
    int status = -1;
    std::string output;
    std::string events;
    bool reached = false;
};
SignalledRun runUntilThenTerm(const std::string& name, json config, const std::string& waitFor,
                              const std::string& outputLine) {
    SignalledRun r;
    const auto dir = testDir(name);
    config["event_log"] = "events.log";
    std::ofstream(dir / "config.json") << config.dump();
    const std::string out = (dir / "out.txt").string();
    const pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) {
        if (chdir(dir.c_str()) != 0) _exit(126);
        setenv("MXR_XRRT_CONFIG", (dir / "config.json").c_str(), 1);
        if (!freopen(out.c_str(), "w", stdout) || !freopen(out.c_str(), "a", stderr)) _exit(126);
        execl(MXR_CLIENT, MXR_CLIENT, "--mode", "vr", static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 1200 && !r.reached; ++i) {
        r.reached = readText(dir / "events.log").find(waitFor) != std::string::npos &&
                    readText(out).find(outputLine) != std::string::npos;
        if (!r.reached) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGTERM);
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 1200 && done == 0; ++i) {
        done = waitpid(pid, &status, WNOHANG);
        if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else if (WIFEXITED(status)) {
        r.status = WEXITSTATUS(status);
    }
    r.output = readText(out);
    r.events = readText(dir / "events.log");
    return r;
}

// The headset is taken off (IDLE, and it stays): the client stops drawing
// and says so once, and SIGTERM then ends it at once (no session to walk
// down). Others see the person away (scenes: RoomPresence tests).
TEST(VrLifecycle, AnIdleHeadsetStopsDrawingAndSigtermEndsIt) {
    const json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 90}, {"idle_at_frame", 5}};
    const SignalledRun r = runUntilThenTerm("idle_sigterm", c, "session idle frame 5", "headset: idle");
    ASSERT_TRUE(r.reached) << r.events << r.output;
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(countOf(r.output, "headset: idle; not drawing, shown to the room as away"), 1) << r.output;
    EXPECT_NE(r.events.find("session end"), std::string::npos) << r.events;
    EXPECT_EQ(r.events.find("frame 6 "), std::string::npos) << "no frames while idle: " << r.events;
    EXPECT_EQ(r.output.find("did not end the session"), std::string::npos) << r.output;
}

// SIGTERM asks the runtime to end the session; one that never does is
// left after the bounded wait.
TEST(VrLifecycle, SigtermLeavesARuntimeThatNeverEndsTheSession) {
    const json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 90}, {"exit_request_ignored", true}};
    const SignalledRun r = runUntilThenTerm("exit_ignored_sigterm", c, "frame 10 ", "");
    ASSERT_TRUE(r.reached) << r.events << r.output;
    EXPECT_EQ(r.status, 0) << "not exited (-1: still running 60 s after SIGTERM): " << r.output << r.events;
    EXPECT_NE(r.output.find("did not end the session within 3 s; leaving anyway"), std::string::npos) << r.output;
    EXPECT_NE(r.events.find("session request_exit"), std::string::npos) << r.events;
}

// A real session loss: the headset is gone for two xrGetSystem polls
// (about a second apart), then comes back; the client waits for it, asks
// for the graphics requirements and the GPU again, and renders in a new
// session. With lavapipe's driver file listed twice there are two GPUs (the
// Vulkan loader drops a path listed twice, so the second is a copy), and the
// runtime can name the other one after the loss: the renderer is rebuilt.
TEST(VrLifecycle, SessionLossWaitsForTheHeadsetAndFollowsItToAnotherGpu) {
    const std::filesystem::path lvp = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json";
    const auto copy = testDir("second_gpu") / "lvp_icd_copy.json";
    std::filesystem::copy_file(lvp, copy);
    const std::string twoGpus = "VK_ICD_FILENAMES=" + lvp.string() + ":" + copy.string();
    json c = {{"view_size", {64, 64}}, {"frame_rate_hz", 0}, {"loss_pending_at_frame", 3}, {"system_lost_polls", 2},
              {"capture", {{"dir", "cap"}, {"frames", {5}}}}};
    const VrRun same = runVr("loss_same_gpu", c, kArgs + "--frames 16 -v", twoGpus);
    ASSERT_EQ(same.exitCode, 0) << same.output;
    EXPECT_EQ(countOf(same.events, "system unavailable"), 2) << same.events;
    const auto back = same.events.find("system back");
    ASSERT_NE(back, std::string::npos) << same.events;
    EXPECT_NE(same.events.find("session create 2", back), std::string::npos) << same.events;
    EXPECT_EQ(same.output.find("renderer recreated"), std::string::npos) << same.output;
    EXPECT_TRUE(std::filesystem::exists(same.dir / "cap/frame5_view0.png")) << same.events;

    c["physical_device_after_loss"] = 1;
    const VrRun moved = runVr("loss_other_gpu", c, kArgs + "--frames 16 -v", twoGpus);
    ASSERT_EQ(moved.exitCode, 0) << moved.output;
    EXPECT_NE(moved.output.find("renderer recreated on the headset's GPU"), std::string::npos) << moved.output;
    EXPECT_EQ(moved.events.find("session create refused"), std::string::npos) << moved.events;
    const auto second = moved.events.find("session create 2");
    ASSERT_NE(second, std::string::npos) << moved.events;
    EXPECT_GE(countOf(moved.events.substr(second), "layers 1 projection"), 5) << moved.events;
    EXPECT_TRUE(std::filesystem::exists(moved.dir / "cap/frame5_view0.png")) << moved.events;
}

// A headset without a floor-level space (withhold_stage): the floor is put
// the stated eye height below LOCAL's origin (--eye-height, 1.2 m seated,
// not everyone's 1.6 m), and when the runtime recentres LOCAL (here: the
// wearer sat lower, the origin moved 0.2 m down) the floor is re-derived,
// so the avatar's head stays at its true height above the room's floor.
TEST(VrFloor, WithoutStageTheStatedEyeHeightSetsTheFloorAndARecentringKeepsIt) {
    const json seated = {{"position", {0, 1.2, 0}}};
    const json lower = {{"position", {0, 1.0, 0}}};
    json c = {{"view_size", {32, 32}}, {"frame_rate_hz", 0}, {"withhold_stage", true}, {"local_origin_height_m", 1.2},
              {"script", {{"keyframes", {{{"frame", 0}, {"head", seated}}}}}}};
    const VrRun still = runVr("floor_seated", c, kArgs + "--eye-height 1.2 --frames 8 --dump-state state.json -v");
    ASSERT_EQ(still.exitCode, 0) << still.output;
    EXPECT_NE(still.output.find("LOCAL space"), std::string::npos) << still.output;
    json state = readJson(still.dir / "state.json");
    EXPECT_NEAR(state["local_avatar"]["head"]["position"][1].get<float>(), 1.2f, 0.01f);

    c["recenter_at_frame"] = 8;
    c["recenter_to_height_m"] = 1.0;
    c["script"] = {{"keyframes", {{{"frame", 7}, {"head", seated}}, {{"frame", 8}, {"head", lower}}}}};
    const VrRun moved = runVr("floor_recentred", c, kArgs + "--eye-height 1.2 --frames 16 --dump-state state.json -v");
    ASSERT_EQ(moved.exitCode, 0) << moved.output;
    EXPECT_NE(moved.events.find("space local recentered frame 8"), std::string::npos) << moved.events;
    EXPECT_NE(moved.output.find("the runtime recentred LOCAL"), std::string::npos) << moved.output;
    state = readJson(moved.dir / "state.json");
    EXPECT_NEAR(state["local_avatar"]["head"]["position"][1].get<float>(), 1.0f, 0.01f);
}

// Only the head's position is lost (head_tracking "orientation" from frame
// 6, while the real head moves): the frame is drawn from the last known
// position turned by the valid orientation, the same image a fully tracked
// head at that place and turn gives; with no orientation either, nothing
// is submitted.
TEST(VrLifecycle, PositionLossRendersFromTheLastPositionWithTheValidOrientation) {
    const json turned = {{"position", {0, 1.6, 0}}, {"orientation", {0, 0.1736482, 0, 0.9848078}}};  // 20 deg yaw
    const json moved = {{"position", {0.4, 1.6, 0.3}}, {"orientation", turned["orientation"]}};
    auto config = [](const json& keyframes) {
        return json{{"view_size", {64, 64}},
                    {"frame_rate_hz", 0},
                    {"capture", {{"dir", "cap"}, {"frames", {8}}}},
                    {"script", {{"keyframes", keyframes}}}};
    };
    const json lost = json::array({{{"frame", 5}, {"head_tracking", "full"}},
                                   {{"frame", 6}, {"head", moved}, {"head_tracking", "orientation"}}});
    const VrRun r = runVr("position_lost", config(lost), kArgs + "--frames 10");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.events.find("frame 8 blend opaque layers 1 projection"), std::string::npos) << r.events;
    const VrRun ref = runVr("position_lost_ref", config(json::array({{{"frame", 0}, {"head", turned}}})),
                            kArgs + "--frames 10");
    ASSERT_EQ(ref.exitCode, 0) << ref.output;
    for (const char* eye : {"cap/frame8_view0.png", "cap/frame8_view1.png"}) {
        auto got = engine::readPng((r.dir / eye).string());
        auto want = engine::readPng((ref.dir / eye).string());
        ASSERT_TRUE(got && want) << eye << "\n" << r.events;
        EXPECT_LT(engine::compareImages(*got, *want, 8).fraction(), 0.005) << eye;
    }
    const json none = json::array({{{"frame", 5}, {"head_tracking", "full"}}, {{"frame", 6}, {"head_tracking", "none"}}});
    const VrRun black = runVr("tracking_lost", config(none), kArgs + "--frames 10");
    ASSERT_EQ(black.exitCode, 0) << black.output;
    EXPECT_NE(black.events.find("frame 8 blend opaque layers 0"), std::string::npos) << black.events;
}

}  // namespace
}  // namespace mxr::test
