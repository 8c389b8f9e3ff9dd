// The client in a shared room, as a user runs it: mentorxr-roomhost, a
// walking mentorxr-bot and a second participant (a net::RoomClient in this
// test, standing still where the camera sees it) are in room "demo"; the
// headless client joins as guest "Ana" and its screenshot must show both
// remote avatars in their colours with their name plates, while the test's
// participant sees Ana's avatar where her camera is. Plus the errors a
// user meets: malformed address, nobody there, room full, a changed key.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "process_util.h"
#include "engine/core/math.h"
#include "engine/render/image_io.h"
#include "net/room_client.h"
#include "scenes/avatar.h"
#include "run_command.h"

namespace {

using mxr::Vec2;
using mxr::Vec3;
using mxr::Vec4;
using mxr::net::testing::ChildProcess;

using CliRun = mxr::test::CommandResult;

// No terminal on standard input: a password prompt must not wait.
CliRun run(const std::string& args, const std::string& env = "") {
    return mxr::test::runCommand(env + " " + std::string(MXR_CLIENT) + " " + args + " </dev/null");
}

std::string tmpPath(const std::string& name) {
    const auto dir = std::filesystem::path(MXR_TEST_OUT) / "client_rooms";
    std::filesystem::create_directories(dir);
    const auto p = dir / name;
    std::filesystem::remove(p);
    return p.string();
}

// A room host on a free port with an open demo room.
struct Host {
    explicit Host(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args{MXR_ROOMHOST, "--port", "0", "--allow-guests", "--room", "demo", "--open-demo"};
        args.insert(args.end(), extra.begin(), extra.end());
        process = std::make_unique<ChildProcess>(args);
        if (auto l = process->lineStartingWith("listening udp=", 20.0)) port = std::stoi(l->substr(14));
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }
    // A guest in room "demo" of this host, as a RoomClient in the test
    // itself (its known-servers file is tmpPath(pinTag)).
    mxr::Result<std::unique_ptr<mxr::net::RoomClient>> joinAsGuest(const std::string& name, const std::string& pinTag,
                                                                   const mxr::Clock& clock) const {
        mxr::net::ClientConfig cfg;
        cfg.serverPort = static_cast<std::uint16_t>(port);
        cfg.room = "demo";
        cfg.credentials = mxr::net::GuestLogin{name};
        cfg.pinFile = tmpPath(pinTag);
        return mxr::net::RoomClient::start(cfg, clock,
                                           mxr::Logger(std::make_shared<mxr::StderrSink>(mxr::LogLevel::kWarn), name));
    }
    std::unique_ptr<ChildProcess> process;
    int port = 0;
};

Vec3 vec3(const nlohmann::json& j) { return Vec3(j[0].get<float>(), j[1].get<float>(), j[2].get<float>()); }
mxr::Pose pose(const nlohmann::json& j) {
    const auto& q = j["orientation"];
    return mxr::Pose{vec3(j["position"]), mxr::Quat(q[3].get<float>(), q[0].get<float>(), q[1].get<float>(),
                                                     q[2].get<float>())};
}

// Pixel where a world point lands in the dumped view.
Vec2 project(const nlohmann::json& view, const Vec3& world, std::uint32_t w, std::uint32_t h) {
    mxr::Fov fov;
    fov.angleLeft = view["fov"][0];
    fov.angleRight = view["fov"][1];
    fov.angleUp = view["fov"][2];
    fov.angleDown = view["fov"][3];
    const Vec4 clip = mxr::projectionFromFov(fov, 0.05f, 100.0f) * mxr::viewFromPose(pose(view)) * Vec4(world, 1.0f);
    const Vec2 ndc = Vec2(clip) / clip.w;
    return Vec2((ndc.x + 1.0f) * 0.5f * float(w), (ndc.y + 1.0f) * 0.5f * float(h));
}

// Index of the palette hue (of the first 8) nearest a rendered pixel:
// lighting changes brightness, not which person it is.
std::size_t nearestHue(const Vec4& pixel) {
    auto chroma = [](Vec3 c) {
        const float s = c.r + c.g + c.b;
        return s > 1e-4f ? c / s : Vec3(1.0f / 3.0f);
    };
    const Vec3 p = chroma(Vec3(pixel));
    std::size_t best = 0;
    float bestD = 1e9f;
    for (std::size_t i = 0; i < 8; ++i) {
        const Vec3 enc = glm::pow(Vec3(mxr::scenes::paletteColor(i)), Vec3(1.0f / 2.2f));
        const float d = glm::length(chroma(enc) - p);
        if (d < bestD) bestD = d, best = i;
    }
    return best;
}
std::size_t hueIndexOf(const Vec3& color) {
    for (std::size_t i = 0; i < 16; ++i) {
        if (glm::length(Vec3(mxr::scenes::paletteColor(i)) - color) < 1e-4f) return i % 8;
    }
    return 99;
}

// The name plate: white glyphs on a dark plate, centred on the anchor.
void expectNamePlate(const mxr::engine::Image& img, Vec2 at, const std::string& who) {
    int bright = 0, dark = 0;
    for (int dy = -6; dy <= 6; ++dy) {
        for (int dx = -20; dx <= 20; ++dx) {
            const int x = int(at.x) + dx, y = int(at.y) + dy;
            if (x < 0 || y < 0 || x >= int(img.width) || y >= int(img.height)) continue;
            const Vec4 c = mxr::engine::pixelAt(img, std::uint32_t(x), std::uint32_t(y));
            // The wall behind is 0.55..0.8 grey: glyphs are brighter, the
            // translucent plate darker than any of it.
            if (c.r > 0.85f && c.g > 0.85f && c.b > 0.85f) ++bright;
            if (c.r < 0.5f && c.g < 0.5f && c.b < 0.5f) ++dark;
        }
    }
    EXPECT_GE(bright, 5) << who << "'s name plate has no text at " << at.x << "," << at.y;
    EXPECT_GE(dark, 20) << who << "'s name plate has no plate at " << at.x << "," << at.y;
}

// Ben: the test's own participant, standing still on the camera's right,
// facing it.
const Vec3 kBenHead(1.9f, 1.6f, -0.3f);
mxr::net::AvatarState benState() {
    mxr::net::AvatarState s;
    const mxr::Quat facing = glm::angleAxis(3.14159265f, Vec3(0, 1, 0));
    s.head = mxr::Pose{kBenHead, facing};
    s.leftHand = mxr::Pose{kBenHead + Vec3(0.25f, -0.6f, 0.2f), facing};
    s.rightHand = mxr::Pose{kBenHead + Vec3(-0.25f, -0.6f, 0.2f), facing};
    return s;
}

TEST(ClientRooms, RemoteAvatarsAppearBothWaysWithColoursAndNamePlates) {
    Host host;
    ASSERT_GT(host.port, 0) << "mentorxr-roomhost did not print its port";
    ChildProcess bot({MXR_BOT, "--server", host.address(), "--known-servers", tmpPath("ks_bot"), "--room", "demo", "--bots", "1", "--seconds", "120",
                      "--observers", "0"});
    ASSERT_TRUE(bot.started());

    mxr::SteadyClock clock;
    auto ben = host.joinAsGuest("Ben", "ks_1", clock);
    ASSERT_TRUE(ben) << ben.error().message;
    mxr::net::RemoteAvatars seenByBen;

    const std::string shot = tmpPath("room.png"), state = tmpPath("room.json");
    // Camera inside the room behind the table, looking down at the bot's
    // circle (radius 1 m about the origin, tools/bot + net/scripted_motion.h).
    const Vec3 camera(0.0f, 2.5f, 2.8f);
    ChildProcess client({MXR_CLIENT, "--mode", "headless", "--server", host.address(), "--room", "demo", "--guest",
                         "Ana", "--frames", "20", "--await-people", "2", "--camera", "0,2.5,2.8,0,-28", "--size",
                         "1280x720", "--screenshot", shot, "--dump-state", state, "--known-servers",
                         tmpPath("known_servers"), "--connect-timeout", "20", "--validation"});
    ASSERT_TRUE(client.started());
    int exitCode = -1;
    std::optional<Vec3> anaHead;
    std::optional<std::string> anaName;
    for (int i = 0; i < 3000 && exitCode == -1; ++i) {  // bounded: the client gives up after its timeouts
        (void)(*ben)->postAvatar(benState());
        while (auto e = (*ben)->poll()) seenByBen.apply(*e, clock.now());
        for (const auto& v : seenByBen.sample(clock.now())) {
            if (v.displayName == "Ana") anaHead = v.shown.state.head.position, anaName = v.displayName;
        }
        exitCode = client.wait(0.02);
    }
    ASSERT_EQ(exitCode, 0) << client.output();

    // Ben (another participant) saw Ana where her camera is.
    ASSERT_TRUE(anaHead) << "the second participant never saw Ana";
    EXPECT_LT(glm::length(*anaHead - camera), 0.01f);

    std::ifstream in(state);
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["frames"], 20);
    EXPECT_EQ(j["connection"]["status"], "in room demo with 3 people");
    EXPECT_GT(j["connection"]["posted_avatars"].get<int>(), 0);
    auto img = mxr::engine::readPng(shot);
    ASSERT_TRUE(img) << img.error().message;

