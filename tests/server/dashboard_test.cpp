// GET /programs/{id}/dashboard (Handlers::dashboard): the web app's
// dashboard data, for the program's managers and administrators only, and
// without free text.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mxr::server::test
