// The client's components driven through the one component interface with a
// fake frame (no GPU, no network, no XR system): the presence (phases
// printed, frame count held until joined, failure before joining ends the
// run, remote people drawn) and the records panel (requests sent once in the
// room, answers shown and announced, drawn in the content area).
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <nlohmann/json.hpp>

#include "scenes/client_components.h"
#include "scenes/voice_component.h"

namespace {

using namespace mxr;
using namespace mxr::scenes;

Logger quiet() { return Logger(std::make_shared<StderrSink>(LogLevel::kError), "test"); }

RoomPresenceOptions presenceOptions(const std::string& room) {
    RoomPresenceOptions o;
    o.server = {"127.0.0.1", 7777};
    o.room = room;
    o.connectTimeout = msToNanos(2000);
    return o;
}

// One fake frame through the interface, in the loop's order.
struct FakeFrame {
    xr::InputState input;
    std::vector<engine::ViewInfo> views{engine::ViewInfo{}};
    engine::FrameScene scene;

    FrameContext run(std::vector<ClientComponent*> components, double t = 0.0) {
        FrameContext ctx{input, 1.0 / 90.0, t, views};
        for (auto* c : components) c->update(ctx);
        scene = {};
        for (auto* c : components) c->contribute(ctx, scene);
        return ctx;
    }
};

struct PresenceRig {
    ManualClock clock{msToNanos(1000)};
    SceneMeshes meshes{engine::MeshHandle{1}, engine::MeshHandle{2}, engine::MeshHandle{3}};
    std::vector<std::string> printed;
    LocalPlayerComponent local{nullptr, meshes};
    PresenceComponent presence;
    explicit PresenceRig(const std::string& room = "demo")
        : presence(std::make_unique<RoomPresence>(presenceOptions(room), clock, quiet()), clock, local, meshes,
                   [this](const std::string& line) { printed.push_back(line); }) {}

    // Ben (avatar 5) standing at (1, 1.6, -1): 60 samples 22 ms apart, a
    // frame run after each (`each` sees it).
    void benStands(FakeFrame& frame, std::vector<ClientComponent*> components,
                   const std::function<void(FrameContext&)>& each = {}) {
        net::AvatarState ben;
        ben.head = Pose{Vec3(1, 1.6f, -1), Quat(1, 0, 0, 0)};
        for (int i = 0; i < 60; ++i) {
            clock.advance(msToNanos(22));
            net::AvatarsEvent avatars;
            avatars.entries.push_back({5, static_cast<std::uint16_t>(i * 22), ben});
            avatars.arrival = clock.now();
            presence.presence().apply(avatars);
            FrameContext f = frame.run(components);
            if (each) each(f);
        }
    }
};

TEST(PresenceComponent, HoldsTheCountUntilJoinedAndPrintsEachPhase) {
    PresenceRig rig;
    FakeFrame frame;
    frame.input.head = Pose{Vec3(0, 1.6f, 0), Quat(1, 0, 0, 0)};
    FrameContext f1 = frame.run({&rig.local, &rig.presence});
    EXPECT_TRUE(f1.holding());
    EXPECT_FALSE(f1.exitRequest());
    ASSERT_EQ(rig.printed.size(), 1u);
    EXPECT_EQ(rig.printed[0], "connection: connecting to 127.0.0.1:7777");
    // The avatar sent is the head from the input.
    EXPECT_FLOAT_EQ(rig.local.avatar().head.position.y, 1.6f);

    rig.presence.presence().apply(net::JoinedEvent{"demo", 3, {}, false});
    rig.presence.presence().apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false},
                                                      {5, "Ben", net::Role::kGuest, false, false}}});
    rig.benStands(frame, {&rig.local, &rig.presence}, [](FrameContext& f) { EXPECT_FALSE(f.holding()); });
    ASSERT_EQ(rig.printed.size(), 2u);
    EXPECT_EQ(rig.printed[1], "connection: in room demo with 2 people");
    EXPECT_TRUE(rig.presence.joinedAt());
    // Ben is drawn: an avatar's instances and his name label.
    ASSERT_EQ(rig.presence.people().size(), 1u);
    EXPECT_EQ(rig.presence.people()[0].name, "Ben");
    EXPECT_FALSE(frame.scene.instances.empty());
    ASSERT_EQ(frame.scene.labels.size(), 1u);
    EXPECT_EQ(frame.scene.labels[0].text, "\u2068Ben\u2069");  // the name in bidi isolates
}

