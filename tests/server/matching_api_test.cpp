// The matching API (issue 18) through the router with real tokens:
// profiles with their limits, a proposal with explanations, approve and
// reject, re-matching that keeps the other pairs, group mentorships,
// audit and export.
#include <algorithm>

#include "../../server/src/scheduling.h"
#include "server/router.h"
#include "server/time_util.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

class MatchingApi : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        router = std::make_unique<Router>(*env.handlers, nullptr);
        env.person(admin, "pm", {"program_manager"});
        managerToken = env.tokenFor("pm@example.org", "pm-password");
        manager = env.principalFor("pm@example.org", "pm-password");
        program = env.must(env.handlers->create(manager, Entity::kProgram, Json{{"name", "Welders"}}));
    }

    std::int64_t member(std::int64_t prog, const std::string& name, const char* role, Json profile) {
        profile["name"] = name;
        profile["email"] = name + "@example.org";
        profile["roles"] = {role};
        profile["password"] = name + "-password";
        profile["program_id"] = prog;
        return env.must(env.handlers->create(manager, Entity::kPerson, profile));
    }

    RouterReply call(const std::string& token, const std::string& method, const std::string& path,
                     const Json& body = Json(), Params query = {}) {
        RouterRequest req;
        req.method = method;
        req.path = path;
        req.query = std::move(query);
        req.body = body.is_null() ? "" : body.dump();
        req.authorization = "Bearer " + token;
        return router->handle(req);
    }

    static const Json* pairOf(const Json& pairs, std::int64_t mentor, std::int64_t mentee) {
        for (const auto& p : pairs) {
            if (p["mentor_id"] == mentor && p["mentee_id"] == mentee) return &p;
        }
        return nullptr;
    }

    TestEnv env{"matching"};
    std::unique_ptr<Router> router;
    Principal admin, manager;
    std::string managerToken;
    std::int64_t program = 0;
};

TEST_F(MatchingApi, ProfileFieldsAreValidatedAndThePersonEditsTheirOwn) {
    const auto ben = member(program, "ben", "mentee", Json::object());
    const std::string benToken = env.tokenFor("ben@example.org", "ben-password");
    const std::string path = "/people/" + std::to_string(ben);
    struct Bad {
        Json patch;
        const char* field;
    };
    for (const auto& [patch, field] : std::vector<Bad>{{{{"skills_wanted", {"welding"}}}, "skills_wanted"},
                                                        {{{"skills_offered", {"welding:9"}}}, "skills_offered"},
                                                        {{{"availability", {"Mon 9-12"}}}, "availability"},
                                                        {{{"time_zone", "Mars/Olympus"}}, "time_zone"},
                                                        {{{"mentor_capacity", 51}}, "mentor_capacity"},
                                                        {{{"goals_text", std::string(4001, 'x')}}, "goals_text"}}) {
        auto r = call(benToken, "PATCH", path, patch);
        EXPECT_EQ(r.status, 400) << patch.dump();
        EXPECT_EQ(r.body["error"]["field"], field) << r.body.dump();
    }
    const Json good = {{"skills_wanted", {"welding:2"}}, {"availability", {"Tue 08:00-12:00"}},
                       {"time_zone", "Europe/Madrid"}, {"goals_text", "learn TIG welding"}, {"languages", {"Spanish"}}};
    auto r = call(benToken, "PATCH", path, good);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    auto back = call(benToken, "GET", path);
    EXPECT_EQ(back.body["skills_wanted"], good["skills_wanted"]);
    EXPECT_EQ(back.body["availability"], good["availability"]);
    EXPECT_EQ(back.body["time_zone"], "Europe/Madrid");
    // Erasure clears the matching profile like the rest of their data.
    ASSERT_EQ(call(managerToken, "DELETE", path).status, 200);
    Json erased = *env.handlers->get(admin, Entity::kPerson, ben);
    EXPECT_TRUE(erased["skills_wanted"].is_null());
    EXPECT_TRUE(erased["goals_text"].is_null());
}

