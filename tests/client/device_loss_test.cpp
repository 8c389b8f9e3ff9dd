// The network outlives the GPU: the client's Vulkan device is lost below the
// renderer (tests/support/device_loss_shim.cpp, LD_PRELOADed, starts
// answering VK_ERROR_DEVICE_LOST when the test says so), and the other
// people in the room see a clean leave, never a timeout: the client says
// what happened and leaves the room before it ends.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <variant>

#include "net/room_client.h"
#include "process_util.h"

namespace {

using mxr::net::testing::ChildProcess;

std::filesystem::path outDir() {
    const auto dir = std::filesystem::path(MXR_TEST_OUT) / "device_loss";
    std::filesystem::create_directories(dir);
    return dir;
}

TEST(DeviceLoss, OthersSeeACleanLeaveNotATimeout) {
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
    ChildProcess client({"/usr/bin/env", std::string("LD_PRELOAD=") + MXR_DEVICE_LOSS_SHIM,
                         "MXR_LOSE_DEVICE_WHEN=" + trigger.string(), "/bin/sh", "-c",
                         std::string("exec ") + MXR_CLIENT + " --mode headless --size 160x90 --frames 100000 --server 127.0.0.1:" +
                             std::to_string(port) + " --room demo --guest Ana --known-servers " +
                             (outDir() / "known_servers").string() + " 2>&1"});
    ASSERT_TRUE(client.started());

    // Ben sees Ana in the room; then her GPU goes.
    bool anaIn = false, anaGone = false, anaAway = false;
    int exitCode = -1;
    for (int i = 0; i < 3000 && exitCode == -1 && !anaGone; ++i) {
        while (auto e = (*ben)->poll()) {
            if (auto* p = std::get_if<mxr::net::PresenceEvent>(&*e)) {
                bool present = false;
                for (const auto& m : p->members) {
                    if (m.displayName != "Ana") continue;
                    present = true;
                    anaAway = anaAway || m.away;
                }
                if (present && !anaIn) {
                    anaIn = true;
                    std::ofstream(trigger) << "now\n";
                } else if (!present && anaIn) {
                    anaGone = true;
                }
            }
        }
        exitCode = client.wait(0.02);
    }
    ASSERT_TRUE(anaIn) << client.output();
    exitCode = client.wait(30.0);
    EXPECT_EQ(exitCode, 1) << client.output();
    const std::string out = client.output();
    EXPECT_NE(out.find("device_loss_shim: VK_ERROR_DEVICE_LOST"), std::string::npos) << out;
    EXPECT_NE(out.find("the GPU device was lost"), std::string::npos) << out;
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
    for (int i = 0; i < 250 && !anaGone; ++i) {
        while (auto e = (*ben)->poll()) {
            if (auto* p = std::get_if<mxr::net::PresenceEvent>(&*e)) {
                bool present = false;
                for (const auto& m : p->members) present = present || m.displayName == "Ana";
                anaGone = !present;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(anaGone) << "Ben still sees Ana in the room";
    EXPECT_FALSE(anaAway) << "Ana was shown as away (a lost connection), not as leaving";
}

}  // namespace