TEST(PresenceComponent, ASpeakingPersonGetsAGreenGlowAroundTheHeadThatFollowsTheLevel) {
    PresenceRig rig;
    FakeFrame frame;
    rig.presence.presence().apply(net::JoinedEvent{"demo", 3, {}, false});
    rig.presence.presence().apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false},
                                                      {5, "Ben", net::Role::kGuest, false, false}}});
    // The glow: the see-through, mostly green instance at the head.
    auto rings = [&] {
        std::vector<engine::Instance> out;
        for (const auto& i : frame.scene.instances) {
            const Vec3 at(i.transform[3]);
            if (i.color.g > 0.9f && i.color.r < 0.7f && i.color.a < 1.0f && std::abs(at.y - 1.6f) < 0.1f) {
                out.push_back(i);
            }
        }
        return out;
    };
    rig.benStands(frame, {&rig.local, &rig.presence});
    ASSERT_EQ(rig.presence.people().size(), 1u);
    EXPECT_EQ(rig.presence.people()[0].avatarId, 5);
    EXPECT_TRUE(rings().empty()) << "silent: no glow";
    const Vec4 quietLabel = frame.scene.labels.at(0).background;

    rig.presence.setSpeaking({{5, 0.2f}});
    frame.run({&rig.local, &rig.presence});
    ASSERT_EQ(rings().size(), 1u);
    const float quietWidth = rings()[0].transform[0][0];
    EXPECT_NEAR(Vec3(rings()[0].transform[3]).x, 1.0f, 0.05f) << "around Ben's head";
    EXPECT_GT(frame.scene.labels.at(0).background.g, quietLabel.g) << "the name plate turns green";

    rig.presence.setSpeaking({{5, 1.0f}});
    frame.run({&rig.local, &rig.presence});
    ASSERT_EQ(rings().size(), 1u);
    EXPECT_GT(rings()[0].transform[0][0], quietWidth * 1.1f) << "louder: a larger glow";
    EXPECT_GT(rings()[0].color.a, 0.5f) << "and a stronger one";

    rig.presence.setSpeaking({{7, 1.0f}});  // someone else speaks
    frame.run({&rig.local, &rig.presence});
    EXPECT_TRUE(rings().empty());
}

TEST(PresenceComponent, ConsentShowsARedLightAndAPrivatePairIsNamedSoAndAnnounced) {
    PresenceRig rig;
    FakeFrame frame;
    VoiceComponent voice(VoiceOptions{}, rig.presence, rig.local,
                         [&](const std::string& line) { rig.printed.push_back(line); });
    rig.presence.presence().apply(net::JoinedEvent{"demo", 3, {}, false});
    auto members = [](bool consent, std::uint16_t anaPrivate, std::uint16_t benPrivate) {
        net::PresenceEntry ana{3, "Ana", net::Role::kGuest, false, false};
        net::PresenceEntry ben{5, "Ben", net::Role::kGuest, false, false};
        ben.recordingConsent = consent;
        ana.privateWith = anaPrivate;
        ben.privateWith = benPrivate;
        return net::PresenceEvent{{ana, ben}};
    };
    auto redLights = [&] {
        int n = 0;
        for (const auto& i : frame.scene.instances) n += i.color.r > 0.9f && i.color.g < 0.2f ? 1 : 0;
        return n;
    };
    rig.presence.presence().apply(members(false, 0, 0));
    rig.benStands(frame, {&rig.local, &rig.presence, &voice});
    EXPECT_EQ(redLights(), 0);
    rig.presence.presence().apply(members(true, 0, 0));
    frame.run({&rig.local, &rig.presence, &voice});
    EXPECT_EQ(redLights(), 1) << "Ben agrees to be recorded";
    EXPECT_EQ(frame.scene.labels.at(0).text, "\u2068Ben\u2069");

    rig.presence.presence().apply(members(true, 5, 3));
    frame.run({&rig.local, &rig.presence, &voice});
    EXPECT_EQ(frame.scene.labels.at(0).text, "\u2068Ben\u2069 (private)");
    EXPECT_EQ(rig.printed.back(), "voice: in private talk with Ben (only you two hear each other)");
    rig.presence.presence().apply(members(true, 0, 0));
    frame.run({&rig.local, &rig.presence, &voice});
    EXPECT_EQ(rig.printed.back(), "voice: private talk ended");
}

TEST(TalkSwitch, OpenMicrophoneSendsUntilMutedAndMuteTogglesOnEachPress) {
    TalkSwitch open(false);
    xr::InputState in;
    EXPECT_TRUE(open.update(in));
    in.mute = true;
    EXPECT_FALSE(open.update(in));
    EXPECT_FALSE(open.update(in)) << "held: still one press";
    in.mute = false;
    EXPECT_FALSE(open.update(in));
    EXPECT_TRUE(open.muted());
    in.mute = true;
    EXPECT_TRUE(open.update(in)) << "pressed again: unmuted";
    EXPECT_FALSE(open.muted());
}