    std::map<std::string, nlohmann::json> remotes;
    for (const auto& r : j["remote_avatars"]) remotes[r["name"]] = r;
    ASSERT_EQ(remotes.size(), 2u) << j.dump(2);
    ASSERT_TRUE(remotes.count("Ben") && remotes.count("bot-0")) << j.dump(2);
    std::set<std::size_t> hues;
    for (const auto& [name, r] : remotes) {
        EXPECT_EQ(r["opacity"].get<float>(), 1.0f) << name;
        const Vec3 head = vec3(r["head"]["position"]);
        if (name == "Ben") {
            EXPECT_LT(glm::length(head - kBenHead), 0.005f) << "Ben is drawn where he stands";
        } else {
            // On the bot's walking circle at eye height (1.65 m, 2 cm bob).
            EXPECT_NEAR(glm::length(Vec2(head.x, head.z)), 1.0f, 0.1f) << name;
            EXPECT_NEAR(head.y, 1.65f, 0.05f) << name;
        }
        // The top of the head, above the visor, shows the person's colour.
        const std::size_t hue = hueIndexOf(vec3(r["color"]));
        hues.insert(hue);
        const Vec2 px = project(j["view"], head + Vec3(0.0f, 0.07f, 0.0f), img->width, img->height);
        ASSERT_TRUE(px.x >= 0 && px.y >= 0 && px.x < img->width && px.y < img->height) << name;
        const Vec4 c = mxr::engine::pixelAt(*img, std::uint32_t(px.x), std::uint32_t(px.y));
        EXPECT_EQ(nearestHue(c), hue) << name << " at " << px.x << "," << px.y << ": " << c.r << " " << c.g << " "
                                      << c.b;
        expectNamePlate(*img, project(j["view"], vec3(r["label_anchor"]), img->width, img->height), name);
    }
    EXPECT_EQ(hues.size(), 2u) << "two people, two colours";
    client.terminate();
}

