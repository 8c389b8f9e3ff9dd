// A person's secret, revocable calendar feed (issue 18, point 4) through
// the router: created by the person (or an administrator), fetched without
// a token, rotated (the old secret 404s), revoked, gone with an erasure,
// parsed back with libical, and the secret nowhere in audit, export or the
// database file.
#include <algorithm>
#include <fstream>
#include <iterator>

#include "../../server/src/scheduling.h"
#include "server/router.h"
#include "server/time_util.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

class CalendarFeed : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        adminToken = env.tokenFor("admin@example.org", "adminpassword");
        router = std::make_unique<Router>(*env.handlers, nullptr);
        env.person(admin, "pm", {"program_manager"});
        manager = env.principalFor("pm@example.org", "pm-password");
        program = env.must(env.handlers->create(manager, Entity::kProgram, Json{{"name", "Welders"}}));
        ana = member("ana", "mentor");
        ben = member("ben", "mentee");
        pair = env.must(env.handlers->create(manager, Entity::kMentorship,
            Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"}, {"mentors", {ana}}, {"mentees", {ben}}}));
        anaToken = env.tokenFor("ana@example.org", "ana-password");
        benToken = env.tokenFor("ben@example.org", "ben-password");
    }

    std::int64_t member(const std::string& name, const char* role) {
        return env.must(env.handlers->create(manager, Entity::kPerson,
            Json{{"name", name}, {"email", name + "@example.org"}, {"roles", {role}}, {"password", name + "-password"},
                 {"program_id", program}}));
    }

    RouterReply call(const std::string& token, const std::string& method, const std::string& path,
                     const Json& body = Json()) {
        RouterRequest req;
        req.method = method;
        req.path = path;
        req.body = body.is_null() ? "" : body.dump();
        if (!token.empty()) req.authorization = "Bearer " + token;
        return router->handle(req);
    }

    // The feed path without the "/api/v1" the router does not see.
    static std::string routed(const RouterReply& made) {
        const std::string path = made.body["path"].get<std::string>();
        EXPECT_EQ(path.rfind("/api/v1/calendar/", 0), 0u) << path;
        return path.substr(std::string("/api/v1").size());
    }

    std::string feedPath(std::int64_t person) { return "/people/" + std::to_string(person) + "/calendar_feed"; }

    // The session as a member reads it back: its start, the reason of the
    // last change and the iCalendar sequence.
    void expectSession(const std::string& path, const char* at, const char* reason, int sequence) {
        auto got = call(anaToken, "GET", path);
        EXPECT_EQ(got.body["scheduled_at"], at) << got.body.dump();
        EXPECT_EQ(got.body["change_reason"], reason) << got.body.dump();
        EXPECT_EQ(got.body["sequence"], sequence) << got.body.dump();
    }

    TestEnv env{"calfeed"};
    std::unique_ptr<Router> router;
    Principal admin, manager;
    std::string adminToken, anaToken, benToken;
    std::int64_t program = 0, ana = 0, ben = 0, pair = 0;
};

