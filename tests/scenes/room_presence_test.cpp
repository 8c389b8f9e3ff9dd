// RoomPresence without a network: the connection states a user reads in the
// panel, the remote people it hands to the renderer (names, stable colours,
// smooth motion, fading), the connect deadline, and the CLI's address parsing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "scenes/room_presence.h"

namespace {

using namespace mxr;
using namespace mxr::scenes;

RoomPresenceOptions options() {
    RoomPresenceOptions o;
    o.server = {"127.0.0.1", 7777};
    o.room = "demo";
    o.connectTimeout = msToNanos(2000);
    return o;
}

Logger quiet() { return Logger(std::make_shared<StderrSink>(LogLevel::kError), "test"); }

net::AvatarState walking(double seconds) {
    net::AvatarState s;
    s.head = Pose{Vec3(float(seconds), 1.6f, 0.0f), Quat(1, 0, 0, 0)};
    s.leftHand = Pose{Vec3(float(seconds) - 0.2f, 1.0f, 0.0f), Quat(1, 0, 0, 0)};
    s.rightHand = Pose{Vec3(float(seconds) + 0.2f, 1.0f, 0.0f), Quat(1, 0, 0, 0)};
    return s;
}

TEST(RoomPresence, StatesReadAsAUserWouldSeeThem) {
    ManualClock clock(msToNanos(1000));
    RoomPresence p(options(), clock, quiet());
    EXPECT_EQ(p.phase(), ConnectionPhase::kConnecting);
    EXPECT_EQ(p.statusText(), "connecting to 127.0.0.1:7777");

    p.apply(net::JoinedEvent{"demo", 3, {}, false});
    EXPECT_EQ(p.phase(), ConnectionPhase::kInRoom);
    EXPECT_TRUE(p.everJoined());
    EXPECT_EQ(p.statusText(), "in room demo with 1 person");
    p.apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false},
                                {5, "Ben", net::Role::kGuest, false, false},
                                {7, "Chen", net::Role::kGuest, false, true}}});
    EXPECT_EQ(p.statusText(), "in room demo with 2 people") << "Chen is away: not counted";

    p.apply(net::ConnectionLostEvent{});
    EXPECT_EQ(p.phase(), ConnectionPhase::kReconnecting);
    EXPECT_EQ(p.statusText(), "reconnecting...");
    p.apply(net::JoinedEvent{"demo", 3, {}, true});
    EXPECT_EQ(p.phase(), ConnectionPhase::kInRoom);

    p.apply(net::RemovedEvent{"removed by a mentor"});
    EXPECT_EQ(p.phase(), ConnectionPhase::kFailed);
    EXPECT_EQ(p.statusText(), "error: removed from room demo: removed by a mentor");
}

TEST(RoomPresence, RefusalsBeforeJoiningSayWhatHappened) {
    ManualClock clock;
    RoomPresence full(options(), clock, quiet());
    full.apply(net::FailedEvent{Error{ErrorCode::kPermissionDenied, 6, "room full: room 'demo' is full (1 of 1)"},
                                net::ReplyCode::kRoomFull});
    EXPECT_EQ(full.phase(), ConnectionPhase::kFailed);
    EXPECT_FALSE(full.everJoined());
    EXPECT_EQ(full.error(), "cannot join room demo on 127.0.0.1:7777: room full: room 'demo' is full (1 of 1)");
    EXPECT_EQ(full.errorCode(), net::ReplyCode::kRoomFull);

    RoomPresence login(options(), clock, quiet());
    login.apply(net::FailedEvent{Error{ErrorCode::kPermissionDenied, 3, "auth failed: wrong password"},
                                 net::ReplyCode::kAuthFailed});
    EXPECT_EQ(login.error(), "login refused by 127.0.0.1:7777: auth failed: wrong password");
}

TEST(RoomPresence, NoAnswerWithinTheConnectTimeoutFails) {
    ManualClock clock(msToNanos(500));
    RoomPresence p(options(), clock, quiet());
    const Participant me = desktopAvatar(Pose{Vec3(0, 1.6f, 0), Quat(1, 0, 0, 0)}, nullptr, nullptr);
    clock.advance(msToNanos(1999));
    p.update(me);
    EXPECT_EQ(p.phase(), ConnectionPhase::kConnecting);
    clock.advance(msToNanos(2));
    p.update(me);
    EXPECT_EQ(p.phase(), ConnectionPhase::kFailed);
    EXPECT_EQ(p.error().rfind("timed out after 2 s connecting to 127.0.0.1:7777", 0), 0u) << p.error();
    EXPECT_EQ(p.postedAvatars(), 0u) << "nothing is posted outside a room";
}

