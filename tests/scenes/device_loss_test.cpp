// The network outlives the GPU: the client's Vulkan device is lost below the
// renderer (tests/support/device_loss_shim.cpp, LD_PRELOADed, answers
// VK_ERROR_DEVICE_LOST from the submission after the test says so until the
// lost device is destroyed). The client recreates its renderer and goes on:
// the image is the same as without the loss, and the others in the room
// notice nothing. A device that keeps being lost (three times within a
// minute) ends the run, and then the client leaves the room cleanly: the
// others see a leave, never a timeout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "engine/render/image_io.h"
#include "net/room_client.h"
#include "process_util.h"

namespace {

using mxr::net::testing::ChildProcess;

std::filesystem::path outDir() {
    const auto dir = std::filesystem::path(MXR_TEST_OUT) / "device_loss";
    std::filesystem::create_directories(dir);
    return dir;
}

std::string client(const std::string& args) {
    return std::string("exec ") + MXR_CLIENT + " " + args + " 2>&1";
}

// Offline, the image after a lost device and a recreated renderer is the
// one a run without the loss draws (same scene, same fixed time); the UI
// layer is back too (its frame-time line differs between any two runs, so
// with the overlay only its title bar is compared).
mxr::engine::Image render(const std::string& name, const std::string& extra, bool lose,
                          const std::string& mode = "--mode headless --size 320x180") {
    const auto png = (outDir() / (name + ".png")).string();
    std::vector<std::string> args{"/usr/bin/env", std::string("XR_RUNTIME_JSON=") + MXR_XR_RUNTIME_JSON};
    if (lose) {
        args.insert(args.end(), {std::string("LD_PRELOAD=") + MXR_DEVICE_LOSS_SHIM, "MXR_LOSE_DEVICE_AFTER_SUBMITS=5"});
    }
    args.insert(args.end(), {"/bin/sh", "-c",
                             client(mode + " --frames 12 --avatars 3 --time 1.5 " + extra + " --screenshot " + png)});
    ChildProcess run(args);
    EXPECT_EQ(run.wait(120.0), 0) << run.output();
    const std::string out = run.output();
    if (lose) {
        EXPECT_NE(out.find("device_loss_shim: VK_ERROR_DEVICE_LOST"), std::string::npos) << out;
        EXPECT_NE(out.find("renderer recreated after a lost GPU device"), std::string::npos) << out;
    }
    auto img = mxr::engine::readPng(png);
    EXPECT_TRUE(img) << png;
    return img ? *img : mxr::engine::Image{};
}

std::vector<std::uint8_t> rows(const mxr::engine::Image& img, std::uint32_t from, std::uint32_t to) {
    const std::size_t stride = std::size_t(img.width) * 4;
    if (img.rgba.size() < to * stride) return {};
    return {img.rgba.begin() + from * stride, img.rgba.begin() + to * stride};
}

TEST(DeviceLoss, TheRendererIsRecreatedAndDrawsTheSameImage) {
    const auto plain = render("plain", "--no-ui", false);
    const auto lost = render("lost", "--no-ui", true);
    ASSERT_EQ(plain.width, 320u);
    ASSERT_EQ(lost.width, plain.width);
    ASSERT_EQ(lost.height, plain.height);
    EXPECT_TRUE(lost.rgba == plain.rgba) << "the recreated renderer draws a different scene";

    const auto plainUi = render("plain_ui", "", false);
    const auto lostUi = render("lost_ui", "", true);
    EXPECT_FALSE(lostUi.rgba == lost.rgba) << "no overlay after the renderer was recreated";
    EXPECT_FALSE(rows(plainUi, 0, 30).empty());
    EXPECT_TRUE(rows(lostUi, 0, 30) == rows(plainUi, 0, 30)) << "the overlay's title bar differs";
}

// In a headset the device is made with the OpenXR runtime: the session,
// the device and the instance are made anew (both Vulkan bindings), and the
// eye images (with the world panel) are the ones a run without the loss draws.
TEST(DeviceLoss, InAHeadsetTheSessionAndDeviceAreMadeAnew) {
    for (const std::string binding : {"enable2", "enable"}) {
        const std::string mode = "--mode vr --xr-vulkan " + binding;
        const auto plain = render("vr_plain_" + binding, "", false, mode);
        const auto lost = render("vr_lost_" + binding, "", true, mode);
        ASSERT_GT(plain.width, 0u) << binding;
        EXPECT_TRUE(lost.rgba == plain.rgba) << binding << ": the recreated renderer draws a different left eye";
    }
}

// Ben's view of the room: Ana's presence, and whether she was ever shown
// as away (a lost connection) or absent.
struct Watch {
    bool in = false, away = false, gone = false;
    void poll(mxr::net::RoomClient& ben) {
        while (auto e = ben.poll()) {
            auto* p = std::get_if<mxr::net::PresenceEvent>(&*e);
            if (!p) continue;
            bool present = false;
            for (const auto& m : p->members) {
                if (m.displayName != "Ana") continue;
                present = true;
                away = away || m.away;
            }
            if (present) in = true;
            if (!present && in) gone = true;
        }
    }
};

TEST(DeviceLoss, TheRoomNoticesNothingUntilTheDeviceKeepsBeingLostThenSeesACleanLeave) {
    // The host's log (stderr) says how each member went: "left" or "timed out".
    ChildProcess host({"/bin/sh", "-c",
                       std::string("exec ") + MXR_ROOMHOST + " --port 0 --allow-guests --room demo --open-demo 2>&1"});
    auto listening = host.lineStartingWith("listening udp=", 20.0);
    ASSERT_TRUE(listening) << host.output();
    const int port = std::stoi(listening->substr(14));

    mxr::SteadyClock clock;
    auto sink = std::make_shared<mxr::StderrSink>(mxr::LogLevel::kWarn);
    mxr::net::ClientConfig cfg;
    cfg.serverPort = static_cast<std::uint16_t>(port);
    cfg.room = "demo";
    cfg.credentials = mxr::net::GuestLogin{"Ben"};
    cfg.pinFile = std::filesystem::temp_directory_path() / ("mxr_device_loss_ks_" + std::to_string(::getpid()));
    std::filesystem::remove(cfg.pinFile);  // this run's host has a fresh key
    auto ben = mxr::net::RoomClient::start(cfg, clock, mxr::Logger(sink, "ben"));
    ASSERT_TRUE(ben) << ben.error().message;

    const auto trigger = outDir() / "lose_now";
    std::filesystem::remove(trigger);
    ChildProcess ana({"/usr/bin/env", std::string("LD_PRELOAD=") + MXR_DEVICE_LOSS_SHIM,
                      "MXR_LOSE_DEVICE_WHEN=" + trigger.string(), "/bin/sh", "-c",
                      client("--mode headless --size 160x90 --frames 100000 --server 127.0.0.1:" +
                             std::to_string(port) + " --room demo --guest Ana --known-servers " +
                             (outDir() / "known_servers").string())});
    ASSERT_TRUE(ana.started());

    Watch watch;
    int exitCode = -1;
    for (int i = 0; i < 3000 && exitCode == -1 && !watch.in; ++i) {
        watch.poll(**ben);
        exitCode = ana.wait(0.02);
    }
    ASSERT_TRUE(watch.in) << ana.output();
    // Twice lost, twice recreated: Ana stays in the room the whole time.
    for (int loss = 1; loss <= 2; ++loss) {
        std::ofstream(trigger) << "now\n";
        std::optional<std::string> recreated;
        for (int i = 0; i < 1500 && !recreated; ++i) {
            recreated = ana.lineStartingWith("renderer recreated", 0.02);
            watch.poll(**ben);
        }
        ASSERT_TRUE(recreated) << "loss " << loss << ":\n" << ana.output();
        for (int i = 0; i < 25; ++i) {  // the room a moment later
            watch.poll(**ben);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        EXPECT_FALSE(watch.gone) << "loss " << loss << ": Ana left the room";
        EXPECT_FALSE(watch.away) << "loss " << loss << ": Ana was shown as away";
    }
    // The third loss within a minute ends the run, with a clean leave.
    std::ofstream(trigger) << "now\n";
    exitCode = ana.wait(60.0);
    EXPECT_EQ(exitCode, 1) << ana.output();
    const std::string out = ana.output();
    EXPECT_NE(out.find("device_loss_shim: VK_ERROR_DEVICE_LOST"), std::string::npos) << out;
    EXPECT_NE(out.find("the GPU device was lost"), std::string::npos) << out;
    EXPECT_NE(out.find("lost 3 times within a minute"), std::string::npos) << out;
    EXPECT_NE(out.find("leaving room demo"), std::string::npos) << out;

    // The others: Ana left (the host says so), never shown as away, never timed out.
    std::optional<std::string> how;
    while (auto l = host.readLine(10.0)) {
        if (l->find("Ana") != std::string::npos && (l->find("left") != std::string::npos ||
                                                     l->find("timed out") != std::string::npos)) {
            how = *l;
            break;
        }
    }
    ASSERT_TRUE(how) << host.output();
    EXPECT_NE(how->find("left"), std::string::npos) << *how;
    EXPECT_EQ(how->find("timed out"), std::string::npos) << *how;
    for (int i = 0; i < 250 && !watch.gone; ++i) {
        watch.poll(**ben);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(watch.gone) << "Ben still sees Ana in the room";
    EXPECT_FALSE(watch.away) << "Ana was shown as away (a lost connection), not as leaving";
}

}  // namespace
