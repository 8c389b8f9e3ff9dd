// Sessions from room presence, in process: RoomService over a real SQLite
// store with a manual wall clock, driven through its RoomObserver calls as
// the room host would. The heartbeat of sessions in progress, what a crash
// leaves and how the next start closes it, and endMeetings() at a clean
// stop; the meeting window (a room occupied again within 30 s is the same
// meeting, also across a clean restart or a crash). (The same paths through the real server process, SIGTERM and
// kill -9 included, are in rooms_test.cpp.)
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server/rooms.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

class RoomSessions : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        mentor = env.person(admin, "mentor", Json::array({"mentor"}));
        mentee = env.person(admin, "mentee", Json::array({"mentee"}));
        const auto program = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "P"}}));
        mentorship = env.must(env.handlers->create(
            admin, Entity::kMentorship,
            Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"},
                 {"mentors", {mentor}}, {"mentees", {mentee}}}));
        room = "mentorship-" + std::to_string(mentorship);
    }
    std::unique_ptr<RoomService> service(std::int64_t heartbeatSeconds = 30) {
        RoomServiceOptions o;
        o.heartbeatSeconds = heartbeatSeconds;
        return std::make_unique<RoomService>(*env.handlers, *env.store, env.wall, net::SigningKeyPair::generate(), o,
                                             Logger());
    }
    net::Identity who(std::int64_t id) { return net::Identity{std::to_string(id), "p", net::Role::kMentee}; }
    Json sessions() {
        auto r = env.handlers->list(admin, Entity::kSession, Params{{"mentorship_id", std::to_string(mentorship)}});
        EXPECT_TRUE(r);
        return r ? (*r)["items"] : Json::array();
    }
    std::vector<OpenRoomSession> open() {
        std::vector<OpenRoomSession> out;
        auto r = env.store->read([&](ReadTx& tx) -> Result<Json> {
            MXR_TRY_ASSIGN(out, tx.openRoomSessions());
            return Json();
        });
        EXPECT_TRUE(r);
        return out;
    }

    TestEnv env{"room-sessions"};
    Principal admin;
    std::int64_t mentor = 0, mentee = 0, mentorship = 0;
    std::string room;
};

TEST_F(RoomSessions, ASessionInProgressIsOnDiskAndClosedWhenTheRoomEmpties) {
    auto rooms = service();
    const std::int64_t t0 = env.wall.nowUnix();
    rooms->onMemberJoined(room, who(mentor), 1, t0);
    rooms->drain();
    EXPECT_TRUE(sessions().empty());  // alone: no meeting
    rooms->onMemberJoined(room, who(mentee), 2, t0 + 5);
    rooms->drain();
    Json s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["started_at"], formatTimestamp(t0 + 5));
    EXPECT_TRUE(s[0]["ended_at"].is_null());
    EXPECT_EQ(s[0]["attendees"], Json({mentor, mentee}));
    ASSERT_EQ(open().size(), 1u);
    rooms->onMemberLeft(room, who(mentor), 1, t0 + 60, "left");
    rooms->onMemberLeft(room, who(mentee), 2, t0 + 90, "left");
    rooms->drain();
    s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["ended_at"], formatTimestamp(t0 + 90));
    // Its open row stays, at the time the room emptied, for the window.
    ASSERT_EQ(open().size(), 1u);
    EXPECT_EQ(open()[0].seenAt, t0 + 90);
}