TEST(RoomPresence, RemotePeopleMoveSmoothlyWithNamesAndStableColours) {
    ManualClock clock(msToNanos(10'000));
    RoomPresence p(options(), clock, quiet());
    p.apply(net::JoinedEvent{"demo", 3, {}, false});
    p.apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false},
                                {5, "Ben", net::Role::kMentor, false, false}}});
    // Ben walks along x at 1 m/s, 45 samples a second, each arriving 30 ms
    // after it was sent; our own echo (id 3) is ignored.
    std::vector<float> shownX;
    for (int i = 0; i < 90; ++i) {
        const double t = i / 45.0;
        net::AvatarsEvent e;
        e.entries.push_back({5, static_cast<std::uint16_t>(i * 1000 / 45), walking(t)});
        e.entries.push_back({3, static_cast<std::uint16_t>(i * 1000 / 45), walking(-t)});
        e.arrival = clock.now();
        p.apply(e);
        const auto people = p.participants();
        if (!people.empty()) {
            ASSERT_EQ(people.size(), 1u);
            EXPECT_EQ(people[0].name, "Ben");
            EXPECT_EQ(people[0].color, colorForAvatar(5));
            shownX.push_back(people[0].head.position.x);
        }
        clock.advance(msToNanos(1000.0 / 45.0));
    }
    ASSERT_GT(shownX.size(), 60u);
    for (std::size_t i = 1; i < shownX.size(); ++i) {
        EXPECT_GE(shownX[i], shownX[i - 1] - 1e-4f) << "never backwards, frame " << i;
        EXPECT_LT(shownX[i] - shownX[i - 1], 0.06f) << "no jumps (1 m/s is 2.2 cm a frame), frame " << i;
    }
    EXPECT_GT(shownX.back(), 1.5f) << "Ben is shown where he walked, a short playout delay behind";
    EXPECT_EQ(p.visiblePeople(), 1u);

    // Ben leaves: he fades out, then is gone.
    p.apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false}}});
    clock.advance(msToNanos(250));
    auto fading = p.participants();
    ASSERT_EQ(fading.size(), 1u);
    EXPECT_GT(fading[0].opacity, 0.0f);
    EXPECT_LT(fading[0].opacity, 1.0f);
    EXPECT_EQ(p.visiblePeople(), 0u);
    clock.advance(msToNanos(1000));
    EXPECT_TRUE(p.participants().empty());
    EXPECT_EQ(p.statusText(), "in room demo with 1 person");
}

TEST(RoomPresence, ColoursAreStablePerAvatarAndDifferBetweenNeighbours) {
    EXPECT_EQ(colorForAvatar(9), colorForAvatar(9));
    for (std::uint16_t id = 1; id < 16; ++id) EXPECT_NE(colorForAvatar(id), colorForAvatar(id + 1)) << id;
}

TEST(RoomPresence, DesktopAvatarRestsItsHandsBelowTheHead) {
    const Pose head{Vec3(1, 1.6f, 2), glm::angleAxis(1.5707963f, Vec3(0, 1, 0))};  // facing -x
    const Participant me = desktopAvatar(head, nullptr, nullptr);
    for (const Pose& h : me.hands) {
        EXPECT_NEAR(h.position.y, 1.05f, 1e-4f);
        EXPECT_LT(h.position.x, 1.0f) << "in front of the face (facing -x)";
    }
    EXPECT_GT(me.hands[0].position.z, me.hands[1].position.z) << "left hand on the left";
    const Pose grip{Vec3(0.5f, 1.2f, 2), Quat(1, 0, 0, 0)};
    EXPECT_EQ(desktopAvatar(head, nullptr, &grip).hands[1].position, grip.position);
    const net::AvatarState s = toAvatarState(me);
    EXPECT_EQ(s.head.position, head.position);
    EXPECT_EQ(s.rightHand.position, me.hands[1].position);
}

TEST(RoomPresence, ServerAddressesParseOrSayWhatIsWrong) {
    auto a = parseServerAddress("mentor.example.org:7777");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "mentor.example.org");
    EXPECT_EQ(a->port, 7777);
    auto v6 = parseServerAddress("[::1]:9000");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 9000);
    for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:8o", "::1:80", "[::1]80"}) {
        auto r = parseServerAddress(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("expected HOST:PORT"), std::string::npos) << r.error().message;
    }
}

TEST(RoomPresence, KnownServersLiveBesideTheConfig) {
    ::setenv("XDG_CONFIG_HOME", "/tmp/cfg", 1);
    EXPECT_EQ(defaultKnownServersPath(), std::filesystem::path("/tmp/cfg/mentorxr/known_servers"));
    ::unsetenv("XDG_CONFIG_HOME");
    ::setenv("HOME", "/home/ana", 1);
    EXPECT_EQ(defaultKnownServersPath(), std::filesystem::path("/home/ana/.config/mentorxr/known_servers"));
}

// An idle headset (away) is posted about twice a second, not 45 times, and
// goes back to 45 Hz when worn again; the change goes out at once.
TEST(RoomPresence, AnAwayPersonIsPostedTwiceASecond) {
    ManualClock clock(msToNanos(1000));
    RoomPresence p(options(), clock, quiet());
    p.apply(net::JoinedEvent{"demo", 3, {}, false});
    Participant me = desktopAvatar(Pose{Vec3(0, 1.6f, 0), Quat(1, 0, 0, 0)}, nullptr, nullptr);
    auto run = [&](int ms) {
        const std::uint64_t before = p.postedAvatars();
        for (int t = 0; t < ms; t += 10) {
            p.update(me);
            clock.advance(msToNanos(10));
        }
        return p.postedAvatars() - before;
    };
    EXPECT_NEAR(double(run(2000)), 90.0, 2.0) << "worn: 45 Hz";
    me.away = true;
    EXPECT_EQ(run(2000), 4u) << "away: at once, then every 500 ms";
    me.away = false;
    EXPECT_NEAR(double(run(1000)), 45.0, 2.0);
}