TEST_F(MatchingApi, ProposeExplainApproveRejectAndRematch) {
    const auto ana = member(program, "ana", "mentor",
                            {{"skills_offered", {"welding:4"}}, {"languages", {"Spanish", "English"}},
                             {"time_zone", "Europe/Madrid"}, {"availability", {"Tue 10:00-16:00"}}, {"mentor_capacity", 1}});
    const auto carl = member(program, "carl", "mentor",
                             {{"skills_offered", {"cad:5"}}, {"languages", {"English"}}, {"time_zone", "America/New_York"},
                              {"availability", {"Wed 09:00-12:00"}}, {"mentor_capacity", 1}});
    const auto ben = member(program, "ben", "mentee",
                            {{"skills_wanted", {"welding:2"}}, {"languages", {"Spanish"}}, {"time_zone", "Europe/Madrid"},
                             {"availability", {"Tue 08:00-12:00"}}});
    const auto dora = member(program, "dora", "mentee",
                             {{"skills_wanted", {"cad:3"}}, {"languages", {"English"}}, {"time_zone", "Europe/London"},
                              {"availability", {"Wed 14:00-18:00"}}});
    const std::string base = "/programs/" + std::to_string(program) + "/proposals";
    auto made = call(managerToken, "POST", base, Json{{"week_of", "2026-03-02"}});
    ASSERT_EQ(made.status, 201) << made.body.dump();
    EXPECT_EQ(made.body["batch"], 1);
    ASSERT_EQ(made.body["pairs"].size(), 2u);
    const Json* ab = pairOf(made.body["pairs"], ana, ben);
    const Json* cd = pairOf(made.body["pairs"], carl, dora);
    ASSERT_TRUE(ab && cd) << made.body.dump();
    EXPECT_EQ((*ab)["decision"], "pending");
    EXPECT_EQ((*ab)["explanation"], "both speak spanish; ana teaches welding at level 4, ben wants level 2; 2 shared hours a week");
    // Carl 09-12 New York (14-17 UTC) and Dora 14-18 London (14-18 UTC): 3 hours.
    EXPECT_NE((*cd)["explanation"].get<std::string>().find("3 shared hours a week"), std::string::npos);
    EXPECT_EQ(made.body["fairness"]["matched"], 2);
    EXPECT_EQ(made.body["fairness"]["unmatched"], 0);
    EXPECT_EQ(made.body["fairness"]["min"], std::min((*ab)["score"].get<int>(), (*cd)["score"].get<int>()));
    const auto abId = (*ab)["id"].get<std::int64_t>(), cdId = (*cd)["id"].get<std::int64_t>();

    // Read back with names and breakdowns.
    auto read = call(managerToken, "GET", base);
    ASSERT_EQ(read.status, 200) << read.body.dump();
    ASSERT_EQ(read.body["pairs"].size(), 2u);
    for (const auto& p : read.body["pairs"]) {
        EXPECT_FALSE(p["mentor_name"].get<std::string>().empty());
        EXPECT_TRUE(p["now"]["skills"].is_number());
        EXPECT_FALSE(p["explanation"].get<std::string>().empty());
    }
    EXPECT_EQ(read.body["fairness"]["matched"], 2);
    EXPECT_FALSE(read.body["fairness"].contains("unmatched"));
    // The mentee sees neither the proposal nor its records.
    const std::string benToken = env.tokenFor("ben@example.org", "ben-password");
    EXPECT_EQ(call(benToken, "GET", base).status, 403);
    EXPECT_EQ(call(benToken, "GET", "/match_proposals/" + std::to_string(abId)).status, 404);
    EXPECT_EQ(call(benToken, "PATCH", "/match_proposals/" + std::to_string(abId), Json{{"decision", "approved"}}).status, 404);

    // Approve creates the mentorship; a second decision is refused.
    auto approved = call(managerToken, "PATCH", "/match_proposals/" + std::to_string(abId), Json{{"decision", "approved"}});
    ASSERT_EQ(approved.status, 200) << approved.body.dump();
    EXPECT_EQ(approved.body["decision"], "approved");
    const auto mentorship = approved.body["mentorship_id"].get<std::int64_t>();
    auto m = call(benToken, "GET", "/mentorships/" + std::to_string(mentorship));
    ASSERT_EQ(m.status, 200);
    EXPECT_EQ(m.body["mentors"], Json::array({ana}));
    EXPECT_EQ(m.body["mentees"], Json::array({ben}));
    EXPECT_EQ(m.body["kind"], "one_to_one");
    EXPECT_EQ(m.body["status"], "active");
    EXPECT_EQ(call(managerToken, "PATCH", "/match_proposals/" + std::to_string(abId), Json{{"decision", "rejected"}}).status, 409);
    EXPECT_EQ(call(managerToken, "PATCH", "/match_proposals/" + std::to_string(cdId), Json{{"decision", "pending"}}).status, 400);
    EXPECT_EQ(call(managerToken, "PATCH", "/match_proposals/" + std::to_string(cdId), Json{{"score", 1}}).status, 400);
    auto rejected = call(managerToken, "PATCH", "/match_proposals/" + std::to_string(cdId),
                         Json{{"decision", "rejected"}, {"decision_reason", "Dora starts in June"}});
    ASSERT_EQ(rejected.status, 200);
    EXPECT_TRUE(rejected.body["mentorship_id"].is_null());
    EXPECT_EQ(call(managerToken, "POST", "/match_proposals", Json{{"program_id", program}}).status, 405);

    // Re-match keeps Ana and Ben's pair: only Carl and Dora are proposed again.
    auto again = call(managerToken, "POST", base, Json::object());
    ASSERT_EQ(again.status, 201) << again.body.dump();
    EXPECT_EQ(again.body["batch"], 2);
    ASSERT_EQ(again.body["pairs"].size(), 1u);
    EXPECT_TRUE(pairOf(again.body["pairs"], carl, dora));
    // Unless asked: the whole pool again.
    auto whole = call(managerToken, "POST", base, Json{{"keep_existing", false}});
    ASSERT_EQ(whole.status, 201);
    EXPECT_EQ(whole.body["pairs"].size(), 2u);
    EXPECT_EQ(call(managerToken, "POST", base, Json{{"keep_existing", "no"}}).status, 400);
    EXPECT_EQ(call(managerToken, "POST", base, Json{{"week_of", "2026-02-30"}}).status, 400);
    EXPECT_EQ(call(managerToken, "POST", base, Json{{"colour", 1}}).status, 400);
    EXPECT_EQ(call(managerToken, "GET", base, Json(), {{"batch", "1"}}).body["pairs"].size(), 2u);
    EXPECT_EQ(call(managerToken, "GET", base, Json(), {{"batch", "9"}}).status, 404);

    // Audit and export carry the proposals.
    auto audit = env.handlers->auditLog(manager, {{"limit", "1000"}});
    ASSERT_TRUE(audit);
    int creates = 0, updates = 0;
    for (const auto& e : (*audit)["items"]) {
        if (e["entity"] != "match_proposal") continue;
        creates += e["action"] == "create";
        updates += e["action"] == "update";
    }
    EXPECT_EQ(creates, 5);
    EXPECT_EQ(updates, 2);
    auto exported = env.handlers->exportData(manager, {});
    ASSERT_TRUE(exported);
    EXPECT_EQ((*exported)["match_proposals"].size(), 5u);
    auto csv = env.handlers->exportData(manager, {{"format", "csv"}});
    ASSERT_TRUE(csv);
    EXPECT_NE(csv->get<std::string>().find("entity,id,program_id,batch,mentor_id"), std::string::npos);
}