TEST(TalkSwitch, PushToTalkSendsOnlyWhileHeldAndNotMuted) {
    TalkSwitch ptt(true);
    xr::InputState in;
    EXPECT_FALSE(ptt.update(in));
    in.talk = true;
    EXPECT_TRUE(ptt.update(in));
    in.talk = false;
    EXPECT_FALSE(ptt.update(in)) << "let go: silent";
    in.mute = true;
    in.talk = true;
    EXPECT_FALSE(ptt.update(in)) << "muted wins over the talk button";
}

TEST(TalkSwitch, PushToTalkLetsGoWhenFocusGoesAndAnOpenMicrophoneStays) {
    xr::InputState in;
    in.talk = true;
    TalkSwitch ptt(true);
    EXPECT_TRUE(ptt.update(in));
    in.focused = false;  // a system menu opens, the talk button still down
    EXPECT_FALSE(ptt.update(in)) << "push-to-talk lets go with focus";
    in.mute = true;
    EXPECT_FALSE(ptt.update(in));
    EXPECT_FALSE(ptt.muted()) << "the menu's buttons do not toggle mute";
    TalkSwitch open(false);
    in.mute = false;
    EXPECT_TRUE(open.update(in)) << "an open microphone stays open";
}

TEST(PresenceComponent, APausedPersonIsDimmedInPlaceNotFadedOut) {
    PresenceRig rig;
    FakeFrame frame;
    rig.presence.presence().apply(net::JoinedEvent{"demo", 3, {}, false});
    rig.presence.presence().apply(net::PresenceEvent{{{3, "Ana", net::Role::kGuest, false, false},
                                                      {5, "Ben", net::Role::kGuest, false, false}}});
    rig.benStands(frame, {&rig.local, &rig.presence});
    ASSERT_EQ(rig.presence.people().size(), 1u);
    const Vec4 awake = frame.scene.instances.at(0).color;
    // Ben's dashboard opens: his samples say paused, he keeps sending them.
    net::AvatarState ben;
    ben.head = Pose{Vec3(1, 1.6f, -1), Quat(1, 0, 0, 0)};
    ben.paused = true;
    for (int i = 60; i < 120; ++i) {
        rig.clock.advance(msToNanos(22));
        net::AvatarsEvent avatars;
        avatars.entries.push_back({5, static_cast<std::uint16_t>(i * 22), ben});
        avatars.arrival = rig.clock.now();
        rig.presence.presence().apply(avatars);
        frame.run({&rig.local, &rig.presence});
    }
    ASSERT_EQ(rig.presence.people().size(), 1u);
    const Participant& p = rig.presence.people()[0];
    EXPECT_TRUE(p.paused);
    EXPECT_FLOAT_EQ(p.opacity, 1.0f) << "still there, not fading";
    EXPECT_NEAR(p.head.position.x, 1.0f, 1e-3f) << "in place";
    EXPECT_EQ(frame.scene.labels.at(0).text, "\u2068Ben\u2069 (paused)");
    const Vec4 dimmed = frame.scene.instances.at(0).color;  // the head
    EXPECT_FLOAT_EQ(dimmed.a, 1.0f);
    EXPECT_LT(dimmed.r + dimmed.g + dimmed.b, 0.7f * (awake.r + awake.g + awake.b)) << "dimmed";
    EXPECT_NEAR(Vec3(dimmed).x, pausedColor(Vec3(awake)).x, 1e-4f);
}

TEST(PresenceComponent, TheLocalAvatarIsSentPausedWhileFocusIsAway) {
    PresenceRig rig;
    FakeFrame frame;
    frame.run({&rig.local, &rig.presence});
    EXPECT_FALSE(rig.local.avatar().paused);
    EXPECT_FALSE(toAvatarState(rig.local.avatar()).paused);
    frame.input.focused = false;
    frame.run({&rig.local, &rig.presence});
    EXPECT_TRUE(rig.local.avatar().paused);
    EXPECT_TRUE(toAvatarState(rig.local.avatar()).paused);
    EXPECT_FALSE(rig.local.avatar().away);
    // A frame nobody sees (the headset is off): away.
    FrameContext idle{frame.input, 0.1, 0.0, frame.views};
    idle.idle = true;
    rig.local.update(idle);
    EXPECT_TRUE(rig.local.avatar().away);
    EXPECT_TRUE(toAvatarState(rig.local.avatar()).away);
}