// In a headset (the headless OpenXR runtime), what others see is the
// wearer's avatar in world space: the tracked head moved by the play space.
TEST(ClientRooms, HeadsetWearerIsSeenByOthersWhereTheirHeadIsInTheRoom) {
    Host host;
    ASSERT_GT(host.port, 0);
    mxr::SteadyClock clock;
    auto ben = host.joinAsGuest("Ben", "ks_2", clock);
    ASSERT_TRUE(ben) << ben.error().message;
    mxr::net::RemoteAvatars seenByBen;

    const std::string config = tmpPath("xrrt.json"), state = tmpPath("vr.json");
    std::ofstream(config) << R"({"view_size": [96, 96], "frame_rate_hz": 0})";
    ::setenv("XR_RUNTIME_JSON", MXR_XR_RUNTIME_JSON, 1);
    ::setenv("MXR_XRRT_CONFIG", config.c_str(), 1);
    ChildProcess client({MXR_CLIENT, "--mode", "vr", "--server", host.address(), "--guest", "Ana", "--frames", "30",
                         "--await-people", "1", "--dump-state", state, "--known-servers", tmpPath("ks_vr"),
                         "--validation"});
    ::unsetenv("MXR_XRRT_CONFIG");
    ASSERT_TRUE(client.started());
    int exitCode = -1;
    std::optional<mxr::Pose> anaHead;
    for (int i = 0; i < 3000 && exitCode == -1; ++i) {
        (void)(*ben)->postAvatar(benState());
        while (auto e = (*ben)->poll()) seenByBen.apply(*e, clock.now());
        for (const auto& v : seenByBen.sample(clock.now())) {
            if (v.displayName == "Ana") anaHead = v.shown.state.head;
        }
        exitCode = client.wait(0.02);
    }
    ASSERT_EQ(exitCode, 0) << client.output();
    std::ifstream in(state);
    const auto j = nlohmann::json::parse(in);
    ASSERT_TRUE(anaHead) << "Ben never saw the headset wearer";
    const mxr::Pose worn = pose(j["local_avatar"]["head"]);
    // The runtime's head is at 1.6 m in stage space; the play space stands
    // at the room's "table" preset, so in the room she is not at the origin.
    EXPECT_GT(glm::length(Vec2(worn.position.x, worn.position.z)), 1.0f);
    EXPECT_LT(glm::length(anaHead->position - worn.position), 0.01f);
    EXPECT_GT(std::abs(glm::dot(anaHead->orientation, worn.orientation)), 0.999f);
    // And she saw Ben, named, in the room.
    ASSERT_EQ(j["remote_avatars"].size(), 1u) << j.dump(2);
    EXPECT_EQ(j["remote_avatars"][0]["name"], "Ben");
    EXPECT_LT(glm::length(vec3(j["remote_avatars"][0]["head"]["position"]) - kBenHead), 0.005f);
}