TEST(RoomPresence, AnAwayPersonIsGhostedInPlaceWithAwayOnThePlate) {
    ManualClock clock(msToNanos(10'000));
    RoomPresence p(options(), clock, quiet());
    p.apply(net::JoinedEvent{"demo", 3, {}, false});
    p.apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false},
                                {5, "Ben", net::Role::kGuest, false, false}}});
    net::AvatarState ben = walking(1.0);
    ben.away = true;
    for (int i = 0; i < 8; ++i) {  // 500 ms apart, for 4 s: longer than the 1.5 s fade
        clock.advance(msToNanos(500));
        net::AvatarsEvent e;
        e.entries.push_back({5, static_cast<std::uint16_t>(i * 500), ben});
        e.arrival = clock.now();
        p.apply(e);
    }
    const auto people = p.participants();
    ASSERT_EQ(people.size(), 1u);
    EXPECT_EQ(people[0].name, "Ben (away)");
    EXPECT_TRUE(people[0].away);
    EXPECT_FLOAT_EQ(people[0].opacity, kAwayOpacity) << "ghosted, neither gone nor fading";
    EXPECT_NEAR(people[0].head.position.x, 1.0f, 1e-3f);
}

// The paused flag travels in the entry's flags byte: the size is unchanged.
TEST(RoomPresence, ThePausedFlagCrossesTheWireWithoutGrowingTheEntry) {
    net::AvatarEntry e;
    e.avatarId = 5;
    e.state.head = Pose{Vec3(1, 1.6f, -1), Quat(1, 0, 0, 0)};
    e.state.leftHand = e.state.rightHand = e.state.head;
    net::ByteWriter plain;
    net::writeAvatarEntry(plain, e);
    e.state.paused = true;
    net::ByteWriter paused;
    net::writeAvatarEntry(paused, e);
    EXPECT_EQ(paused.data().size(), plain.data().size());
    net::ByteReader r(paused.data());
    auto back = net::readAvatarEntry(r, net::RoomBounds{});
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(back->state.paused);
    net::ByteReader r2(plain.data());
    EXPECT_FALSE(net::readAvatarEntry(r2, net::RoomBounds{})->state.paused);
}

}  // namespace

namespace {

// An AR client that placed the workspace on its real bench sees others
// where they stand relative to the workspace, not where their own rooms
// put them: the shared room is anchored to the workspace file's pose.
TEST(RoomPresence, OthersAreDrawnInTheSharedWorkspaceFrame) {
    ManualClock clock(msToNanos(10'000));
    RoomPresence p(options(), clock, quiet());
    p.apply(net::JoinedEvent{"demo", 3, {}, false, 2, false});
    p.apply(net::PresenceEvent{{{3, "Ana", net::Role::kMentee, false, false},
                                {5, "Ben", net::Role::kMentor, false, false}}});
    // The file puts the bench at (2.3, 0, -1.4) facing -30 degrees; Ana put
    // it at (-1, 0, 0.5) facing 60 degrees in her room.
    const Pose file{Vec3(2.3f, 0.0f, -1.4f), glm::angleAxis(glm::radians(-30.0f), Vec3(0, 1, 0))};
    const Pose placed{Vec3(-1.0f, 0.0f, 0.5f), glm::angleAxis(glm::radians(60.0f), Vec3(0, 1, 0))};
    p.setSharedFrame(file * placed.inverse());
    // Ben (a desktop mentor, no placement) stands 0.8 m in front of the
    // bench's model in the shared room.
    const Vec3 inFrontOfBench(0.0f, 1.6f, 0.8f);
    net::AvatarState ben;
    ben.head = file * Pose{inFrontOfBench, Quat(1, 0, 0, 0)};
    ben.leftHand = ben.rightHand = ben.head;
    for (int i = 0; i < 20; ++i) {
        net::AvatarsEvent e;
        e.entries.push_back({5, static_cast<std::uint16_t>(i * 22), ben});
        e.arrival = clock.now();
        p.apply(e);
        clock.advance(msToNanos(22));
    }
    const auto people = p.participants();
    ASSERT_EQ(people.size(), 1u);
    // Ana sees him 0.8 m in front of her real bench.
    const Vec3 expected = placed.transformPoint(inFrontOfBench);
    EXPECT_LT(glm::length(people[0].head.position - expected), 1e-3f)
        << people[0].head.position.x << "," << people[0].head.position.z;
    // And the transform round trips.
    const Pose back = p.sharedFrame() * p.sharedFrame().inverse();
    EXPECT_LT(glm::length(back.position), 1e-5f);
}

}  // namespace