TEST(SpeakingIndicator, FollowsTheDecodedLevelFromQuietToLoud) {
    EXPECT_EQ(speakingFromLevel(0), 0.0f);                 // silence
    EXPECT_EQ(speakingFromLevel(127 - 60), 0.0f);          // -60 dBFS: background
    EXPECT_GT(speakingFromLevel(127 - 40), 0.2f);          // -40 dBFS: quiet speech
    EXPECT_EQ(speakingFromLevel(127 - 10), 1.0f);          // -10 dBFS: loud
}

TEST(PresenceComponent, FailureBeforeJoiningEndsTheRunWithCode2) {
    PresenceRig rig;
    FakeFrame frame;
    rig.presence.presence().apply(net::FailedEvent{
        Error{ErrorCode::kPermissionDenied, 6, "room full: room 'demo' is full (1 of 1)"}, net::ReplyCode::kRoomFull});
    FrameContext f = frame.run({&rig.local, &rig.presence});
    ASSERT_TRUE(f.exitRequest());
    EXPECT_EQ(f.exitRequest()->code, 2);
    EXPECT_EQ(f.exitRequest()->message,
              "cannot join room demo on 127.0.0.1:7777: room full: room 'demo' is full (1 of 1)");
}

struct FakeWire {
    std::vector<std::pair<std::uint32_t, std::string>> sent;  // id, "METHOD path"
    std::deque<net::ApiResponse> answers;
    std::uint32_t next = 100;
    RecordsChannel channel() {
        return {[this](net::ApiMethod m, const std::string& path, const std::string&) -> std::optional<std::uint32_t> {
                    sent.emplace_back(next, std::string(m == net::ApiMethod::kGet ? "GET " : "PATCH ") + path);
                    return next++;
                },
                [this]() -> std::optional<net::ApiResponse> {
                    if (answers.empty()) return std::nullopt;
                    auto a = answers.front();
                    answers.pop_front();
                    return a;
                }};
    }
    std::uint32_t idOf(const std::string& what) const {
        for (const auto& [id, s] : sent) {
            if (s.rfind(what, 0) == 0) return id;
        }
        return 0;
    }
};

TEST(RecordsComponent, LoadsOnceInTheRoomAndAnnouncesASavedGoal) {
    PresenceRig rig("mentorship-4");
    FakeWire wire;
    RecordsComponent records(rig.presence, "mentorship-4", true,
                             [&](const std::string& line) { rig.printed.push_back(line); }, wire.channel());
    FakeFrame frame;
    frame.run({&rig.local, &rig.presence, &records});
    EXPECT_TRUE(wire.sent.empty()) << "nothing is sent before the room is joined";

    rig.presence.presence().apply(net::JoinedEvent{"mentorship-4", 3, {}, false});
    frame.run({&rig.local, &rig.presence, &records});
    ASSERT_EQ(wire.sent.size(), 3u);
    EXPECT_EQ(wire.sent[0].second, "GET /mentorships/4");
    using Json = nlohmann::json;
    wire.answers.push_back({wire.idOf("GET /mentorships/4"), 200, Json{{"id", 4}, {"mentors", {2}}, {"mentees", {3}}}.dump()});
    wire.answers.push_back({wire.idOf("GET /goals"), 200,
                            Json{{"items",
                                  {{{"id", 7}, {"mentorship_id", 4}, {"title", "Weld"}, {"status", "open"}, {"progress", 40}}}}}
                                .dump()});
    wire.answers.push_back({wire.idOf("GET /sessions"), 200, Json{{"items", Json::array()}}.dump()});
    frame.run({&rig.local, &rig.presence, &records});
    EXPECT_EQ(records.panel().phase(), RecordsPhase::kReady);
    EXPECT_EQ(records.panel().statusText(), "1 goal");

    // Save, as the button does; the server's answer is announced.
    ASSERT_TRUE(records.panel().saveProgress(7, 60));
    frame.run({&rig.local, &rig.presence, &records});
    const std::uint32_t patch = wire.idOf("PATCH /goals/7");
    ASSERT_NE(patch, 0u);
    wire.answers.push_back({patch, 200,
                            Json{{"id", 7}, {"mentorship_id", 4}, {"title", "Weld"}, {"status", "open"}, {"progress", 60}}.dump()});
    frame.run({&rig.local, &rig.presence, &records});
    EXPECT_EQ(rig.printed.back(), "records: goal 7 progress 60 saved");
    EXPECT_EQ(records.panel().goals()[0].progress, 60);
}

TEST(RecordsComponent, DrawsNothingWithoutAContentArea) {
    PresenceRig rig;
    RecordsComponent records(rig.presence, "demo", false, [](const std::string&) {});
    FrameStats stats;
    UiContext ui{0.011f, stats, std::nullopt};
    records.drawUi(ui);  // no ImGui context exists: drawing would crash
    SUCCEED();
}

}  // namespace