TEST_F(CalendarFeed, SecretUrlServesTheCalendarWithoutATokenAndRotates) {
    ASSERT_EQ(call(anaToken, "POST", "/sessions", Json{{"mentorship_id", pair}, {"scheduled_at", "2026-03-17T17:00:00Z"},
                                                       {"agenda", "welding"}}).status, 201);
    // Only the person or an administrator makes one; others see no calendar.
    EXPECT_EQ(call(anaToken, "POST", feedPath(ben)).status, 404);
    EXPECT_EQ(call("", "POST", feedPath(ben)).status, 401);
    auto made = call(benToken, "POST", feedPath(ben));
    ASSERT_EQ(made.status, 201) << made.body.dump();
    const std::string first = routed(made);

    auto feed = call("", "GET", first);  // no Authorization at all
    ASSERT_EQ(feed.status, 200) << feed.body.dump();
    EXPECT_EQ(feed.contentType, "text/calendar; charset=utf-8");
    auto events = sched::parseICalendar(feed.text);
    ASSERT_TRUE(events) << feed.text;
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].start, *parseTimestamp("2026-03-17T17:00:00Z"));
    EXPECT_EQ((*events)[0].summary, "Mentoring: ana");
    EXPECT_EQ((*events)[0].description, "welding");
    // The same calendar as the token-guarded one.
    EXPECT_EQ(call(benToken, "GET", "/people/" + std::to_string(ben) + "/calendar.ics").text, feed.text);

    // Rotation: a new secret works, the old one is 404 like any unknown one.
    auto again = call(benToken, "POST", feedPath(ben));
    ASSERT_EQ(again.status, 201);
    const std::string second = routed(again);
    EXPECT_NE(second, first);
    auto old = call("", "GET", first);
    EXPECT_EQ(old.status, 404);
    EXPECT_EQ(call("", "GET", second).status, 200);
    auto guessed = call("", "GET", "/calendar/" + std::string(64, 'a') + ".ics");
    EXPECT_EQ(guessed.status, 404);
    EXPECT_EQ(old.body, guessed.body);  // which of the two is not said
    EXPECT_EQ(call("", "GET", "/calendar/short.ics").body, guessed.body);
    EXPECT_EQ(call("", "GET", second.substr(0, second.size() - 4)).status, 404);  // without .ics
    EXPECT_EQ(call("", "POST", second).status, 404);
    EXPECT_EQ(old.body.dump().find(first.substr(10, 64)), std::string::npos);

    // An administrator rotates it too; then the person revokes it.
    auto byAdmin = call(adminToken, "POST", feedPath(ben));
    ASSERT_EQ(byAdmin.status, 201);
    const std::string third = routed(byAdmin);
    EXPECT_EQ(call("", "GET", second).status, 404);
    EXPECT_EQ(call(anaToken, "DELETE", feedPath(ben)).status, 404);
    auto revoked = call(benToken, "DELETE", feedPath(ben));
    ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
    EXPECT_EQ(revoked.body["revoked"], true);
    EXPECT_EQ(call("", "GET", third).status, 404);
    EXPECT_EQ(call(benToken, "DELETE", feedPath(ben)).body["revoked"], false);

    // No secret in the audit log, the export or the database file.
    auto audit = call(adminToken, "GET", "/audit");
    ASSERT_EQ(audit.status, 200);
    std::size_t feedEvents = 0;
    for (const auto& e : audit.body["items"]) feedEvents += e["action"].get<std::string>().rfind("calendar_feed", 0) == 0;
    EXPECT_EQ(feedEvents, 4u) << audit.body.dump();
    RouterRequest exp;
    exp.method = "GET";
    exp.path = "/export";
    exp.authorization = "Bearer " + adminToken;
    const auto exported = router->handle(exp);
    ASSERT_EQ(exported.status, 200);
    ASSERT_TRUE(env.store->checkpoint());
    std::ifstream file(env.dir / "mentorxr.db", std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(file), {}};
    for (const auto& path : {first, second, third}) {
        const std::string secret = path.substr(10, 64);
        EXPECT_EQ(audit.body.dump().find(secret), std::string::npos);
        EXPECT_EQ(exported.text.find(secret), std::string::npos);
        EXPECT_EQ(exported.body.dump().find(secret), std::string::npos);
        EXPECT_EQ(bytes.find(secret), std::string::npos);
    }
}

TEST_F(CalendarFeed, ErasureRevokesTheFeed) {
    auto made = call(benToken, "POST", feedPath(ben));
    ASSERT_EQ(made.status, 201);
    const std::string path = routed(made);
    ASSERT_EQ(call("", "GET", path).status, 200);
    ASSERT_EQ(call(adminToken, "DELETE", "/people/" + std::to_string(ben)).status, 200);
    auto gone = call("", "GET", path);
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.body["error"]["message"], "no such calendar");
    // And the feed row is gone, not merely hidden.
    auto owner = env.store->read([&](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto o, tx.calendarFeedOwner(tokenHash(path.substr(10, 64))));
        return Json(o.has_value());
    });
    ASSERT_TRUE(owner);
    EXPECT_EQ(*owner, false);
    EXPECT_EQ(call(adminToken, "POST", feedPath(ben)).status, 404);
}