// A meeting in the pair's room becomes the planned session whose window
// (start - 30 min to its end) holds its start; a cancelled one never does;
// a meeting outside every window is a new session (issue 18).
TEST_F(RoomSessions, AMeetingBecomesThePlannedSessionWhoseWindowHoldsItsStart) {
    const std::int64_t t0 = env.wall.nowUnix();
    const Principal pair = env.principalFor("mentor@example.org", "mentor-password");
    const auto plan = [&](std::int64_t at) {
        return env.must(env.handlers->create(pair, Entity::kSession,
                                             Json{{"mentorship_id", mentorship}, {"scheduled_at", formatTimestamp(at)},
                                                  {"agenda", "planned"}}));
    };
    const auto cancelled = plan(t0);
    ASSERT_TRUE(env.handlers->changeSession(pair, cancelled, Json{{"reason", "moved"}}, true));
    const auto planned = plan(t0 + 20 * 60);
    const auto later = plan(t0 + 2 * 86400);
    auto rooms = service();
    rooms->onMemberJoined(room, who(mentor), 1, t0);
    rooms->onMemberJoined(room, who(mentee), 2, t0 + 5);  // 19 min 55 s early: in the window
    rooms->drain();
    rooms->onMemberLeft(room, who(mentor), 1, t0 + 3000, "left");
    rooms->onMemberLeft(room, who(mentee), 2, t0 + 3000, "left");
    rooms->drain();
    Json s = sessions();
    ASSERT_EQ(s.size(), 3u) << s.dump();  // no new record
    for (const auto& x : s) {
        if (x["id"] == planned) {
            EXPECT_EQ(x["scheduled_at"], formatTimestamp(t0 + 20 * 60));
            EXPECT_EQ(x["started_at"], formatTimestamp(t0 + 5));
            EXPECT_EQ(x["ended_at"], formatTimestamp(t0 + 3000));
            EXPECT_EQ(x["attendees"], Json({mentor, mentee}));
            EXPECT_EQ(x["agenda"], "planned");
        } else {
            EXPECT_TRUE(x["started_at"].is_null()) << x.dump();
        }
    }
    // Well after that meeting's window and an hour before the next planned
    // one (outside its 30 min): a new session as before.
    env.wall.set(t0 + 2 * 86400 - 3600);
    const std::int64_t t1 = env.wall.nowUnix();
    rooms->onMemberJoined(room, who(mentor), 1, t1);
    rooms->onMemberJoined(room, who(mentee), 2, t1 + 1);
    rooms->drain();
    s = sessions();
    ASSERT_EQ(s.size(), 4u) << s.dump();
    EXPECT_EQ(s[3]["started_at"], formatTimestamp(t1 + 1));
    EXPECT_EQ(s[3]["source"], "room");
    for (const auto& x : s) {
        if (x["id"] == later) {
            EXPECT_TRUE(x["started_at"].is_null());
        }
    }
}

TEST_F(RoomSessions, TheHeartbeatMovesTheLastSeenTimeAndACrashClosesThereAtTheNextStart) {
    const std::int64_t t0 = env.wall.nowUnix();
    {
        auto rooms = service(1);
        rooms->onMemberJoined(room, who(mentor), 1, t0);
        rooms->onMemberJoined(room, who(mentee), 2, t0);
        rooms->drain();
        env.wall.set(t0 + 600);
        // Wait (not assert on time) until a heartbeat has seen it at t0+600.
        for (int i = 0; i < 200; ++i) {
            auto o = open();
            if (o.size() == 1 && o[0].seenAt == t0 + 600) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ASSERT_EQ(open().size(), 1u);
        ASSERT_EQ(open()[0].seenAt, t0 + 600);
        // A crash: the service goes without anyone leaving and without endMeetings().
    }
    env.wall.set(t0 + 7200);
    auto next = service();
    auto closed = next->closeLeftoverSessions();
    ASSERT_TRUE(closed) << closed.error().describe();
    EXPECT_EQ(*closed, 1u);
    const Json s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["started_at"], formatTimestamp(t0));
    EXPECT_EQ(s[0]["ended_at"], formatTimestamp(t0 + 600));  // the last heartbeat, not the restart
    EXPECT_EQ(s[0]["attendees"], Json({mentor, mentee}));
    EXPECT_TRUE(open().empty());
    auto again = next->closeLeftoverSessions();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0u);
}

TEST_F(RoomSessions, EndMeetingsEndsEveryMeetingInProgressAsIfEveryoneHadLeft) {
    const std::int64_t t0 = env.wall.nowUnix();
    auto rooms = service();
    rooms->onMemberJoined(room, who(mentor), 1, t0);
    rooms->onMemberJoined(room, who(mentee), 2, t0 + 1);
    rooms->onMemberJoined("mentorship-999", who(mentor), 3, t0);  // alone elsewhere: nothing to end
    env.wall.set(t0 + 300);
    rooms->endMeetings();  // waits for the writes
    const Json s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["started_at"], formatTimestamp(t0 + 1));
    EXPECT_EQ(s[0]["ended_at"], formatTimestamp(t0 + 300));
    EXPECT_EQ(s[0]["attendees"], Json({mentor, mentee}));
    // The open row stays for the window (a quick restart goes on with it).
    ASSERT_EQ(open().size(), 1u);
    EXPECT_EQ(open()[0].seenAt, t0 + 300);
    // Late observer calls (a host still stopping) change nothing.
    rooms->onMemberLeft(room, who(mentee), 2, t0 + 400, "left");
    rooms->drain();
    EXPECT_EQ(sessions()[0]["ended_at"], formatTimestamp(t0 + 300));
}