TEST_F(MatchingApi, GroupProgramFillsOneMentorshipPerMentorAndReverseKeepsItsKind) {
    const auto group = env.must(env.handlers->create(manager, Entity::kProgram, Json{{"name", "Circle"}, {"match_kind", "group"}}));
    const auto lead = member(group, "lead", "mentor", {{"skills_offered", {"safety:5"}}, {"mentor_capacity", 3}});
    std::vector<std::int64_t> mentees;
    for (const char* n : {"m1", "m2", "m3"}) mentees.push_back(member(group, n, "mentee", {{"skills_wanted", {"safety:2"}}}));
    auto made = call(managerToken, "POST", "/programs/" + std::to_string(group) + "/proposals", Json::object());
    ASSERT_EQ(made.status, 201) << made.body.dump();
    ASSERT_EQ(made.body["pairs"].size(), 3u);
    std::int64_t mentorship = 0;
    for (const auto& p : made.body["pairs"]) {
        EXPECT_EQ(p["mentor_id"], lead);
        EXPECT_EQ(p["kind"], "group");
        auto r = call(managerToken, "PATCH", "/match_proposals/" + std::to_string(p["id"].get<std::int64_t>()),
                      Json{{"decision", "approved"}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
        if (!mentorship) mentorship = r.body["mentorship_id"].get<std::int64_t>();
        EXPECT_EQ(r.body["mentorship_id"], mentorship);
    }
    Json m = *env.handlers->get(manager, Entity::kMentorship, mentorship);
    auto got = m["mentees"].get<std::vector<std::int64_t>>();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, mentees);

    // Reverse mentoring: a junior mentor teaches a senior; the kind is kept.
    const auto rev = env.must(env.handlers->create(manager, Entity::kProgram, Json{{"name", "Reverse"}, {"match_kind", "reverse"}}));
    const auto junior = member(rev, "junior", "mentor", {{"skills_offered", {"social media:4"}}});
    const auto senior = member(rev, "senior", "mentee", {{"skills_wanted", {"Social Media:2"}}});
    auto r = call(managerToken, "POST", "/programs/" + std::to_string(rev) + "/proposals", Json::object());
    ASSERT_EQ(r.status, 201);
    ASSERT_EQ(r.body["pairs"].size(), 1u);
    EXPECT_EQ(r.body["pairs"][0]["mentor_id"], junior);
    EXPECT_EQ(r.body["pairs"][0]["mentee_id"], senior);
    EXPECT_EQ(r.body["pairs"][0]["kind"], "reverse");
    auto ok = call(managerToken, "PATCH", "/match_proposals/" + std::to_string(r.body["pairs"][0]["id"].get<std::int64_t>()),
                   Json{{"decision", "approved"}});
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(env.handlers->get(manager, Entity::kMentorship, ok.body["mentorship_id"].get<std::int64_t>()).value()["kind"],
              "reverse");
}

TEST_F(MatchingApi, ExclusionsAreNeverProposed) {
    const auto boss = member(program, "boss", "mentor", {{"team", "Line 1"}});
    const auto other = member(program, "other", "mentor", {{"team", "Line 2"}});
    const auto worker = member(program, "worker", "mentee", {{"team", "Line 1"}, {"line_manager_id", boss}});
    const auto picky = member(program, "picky", "mentee", {{"team", "Line 3"}, {"avoid", {other}}});
    ASSERT_TRUE(env.handlers->update(manager, Entity::kProgram, program, Json{{"exclude_same_team", 1}}));
    auto made = call(managerToken, "POST", "/programs/" + std::to_string(program) + "/proposals", Json::object());
    ASSERT_EQ(made.status, 201) << made.body.dump();
    ASSERT_EQ(made.body["pairs"].size(), 2u) << made.body.dump();
    EXPECT_TRUE(pairOf(made.body["pairs"], other, worker));
    EXPECT_TRUE(pairOf(made.body["pairs"], boss, picky));
    EXPECT_EQ(made.body["pool"]["excluded_pairs"], 2);
}

// Scheduling (point 4): common times across time zones in a week between
// the US and EU daylight-saving changes, a weekly series with an exception
// that keeps Berlin's local time across the change, conflicts with the
// members' other sessions, and the person's iCalendar parsed back.
TEST_F(MatchingApi, MeetingTimesSeriesConflictsAndCalendar) {
    const auto ana = member(program, "ana", "mentor",
                            {{"time_zone", "Europe/Berlin"}, {"availability", {"Mon 17:00-19:00"}}, {"mentor_capacity", 2}});
    const auto ben = member(program, "ben", "mentee", {{"time_zone", "America/New_York"}, {"availability", {"Mon 11:00-13:00"}}});
    const auto dora = member(program, "dora", "mentee", Json::object());
    const auto pair = env.must(env.handlers->create(manager, Entity::kMentorship,
        Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"}, {"mentors", {ana}}, {"mentees", {ben}}}));
    const auto other = env.must(env.handlers->create(manager, Entity::kMentorship,
        Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"}, {"mentors", {ana}}, {"mentees", {dora}}}));
    const std::string benToken = env.tokenFor("ben@example.org", "ben-password");
    const std::string anaToken = env.tokenFor("ana@example.org", "ana-password");
    const std::string doraToken = env.tokenFor("dora@example.org", "dora-password");
    const std::string base = "/mentorships/" + std::to_string(pair);

    auto times = call(benToken, "GET", base + "/meeting_times", Json(), {{"week_of", "2026-03-16"}, {"minutes", "60"}});
    ASSERT_EQ(times.status, 200) << times.body.dump();
    EXPECT_EQ(times.body["starts"], Json::array({"2026-03-16T16:00:00Z"}));
    EXPECT_EQ(call(doraToken, "GET", base + "/meeting_times").status, 404);
    EXPECT_EQ(call(benToken, "GET", base + "/meeting_times", Json(), {{"minutes", "20"}}).status, 400);

    // Ana's other pair meets on 31 March at 16:30 UTC.
    ASSERT_EQ(call(anaToken, "POST", "/sessions",
                   Json{{"mentorship_id", other}, {"scheduled_at", "2026-03-31T16:30:00Z"}}).status, 201);
    const Json series = {{"start", "2026-03-17T18:00"}, {"time_zone", "Europe/Berlin"}, {"rrule", "FREQ=WEEKLY;COUNT=3"},
                         {"exceptions", {"2026-03-24T18:00"}}, {"agenda", "welding"}};
    EXPECT_EQ(call(doraToken, "POST", base + "/schedule", series).status, 404);
    auto made = call(anaToken, "POST", base + "/schedule", series);
    ASSERT_EQ(made.status, 201) << made.body.dump();
    ASSERT_EQ(made.body["sessions"].size(), 2u);
    EXPECT_EQ(made.body["sessions"][0]["scheduled_at"], "2026-03-17T17:00:00Z");
    EXPECT_EQ(made.body["sessions"][1]["scheduled_at"], "2026-03-31T16:00:00Z");  // CEST from 29 March
    ASSERT_EQ(made.body["conflicts"].size(), 1u);
    EXPECT_EQ(made.body["conflicts"][0]["scheduled_at"], "2026-03-31T16:00:00Z");
    Json bad = series;
    bad["rrule"] = "FREQ=FORTNIGHTLY";
    auto refused = call(anaToken, "POST", base + "/schedule", bad);
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.body["error"]["field"], "rrule");

    // Ben's calendar: his two sessions, parsed back with libical.
    auto feed = call(benToken, "GET", "/people/" + std::to_string(ben) + "/calendar.ics");
    ASSERT_EQ(feed.status, 200);
    EXPECT_EQ(feed.contentType, "text/calendar; charset=utf-8");
    auto events = sched::parseICalendar(feed.text);
    ASSERT_TRUE(events) << feed.text;
    ASSERT_EQ(events->size(), 2u);
    EXPECT_EQ((*events)[0].start, *parseTimestamp("2026-03-17T17:00:00Z"));
    EXPECT_EQ((*events)[0].summary, "Mentoring: ana");
    EXPECT_EQ((*events)[0].location, "mentorship-" + std::to_string(pair));
    EXPECT_EQ((*events)[0].description, "welding");
    EXPECT_EQ(call(anaToken, "GET", "/people/" + std::to_string(ben) + "/calendar.ics").status, 404);
}

}  // namespace
}  // namespace mxr::server::test