TEST_F(CalendarFeed, RescheduleAndCancelWithAReasonShowInTheFeed) {
    auto made = call(anaToken, "POST", "/sessions", Json{{"mentorship_id", pair}, {"scheduled_at", "2026-03-17T17:00:00Z"}});
    ASSERT_EQ(made.status, 201);
    EXPECT_EQ(made.body["status"], "scheduled");
    EXPECT_EQ(made.body["sequence"], 0);
    const std::string base = "/sessions/" + std::to_string(made.body["id"].get<std::int64_t>());
    // Only through the two endpoints, with a reason, by who may change it.
    EXPECT_EQ(call(anaToken, "PATCH", base, Json{{"status", "cancelled"}}).status, 400);
    auto noReason = call(anaToken, "POST", base + "/reschedule", Json{{"scheduled_at", "2026-03-18T17:00:00Z"}});
    EXPECT_EQ(noReason.status, 400);
    EXPECT_EQ(noReason.body["error"]["field"], "reason");
    auto badTime = call(anaToken, "POST", base + "/reschedule", Json{{"scheduled_at", "2026-02-30T17:00:00Z"}, {"reason", "x"}});
    EXPECT_EQ(badTime.status, 400);
    EXPECT_EQ(badTime.body["error"]["field"], "scheduled_at");
    EXPECT_EQ(call(anaToken, "POST", base + "/cancel", Json{{"reason", "x"}, {"scheduled_at", "2026-03-18T17:00:00Z"}}).status, 400);
    const auto dora = member("dora", "mentee");
    (void)dora;
    EXPECT_EQ(call(env.tokenFor("dora@example.org", "dora-password"), "POST", base + "/cancel", Json{{"reason", "x"}}).status, 404);

    auto moved = call(benToken, "POST", base + "/reschedule",
                      Json{{"scheduled_at", "2026-03-18T18:00:00Z"}, {"reason", "welding booth is booked"}});
    ASSERT_EQ(moved.status, 200) << moved.body.dump();
    expectSession(base, "2026-03-18T18:00:00Z", "welding booth is booked", 1);
    auto record = call(anaToken, "GET", base);
    EXPECT_EQ(record.body["status"], "scheduled");
    auto feed = call(benToken, "GET", "/people/" + std::to_string(ben) + "/calendar.ics");
    auto events = sched::parseICalendar(feed.text);
    ASSERT_TRUE(events && events->size() == 1u) << feed.text;
    EXPECT_EQ((*events)[0].start, *parseTimestamp("2026-03-18T18:00:00Z"));
    EXPECT_EQ((*events)[0].sequence, 1);
    EXPECT_FALSE((*events)[0].cancelled);

    auto cancelled = call(anaToken, "POST", base + "/cancel", Json{{"reason", "Ben is ill"}});
    ASSERT_EQ(cancelled.status, 200) << cancelled.body.dump();
    EXPECT_EQ(cancelled.body["status"], "cancelled");
    EXPECT_EQ(cancelled.body["change_reason"], "Ben is ill");
    EXPECT_EQ(cancelled.body["scheduled_at"], "2026-03-18T18:00:00Z");
    feed = call(anaToken, "GET", "/people/" + std::to_string(ana) + "/calendar.ics");
    EXPECT_NE(feed.text.find("STATUS:CANCELLED"), std::string::npos) << feed.text;
    EXPECT_NE(feed.text.find("SEQUENCE:2"), std::string::npos) << feed.text;
    events = sched::parseICalendar(feed.text);
    ASSERT_TRUE(events && events->size() == 1u);
    EXPECT_TRUE((*events)[0].cancelled);
    EXPECT_EQ((*events)[0].sequence, 2);
    auto twice = call(anaToken, "POST", base + "/cancel", Json{{"reason", "again"}});
    EXPECT_EQ(twice.status, 409);
    EXPECT_EQ(call(anaToken, "POST", base + "/reschedule", Json{{"scheduled_at", "2026-03-19T18:00:00Z"}, {"reason", "y"}}).status, 409);

    // Recorded: two audited updates naming the fields, and the reason is
    // Ana's authored text, blanked when she is erased.
    auto audit = call(adminToken, "GET", "/audit");
    std::size_t changes = 0;
    for (const auto& e : audit.body["items"]) {
        if (e["entity"] == "session" && e["action"] == "update") {
            ++changes;
            EXPECT_NE(std::find(e["fields"].begin(), e["fields"].end(), "change_reason"), e["fields"].end()) << e.dump();
        }
    }
    EXPECT_EQ(changes, 2u);
    ASSERT_EQ(call(adminToken, "DELETE", "/people/" + std::to_string(ana)).status, 200);
    record = call(adminToken, "GET", base);
    EXPECT_TRUE(record.body["change_reason"].is_null() || record.body["change_reason"] == "") << record.body.dump();
    EXPECT_EQ(record.body["status"], "cancelled");
}