TEST_F(RoomSessions, AnAttendeeWhoComesLaterIsAddedWhileTheMeetingGoesOn) {
    const std::int64_t manager = env.person(admin, "manager", Json::array({"program_manager"}));
    auto rooms = service();
    const std::int64_t t0 = env.wall.nowUnix();
    // A manager and the mentor meet first; the mentee comes later.
    rooms->onMemberJoined(room, who(manager), 1, t0);
    rooms->onMemberJoined(room, who(mentor), 2, t0 + 1);
    rooms->drain();
    ASSERT_EQ(sessions().size(), 1u);
    EXPECT_EQ(sessions()[0]["attendees"], Json({mentor}));
    rooms->onMemberJoined(room, who(mentee), 3, t0 + 2);
    rooms->drain();
    EXPECT_EQ(sessions()[0]["attendees"], Json({mentor, mentee}));
    EXPECT_TRUE(sessions()[0]["ended_at"].is_null());
}

// The meeting window: a room occupied again within 30 s of emptying is the
// same meeting (same record, in progress again); after it, a new one.
TEST_F(RoomSessions, ARoomOccupiedAgainWithinTheWindowIsTheSameMeetingAndAfterItANewOne) {
    auto rooms = service();
    const std::int64_t t0 = env.wall.nowUnix();
    rooms->onMemberJoined(room, who(mentor), 1, t0);
    rooms->onMemberJoined(room, who(mentee), 2, t0);
    rooms->onMemberLeft(room, who(mentor), 1, t0 + 100, "left");
    rooms->onMemberLeft(room, who(mentee), 2, t0 + 100, "left");
    rooms->drain();
    ASSERT_EQ(sessions().size(), 1u);
    EXPECT_EQ(sessions()[0]["ended_at"], formatTimestamp(t0 + 100));
    // Back after 29 s: the same meeting goes on.
    rooms->onMemberJoined(room, who(mentee), 3, t0 + 129);
    rooms->drain();
    Json s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_TRUE(s[0]["ended_at"].is_null());
    EXPECT_EQ(s[0]["started_at"], formatTimestamp(t0));
    rooms->onMemberJoined(room, who(mentor), 4, t0 + 130);
    rooms->onMemberLeft(room, who(mentor), 4, t0 + 200, "left");
    rooms->onMemberLeft(room, who(mentee), 3, t0 + 200, "timed out");
    rooms->drain();
    s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["ended_at"], formatTimestamp(t0 + 200));
    // Back after 31 s: that meeting is over; this is another one.
    rooms->onMemberJoined(room, who(mentor), 5, t0 + 231);
    rooms->onMemberJoined(room, who(mentee), 6, t0 + 231);
    rooms->drain();
    s = sessions();
    ASSERT_EQ(s.size(), 2u);
    const std::int64_t first = s[0]["id"], second = s[1]["id"];
    for (const Json& x : s) {
        if (x["id"] == first) {
            EXPECT_EQ(x["started_at"], formatTimestamp(t0));
            EXPECT_EQ(x["ended_at"], formatTimestamp(t0 + 200));
        } else {
            EXPECT_EQ(x["started_at"], formatTimestamp(t0 + 231));
            EXPECT_TRUE(x["ended_at"].is_null());
            EXPECT_EQ(x["attendees"], Json({mentor, mentee}));
        }
    }
    // Only the meeting in progress keeps an open row.
    const auto o = open();
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].sessionId, std::max(first, second));
}