// A headset wearer opens a system menu (focus_loss_at_frame), then takes
// the headset off (idle_at_frame): Ben sees her paused, then away, in
// place and never faded out, through the real host.
TEST(ClientRooms, HeadsetWearerIsSeenPausedWithAMenuOpenAndAwayWithTheHeadsetOff) {
    Host host;
    ASSERT_GT(host.port, 0);
    mxr::SteadyClock clock;
    auto ben = host.joinAsGuest("Ben", "ks_pause", clock);
    ASSERT_TRUE(ben) << ben.error().message;
    mxr::net::RemoteAvatars seenByBen;

    const std::string config = tmpPath("xrrt_pause.json");
    std::ofstream(config) << R"({"view_size": [48, 48], "frame_rate_hz": 90, "focus_loss_at_frame": 180,
                               "idle_at_frame": 540})";
    ::setenv("XR_RUNTIME_JSON", MXR_XR_RUNTIME_JSON, 1);
    ::setenv("MXR_XRRT_CONFIG", config.c_str(), 1);
    ChildProcess client({MXR_CLIENT, "--mode", "vr", "--server", host.address(), "--guest", "Ana", "--known-servers",
                         tmpPath("ks_pause_vr"), "--no-voice"});
    ::unsetenv("MXR_XRRT_CONFIG");
    ASSERT_TRUE(client.started());
    bool sawLive = false, sawPaused = false;
    int awayChecks = 0;
    float lowestAlphaAway = 1.0f;
    std::optional<Vec3> pausedHead;
    // Bounded by iterations (about 60 s), not measured.
    for (int i = 0; i < 3000 && awayChecks < 150 && client.wait(0.02) == -1; ++i) {
        (void)(*ben)->postAvatar(benState());
        while (auto e = (*ben)->poll()) seenByBen.apply(*e, clock.now());
        for (const auto& v : seenByBen.sample(clock.now())) {
            if (v.displayName != "Ana") continue;
            const auto& st = v.shown.state;
            if (!st.paused && !st.away) sawLive = true;
            if (st.paused && !st.away) {
                sawPaused = true;
                pausedHead = st.head.position;
            }
            if (st.away) {
                ++awayChecks;  // about 3 s of watching: longer than the 1.5 s fade would wait
                lowestAlphaAway = std::min(lowestAlphaAway, v.shown.alpha);
            }
        }
    }
    ::kill(client.pid(), SIGTERM);
    EXPECT_EQ(client.wait(30.0), 0) << client.output();
    EXPECT_TRUE(sawLive) << client.output();
    EXPECT_TRUE(sawPaused) << client.output();
    EXPECT_EQ(awayChecks, 150) << client.output();
    EXPECT_FLOAT_EQ(lowestAlphaAway, 1.0f) << "away is ghosted by the receiver, never timed out";
    ASSERT_TRUE(pausedHead);
    EXPECT_GT(pausedHead->y, 1.0f) << "paused in place, at head height";
}