// A plain PATCH that moves a session is a change subscribed calendars must
// take too: it bumps SEQUENCE (with or without a reason), an unchanged start
// does not, and a cancelled session is not moved (409, as reschedule).
TEST_F(CalendarFeed, PatchThatMovesASessionBumpsTheSequenceInTheFeed) {
    auto made = call(anaToken, "POST", "/sessions",
                     Json{{"mentorship_id", pair}, {"scheduled_at", "2026-03-17T17:00:00Z"}});
    ASSERT_EQ(made.status, 201);
    const std::string base = "/sessions/" + std::to_string(made.body["id"].get<std::int64_t>());
    auto feedMade = call(benToken, "POST", feedPath(ben));
    ASSERT_EQ(feedMade.status, 201);
    const std::string feedUrl = routed(feedMade);
    const auto onlyEvent = [&] {
        auto feed = call("", "GET", feedUrl);
        EXPECT_EQ(feed.status, 200);
        auto events = sched::parseICalendar(feed.text);
        EXPECT_TRUE(events && events->size() == 1u) << feed.text;
        return events && events->size() == 1u ? (*events)[0] : sched::Event{};
    };
    EXPECT_EQ(onlyEvent().sequence, 0);

    // Without a reason: moved, sequence 1, no reason kept.
    auto moved = call(anaToken, "PATCH", base, Json{{"scheduled_at", "2026-03-18T17:00:00Z"}});
    ASSERT_EQ(moved.status, 200) << moved.body.dump();
    EXPECT_EQ(moved.body["sequence"], 1);
    EXPECT_TRUE(moved.body["change_reason"].is_null()) << moved.body.dump();
    auto event = onlyEvent();
    EXPECT_EQ(event.start, *parseTimestamp("2026-03-18T17:00:00Z"));
    EXPECT_EQ(event.sequence, 1);

    // With a reason: kept, sequence 2, in the feed.
    moved = call(benToken, "PATCH", base,
                 Json{{"scheduled_at", "2026-03-19T08:30:00Z"}, {"change_reason", "early shift"}});
    ASSERT_EQ(moved.status, 200) << moved.body.dump();
    expectSession(base, "2026-03-19T08:30:00Z", "early shift", 2);
    event = onlyEvent();
    EXPECT_EQ(event.start, *parseTimestamp("2026-03-19T08:30:00Z"));
    EXPECT_EQ(event.sequence, 2);

    // The same start again, or another field: no new sequence.
    EXPECT_EQ(call(anaToken, "PATCH", base, Json{{"scheduled_at", "2026-03-19T08:30:00Z"}}).body["sequence"], 2);
    EXPECT_EQ(call(anaToken, "PATCH", base, Json{{"agenda", "bring gloves"}}).body["sequence"], 2);
    EXPECT_EQ(onlyEvent().sequence, 2);

    // A reason needs a move; a reason that is not text is named.
    auto lone = call(anaToken, "PATCH", base, Json{{"change_reason", "just because"}});
    EXPECT_EQ(lone.status, 400);
    EXPECT_EQ(lone.body["error"]["field"], "change_reason");
    auto notText = call(anaToken, "PATCH", base, Json{{"scheduled_at", "2026-03-20T08:30:00Z"}, {"change_reason", 5}});
    EXPECT_EQ(notText.status, 400);
    EXPECT_EQ(notText.body["error"]["field"], "change_reason");
    expectSession(base, "2026-03-19T08:30:00Z", "early shift", 2);

    // Cancelled: a PATCH of the start answers 409 like reschedule and changes nothing.
    ASSERT_EQ(call(anaToken, "POST", base + "/cancel", Json{{"reason", "Ben is ill"}}).status, 200);
    auto late = call(anaToken, "PATCH", base, Json{{"scheduled_at", "2026-03-25T08:30:00Z"}});
    EXPECT_EQ(late.status, 409) << late.body.dump();
    expectSession(base, "2026-03-19T08:30:00Z", "Ben is ill", 3);
    event = onlyEvent();
    EXPECT_TRUE(event.cancelled);
    EXPECT_EQ(event.sequence, 3);
    EXPECT_EQ(event.start, *parseTimestamp("2026-03-19T08:30:00Z"));
}

}  // namespace
}  // namespace mxr::server::test
