// GET /programs/{id}/dashboard (Handlers::dashboard): the web app's
// dashboard data, for the program's managers and administrators only, and
// without free text.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "server/router.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

TEST(Dashboard, ManagersOfTheProgramGetItsFiguresWithoutFreeText) {
    TestEnv env("dashboard");
    const Principal admin = env.bootstrap();
    const auto mia = env.person(admin, "mia", Json{"program_manager"});
    env.person(admin, "otto", Json{"program_manager"});
    const auto ana = env.person(admin, "ana", Json{"mentor"});
    const auto ben = env.person(admin, "ben", Json{"mentee"});
    const auto program = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "Apprentices"}, {"managers", {mia}}}));
    const auto pair = env.must(env.handlers->create(admin, Entity::kMentorship,
        Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"}, {"mentors", {ana}}, {"mentees", {ben}}}));
    const Principal anaP = env.principalFor("ana@example.org", "ana-password");
    env.must(env.handlers->create(anaP, Entity::kGoal, Json{{"mentorship_id", pair}, {"title", "secret goal title"}, {"status", "achieved"}}));
    const auto session = env.must(env.handlers->create(anaP, Entity::kSession,
        Json{{"mentorship_id", pair}, {"scheduled_at", "2026-02-20T09:00:00Z"}, {"started_at", "2026-02-20T09:00:00Z"},
             {"agenda", "secret agenda"}}));
    env.must(env.handlers->create(anaP, Entity::kFeedback,
        Json{{"session_id", session}, {"subject_id", ben}, {"rating_goal_progress", 4}, {"rating_communication", 5},
             {"rating_trust_respect", 3}, {"rating_usefulness", 2}, {"text", "secret feedback"}, {"visibility", "program_manager_only"}}));

    // Through the router, as the web app asks.
    Router router(*env.handlers, nullptr);
    auto ask = [&](const std::string& token, std::int64_t id) {
        RouterRequest r;
        r.method = "GET";
        r.path = strCat("/programs/", id, "/dashboard");
        r.authorization = "Bearer " + token;
        return router.handle(r);
    };
    const auto got = ask(env.tokenFor("mia@example.org", "mia-password"), program);
    ASSERT_EQ(got.status, 200) << got.body.dump();
    const Json& d = got.body;
    EXPECT_EQ(d["name"], "Apprentices");
    ASSERT_EQ(d["mentorships"].size(), 1u);
    EXPECT_EQ(d["mentorships"][0]["mentors"], Json({ana}));
    EXPECT_EQ(d["goals"], Json::parse(strCat(R"([{"mentorship_id":)", pair, R"(,"status":"achieved"}])")));
    ASSERT_EQ(d["sessions"].size(), 1u);
    EXPECT_EQ(d["sessions"][0]["started_at"], "2026-02-20T09:00:00Z");
    ASSERT_EQ(d["feedback"].size(), 1u);
    EXPECT_EQ(d["feedback"][0]["rating_usefulness"], 2);
    EXPECT_EQ(d["people"], Json::parse(strCat(R"([{"id":)", ana, R"(,"name":"ana","erased_at":null},{"id":)", ben,
                                              R"(,"name":"ben","erased_at":null}])")));
    EXPECT_EQ(d.dump().find("secret"), std::string::npos) << "no free text: " << d.dump();

    // Administrators too; another program's manager, a member, an absent program: 404.
    EXPECT_EQ(ask(env.tokenFor("admin@example.org", "adminpassword"), program).status, 200);
    EXPECT_EQ(ask(env.tokenFor("otto@example.org", "otto-password"), program).status, 404);
    EXPECT_EQ(ask(env.tokenFor("ana@example.org", "ana-password"), program).status, 404);
    EXPECT_EQ(ask(env.tokenFor("mia@example.org", "mia-password"), program + 100).status, 404);
    EXPECT_EQ(ask("", program).status, 401);

    // Members whose ids lie far apart are looked up one by one: the same answer.
    for (int i = 0; i < 12; ++i) env.person(admin, strCat("filler", i), Json{"mentee"});
    const auto cleo = env.person(admin, "cleo", Json{"mentee"});
    const auto sparse = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "Sparse"}, {"managers", {mia}}}));
    env.must(env.handlers->create(admin, Entity::kMentorship,
        Json{{"program_id", sparse}, {"kind", "one_to_one"}, {"status", "active"}, {"mentors", {ana}}, {"mentees", {cleo}}}));
    const auto far = ask(env.tokenFor("mia@example.org", "mia-password"), sparse);
    ASSERT_EQ(far.status, 200) << far.body.dump();
    EXPECT_EQ(far.body["people"], Json::parse(strCat(R"([{"id":)", ana, R"(,"name":"ana","erased_at":null},{"id":)", cleo,
                                                    R"(,"name":"cleo","erased_at":null}])")));
}