TEST_F(RoomSessions, TheHeartbeatDropsTheOpenRowOfAMeetingWhoseWindowHasPassed) {
    auto rooms = service(1);
    const std::int64_t t0 = env.wall.nowUnix();
    rooms->onMemberJoined(room, who(mentor), 1, t0);
    rooms->onMemberJoined(room, who(mentee), 2, t0);
    rooms->onMemberLeft(room, who(mentor), 1, t0 + 10, "left");
    rooms->onMemberLeft(room, who(mentee), 2, t0 + 10, "left");
    rooms->drain();
    ASSERT_EQ(open().size(), 1u);
    env.wall.set(t0 + 41);
    // Wait (not assert on time) for a heartbeat to see the window passed.
    for (int i = 0; i < 200 && !open().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(open().empty());
    const Json s = sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["ended_at"], formatTimestamp(t0 + 10));
}

// Across a restart: a clean stop ends the meeting at the stop (the record
// is right if nobody comes back) and the next start takes it back for the
// window; people back in time continue it, later ones start another.
TEST_F(RoomSessions, AfterACleanRestartTheMeetingGoesOnIfTheRoomIsOccupiedWithinTheWindow) {
    for (const std::int64_t away : {29, 31}) {
        SCOPED_TRACE(away);
        const std::int64_t t0 = env.wall.nowUnix();
        const std::size_t before = sessions().size();
        {
            auto rooms = service();
            rooms->onMemberJoined(room, who(mentor), 1, t0);
            rooms->onMemberJoined(room, who(mentee), 2, t0);
            env.wall.set(t0 + 60);
            rooms->endMeetings();
        }
        env.wall.set(t0 + 60 + away);
        auto next = service();
        auto closed = next->closeLeftoverSessions();
        ASSERT_TRUE(closed) << closed.error().describe();
        EXPECT_EQ(*closed, 0u);  // it was ended cleanly
        next->onMemberJoined(room, who(mentor), 1, t0 + 60 + away);
        next->onMemberJoined(room, who(mentee), 2, t0 + 60 + away);
        next->drain();
        const Json s = sessions();
        ASSERT_EQ(s.size(), before + (away <= 30 ? 1u : 2u));
        std::size_t inProgress = 0;
        for (const Json& x : s) inProgress += x["ended_at"].is_null();
        EXPECT_EQ(inProgress, 1u);
        next->endMeetings();
        env.wall.set(t0 + 1000);  // the next round starts after this window
    }
}

TEST_F(RoomSessions, AfterACrashTheMeetingGoesOnIfTheRoomIsOccupiedBeforeTheNextHeartbeatWasDuePlusTheWindow) {
    // The crash came after the last heartbeat (t0) and before the next one
    // was due (t0 + 30): the window counts from t0 + 30.
    for (const std::int64_t back : {30 + 29, 30 + 31}) {
        SCOPED_TRACE(back);
        const std::int64_t t0 = env.wall.nowUnix();
        const std::size_t before = sessions().size();
        {
            auto rooms = service(30);
            rooms->onMemberJoined(room, who(mentor), 1, t0);
            rooms->onMemberJoined(room, who(mentee), 2, t0);
            rooms->drain();
            ASSERT_FALSE(open().empty());
            // A crash: no leave, no endMeetings().
        }
        env.wall.set(t0 + back - 5);
        auto next = service(30);
        auto closed = next->closeLeftoverSessions();
        ASSERT_TRUE(closed) << closed.error().describe();
        EXPECT_EQ(*closed, 1u);
        Json s = sessions();
        ASSERT_EQ(s.size(), before + 1);
        for (const Json& x : s) EXPECT_FALSE(x["ended_at"].is_null());  // closed at its last heartbeat
        next->onMemberJoined(room, who(mentee), 2, t0 + back);
        next->onMemberJoined(room, who(mentor), 1, t0 + back);
        next->drain();
        s = sessions();
        ASSERT_EQ(s.size(), before + (back <= 60 ? 1u : 2u));
        for (const Json& x : s) {
            if (x["ended_at"].is_null()) {
                EXPECT_EQ(x["started_at"], formatTimestamp(back <= 60 ? t0 : t0 + back));
            }
        }
        next->endMeetings();
        env.wall.set(t0 + 1000);
    }
}

}  // namespace
}  // namespace mxr::server::test