// The host stops answering (SIGSTOP: an outage), then comes back: the
// client says "reconnecting...", keeps drawing the room, and resumes.
TEST(ClientRooms, DroppedConnectionShowsReconnectingKeepsRenderingAndResumes) {
    // Through sh so the host's pid comes first on stdout (exec keeps it).
    ChildProcess host({"/bin/sh", "-c", "echo $$; exec \"$0\" \"$@\"", MXR_ROOMHOST, "--port", "0",
                       "--allow-guests", "--room", "demo", "--open-demo"});
    const auto pidLine = host.readLine(20.0);
    const auto listening = host.lineStartingWith("listening udp=", 20.0);
    ASSERT_TRUE(pidLine && listening);
    const pid_t hostPid = std::stoi(*pidLine);
    const std::string address = "127.0.0.1:" + listening->substr(14);
    const std::string state = tmpPath("outage.json");
    ChildProcess client({MXR_CLIENT, "--mode", "headless", "--server", address, "--guest", "Ana", "--size", "64x64",
                         "--frames", "100000000", "--dump-state", state, "--known-servers", tmpPath("ks_outage"),
                         "--validation"});
    ASSERT_TRUE(client.lineStartingWith("connection: in room demo with 1 person", 30.0)) << client.output();
    ::kill(hostPid, SIGSTOP);
    // ENet notices a silent peer after 5 to 9 s (net/README.md).
    const auto lost = client.lineStartingWith("connection: ", 30.0);
    ::kill(hostPid, SIGCONT);
    ASSERT_TRUE(lost) << client.output();
    EXPECT_EQ(*lost, "connection: reconnecting...");
    const auto back = client.lineStartingWith("connection: ", 30.0);
    ASSERT_TRUE(back) << client.output();
    EXPECT_EQ(*back, "connection: in room demo with 1 person");
    client.terminate();
    ASSERT_EQ(client.wait(30.0), 0) << client.output();
    std::ifstream in(state);
    const auto j = nlohmann::json::parse(in);
    EXPECT_GT(j["connection"]["frames_reconnecting"].get<int>(), 0) << "the room was drawn during the outage";
    EXPECT_EQ(j["connection"]["status"], "in room demo with 1 person");
}

TEST(ClientRooms, MalformedAddressAndMissingCredentialsAreBadInput) {
    for (const char* bad : {"localhost", "127.0.0.1:", "127.0.0.1:port", "127.0.0.1:70000", ":7777", "::1:7777"}) {
        const CliRun r = run(std::string("--mode headless --guest Ana --server ") + bad);
        EXPECT_EQ(r.exitCode, 2) << bad << ": " << r.output;
        EXPECT_NE(r.output.find("expected HOST:PORT"), std::string::npos) << r.output;
    }
    CliRun r = run("--mode headless --server 127.0.0.1:7777");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("--server needs --guest NAME or --login EMAIL"), std::string::npos) << r.output;
    r = run("--mode headless --guest Ana");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("need --server"), std::string::npos) << r.output;
    // No password in the environment and no terminal to ask on.
    r = run("--mode headless --server 127.0.0.1:7777 --login ana@example.org", "env -u MENTORXR_PASSWORD setsid -w");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("MENTORXR_PASSWORD"), std::string::npos) << r.output;
}

TEST(ClientRooms, NobodyListeningTimesOutNamingTheAddress) {
    // A port that was just free: bind and release one.
    Host gone;
    ASSERT_GT(gone.port, 0);
    const std::string address = gone.address();
    gone.process->terminate();
    gone.process->wait(10);
    const CliRun r = run("--mode headless --size 320x180 --validation --guest Ana --connect-timeout 1.5 --server " +
                         address + " --known-servers " + tmpPath("ks_timeout"));
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("timed out after 1.5 s connecting to " + address), std::string::npos) << r.output;
}

TEST(ClientRooms, FullRoomAndRefusedLoginAndChangedKeyAreExplained) {
    Host host({"--capacity", "1"});
    ASSERT_GT(host.port, 0);
    // Someone holds the only place.
    mxr::SteadyClock clock;
    auto occupant = host.joinAsGuest("Occupant", "ks_3", clock);
    ASSERT_TRUE(occupant) << occupant.error().message;
    bool joined = false;
    for (int i = 0; i < 1000 && !joined; ++i) {  // the host is local: this takes milliseconds
        while (auto e = (*occupant)->poll()) joined = joined || std::holds_alternative<mxr::net::JoinedEvent>(*e);
        if (!joined) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(joined);

    const std::string ks = tmpPath("ks_full");
    CliRun r = run("--mode headless --size 320x180 --frames 1 --guest Ana --server " + host.address() +
                   " --known-servers " + ks);
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("cannot join room demo on " + host.address()), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("is full"), std::string::npos) << r.output;

    // This host has no accounts: a login is refused, and the client says so.
    r = run("--mode headless --size 320x180 --frames 1 --login ana@example.org --server " + host.address() +
                " --known-servers " + ks,
            "MENTORXR_PASSWORD=secret");
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("login refused by " + host.address()), std::string::npos) << r.output;

    // The pin file says another key for this address: refused, naming the file.
    const std::string pins = tmpPath("ks_changed");
    std::ofstream(pins) << host.address() << ' ' << std::string(64, 'a') << '\n';
    r = run("--mode headless --size 320x180 --frames 1 --guest Ana --server " + host.address() +
            " --known-servers " + pins);
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("changed"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(pins), std::string::npos) << r.output;
}

}  // namespace