// The per-program reads the dashboard and the attention list use
// (ReadTx::listInProgram) give exactly what walking the program parent by
// parent with list() gave: same records, same order, other programs left out.
TEST(Dashboard, PerProgramReadsEqualThePerParentWalk) {
    TestEnv env("dashboard_walk");
    std::vector<std::int64_t> people, programs, pairs, goals, sessions;
    std::uint32_t seed = 12345;
    auto pick = [&](const std::vector<std::int64_t>& from) {
        seed = seed * 1103515245u + 12345u;
        return from[(seed >> 8) % from.size()];
    };
    auto seeded = env.store->write([&](WriteTx& tx) -> Result<Json> {
        for (int i = 0; i < 14; ++i) {
            MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kPerson, Json{{"name", strCat("p", i)}, {"email", strCat("p", i, "@x.org")},
                                                                    {"roles", Json::array({"mentee"})}}));
            people.push_back(id);
        }
        for (int i = 0; i < 3; ++i) {
            MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kProgram, Json{{"name", strCat("program ", i)}, {"managers", Json::array()}}));
            programs.push_back(id);
        }
        // Records of the programs interleaved, so ids do not follow parents.
        for (int i = 0; i < 12; ++i) {
            const std::int64_t a = pick(people), b = pick(people);
            MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kMentorship,
                Json{{"program_id", pick(programs)}, {"kind", "one_to_one"}, {"status", i % 3 ? "active" : "paused"},
                     {"mentors", Json::array({a})}, {"mentees", a == b ? Json::array() : Json::array({b, pick(people)})}}));
            pairs.push_back(id);
        }
        for (int i = 0; i < 30; ++i) {
            MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kGoal, Json{{"mentorship_id", pick(pairs)}, {"title", strCat("g", i)},
                                                                  {"status", i % 4 ? "open" : "achieved"}, {"progress", i}}));
            goals.push_back(id);
        }
        for (int i = 0; i < 40; ++i) {
            MXR_TRY(tx.insert(Entity::kMilestone, Json{{"goal_id", pick(goals)}, {"title", strCat("m", i)},
                                                       {"due_date", i % 2 ? Json("2026-01-10") : Json()}}));
        }
        for (int i = 0; i < 35; ++i) {
            MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kSession,
                Json{{"mentorship_id", pick(pairs)}, {"scheduled_at", strCat("2026-0", 1 + i % 9, "-11T10:00:00Z")},
                     {"started_at", i % 3 ? Json("2026-02-01T10:00:00Z") : Json()},
                     {"attendees", i % 4 ? Json::array({pick(people), pick(people)}) : Json::array()}}));
            sessions.push_back(id);
        }
        for (int i = 0; i < 45; ++i) {
            MXR_TRY(tx.insert(Entity::kFeedback, Json{{"session_id", pick(sessions)}, {"author_id", pick(people)},
                                                      {"subject_id", pick(people)}, {"rating_goal_progress", 1 + i % 5},
                                                      {"rating_communication", 2}, {"rating_trust_respect", 3},
                                                      {"rating_usefulness", 4}, {"visibility", "pair"}}));
        }
        return Json();
    });
    ASSERT_TRUE(seeded) << seeded.error().describe();

    auto all = [](ReadTx& tx, Entity e, const std::string& field, std::int64_t value) {
        std::vector<Json> out;
        auto page = tx.list(e, ListQuery{field, value, 0, 100000});
        EXPECT_TRUE(page);
        if (page) out = std::move(*page);
        return out;
    };
    std::size_t compared = 0;
    auto checked = env.store->read([&](ReadTx& tx) -> Result<Json> {
        for (const auto program : programs) {
            // The walk the handlers did before.
            std::map<Entity, std::vector<Json>> walk;
            std::set<std::int64_t> memberIds;
            for (auto& m : all(tx, Entity::kMentorship, "program_id", program)) {
                const auto mid = m["id"].get<std::int64_t>();
                for (const char* role : {"mentors", "mentees"}) {
                    for (const auto& id : m[role]) memberIds.insert(id.get<std::int64_t>());
                }
                for (auto& g : all(tx, Entity::kGoal, "mentorship_id", mid)) {
                    for (auto& x : all(tx, Entity::kMilestone, "goal_id", g["id"].get<std::int64_t>())) walk[Entity::kMilestone].push_back(x);
                    walk[Entity::kGoal].push_back(g);
                }
                for (auto& sess : all(tx, Entity::kSession, "mentorship_id", mid)) {
                    for (auto& f : all(tx, Entity::kFeedback, "session_id", sess["id"].get<std::int64_t>())) walk[Entity::kFeedback].push_back(f);
                    walk[Entity::kSession].push_back(sess);
                }
                walk[Entity::kMentorship].push_back(m);
            }
            for (const auto id : memberIds) {
                MXR_TRY_ASSIGN(auto person, tx.get(Entity::kPerson, id));
                walk[Entity::kPerson].push_back(*person);
            }
            for (const Entity e : {Entity::kMentorship, Entity::kGoal, Entity::kMilestone, Entity::kSession, Entity::kFeedback,
                                   Entity::kPerson}) {
                MXR_TRY_ASSIGN(auto got, tx.listInProgram(e, program));
                EXPECT_EQ(Json(got), Json(walk[e])) << spec(e).name << " of program " << program;
                compared += got.size();
            }
        }
        EXPECT_FALSE(tx.listInProgram(Entity::kProgram, programs[0]));
        return Json();
    });
    ASSERT_TRUE(checked) << checked.error().describe();
    EXPECT_GT(compared, 150u) << "the seeded programs hold records";
}

}  // namespace
}  // namespace mxr::server::test
