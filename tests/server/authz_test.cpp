// The authorization matrix: every role against every resource and verb,
// checked through the handler layer (the rules HTTP and ENet share). Each
// case asserts the status and what a later read shows: a refused change
// leaves the record as it was, an allowed one is visible.
#include <functional>

#include "test_env.h"

namespace mxr::server::test {
namespace {

enum Role { kPm, kOtherPm, kMentor, kMentee, kOutsider, kRoleCount };
const char* const kRoleNames[] = {"pm", "other_pm", "mentor", "mentee", "outsider"};

class AuthzMatrix : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        const auto otherPmId = env.person(admin, "otherpm", {"program_manager"});
        const auto mentorId = env.person(admin, "mentor", {"mentor"});
        const auto menteeId = env.person(admin, "mentee", {"mentee"});
        const auto outsiderId = env.person(admin, "outsider", {"mentor"});
        const auto outsiderMentee = env.person(admin, "mentee2", {"mentee"});
        ids = {admin.personId, otherPmId, mentorId, menteeId, outsiderId};
        as[kPm] = admin;
        const char* const logins[] = {"admin", "otherpm", "mentor", "mentee", "outsider"};
        for (int r = kOtherPm; r < kRoleCount; ++r) {
            as[r] = env.principalFor(std::string(logins[r]) + "@example.org", std::string(logins[r]) + "-password");
        }
        program = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "Apprentices"}}));
        env.must(env.handlers->create(as[kOtherPm], Entity::kProgram, Json{{"name", "Elsewhere"}}));
        mentorship = env.must(env.handlers->create(
            admin, Entity::kMentorship,
            Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"}, {"mentors", {mentorId}}, {"mentees", {menteeId}}}));
        env.must(env.handlers->create(admin, Entity::kMentorship,
                                      Json{{"program_id", program}, {"kind", "one_to_one"}, {"mentors", {outsiderId}},
                                           {"mentees", {outsiderMentee}}}));
        goal = newGoal();
        milestone = newMilestone();
        session = newSession();
        pairFeedback = newFeedback(as[kMentor], "pair");
        pmFeedback = newFeedback(as[kMentor], "program_manager_only");
    }

    std::int64_t newGoal() {
        return env.must(env.handlers->create(as[kMentor], Entity::kGoal, Json{{"mentorship_id", mentorship}, {"title", "g"}}));
    }
    std::int64_t newMilestone() {
        return env.must(env.handlers->create(as[kMentor], Entity::kMilestone, Json{{"goal_id", goal}, {"title", "m"}}));
    }
    std::int64_t newSession() {
        return env.must(env.handlers->create(as[kMentor], Entity::kSession,
                                             Json{{"mentorship_id", mentorship}, {"scheduled_at", "2026-03-02T10:00:00Z"}}));
    }
    std::int64_t newFeedback(const Principal& author, const std::string& visibility) {
        return env.must(env.handlers->create(author, Entity::kFeedback, feedbackBody(author, visibility)));
    }
    Json feedbackBody(const Principal& author, const std::string& visibility) {
        const auto subject = author.personId == ids[kMentee] ? ids[kMentor] : ids[kMentee];
        return Json{{"session_id", session}, {"subject_id", subject}, {"rating_goal_progress", 4},
                    {"rating_communication", 5}, {"rating_trust_respect", 5}, {"rating_usefulness", 3},
                    {"text", "helpful"}, {"visibility", visibility}};
    }

    static int status(const ApiResult& r, int okStatus = 200) { return r ? okStatus : r.error().status; }

    // Runs fn for every role and compares with the expected statuses.
    void expectRow(const std::string& what, const std::array<int, kRoleCount>& expected,
                   const std::function<int(Role)>& fn) {
        for (int r = 0; r < kRoleCount; ++r) {
            EXPECT_EQ(fn(static_cast<Role>(r)), expected[r]) << what << " as " << kRoleNames[r];
        }
    }

    Json readAsAdminOrNull(Entity e, std::int64_t id) {
        auto r = env.store->read([&](ReadTx& tx) -> Result<Json> {
            MXR_TRY_ASSIGN(auto rec, tx.get(e, id));
            return rec ? *rec : Json();
        });
        return r ? *r : Json();
    }

    TestEnv env{"authz"};
    Principal admin;
    std::array<Principal, kRoleCount> as;
    std::array<std::int64_t, kRoleCount> ids{};
    int counter = 0;
    std::int64_t program = 0, mentorship = 0, goal = 0, milestone = 0, session = 0, pairFeedback = 0, pmFeedback = 0;
};

TEST_F(AuthzMatrix, Read) {
    struct Case {
        const char* name;
        Entity entity;
        std::int64_t id;
        std::array<int, kRoleCount> expected;
    };
    const Case cases[] = {
        {"person(mentee)", Entity::kPerson, ids[kMentee], {200, 200, 200, 200, 404}},
        {"program", Entity::kProgram, program, {200, 404, 200, 200, 200}},
        {"mentorship", Entity::kMentorship, mentorship, {200, 404, 200, 200, 404}},
        {"goal", Entity::kGoal, goal, {200, 404, 200, 200, 404}},
        {"milestone", Entity::kMilestone, milestone, {200, 404, 200, 200, 404}},
        {"session", Entity::kSession, session, {200, 404, 200, 200, 404}},
        {"feedback(pair)", Entity::kFeedback, pairFeedback, {200, 404, 200, 200, 404}},
        {"feedback(pm only)", Entity::kFeedback, pmFeedback, {200, 404, 200, 404, 404}},
    };
    for (const auto& c : cases) {
        expectRow(std::string("read ") + c.name, c.expected, [&](Role r) {
            auto got = env.handlers->get(as[r], c.entity, c.id);
            if (got) {
                EXPECT_EQ((*got)["id"], c.id);
            }
            return status(got);
        });
    }
}

TEST_F(AuthzMatrix, List) {
    struct Case {
        const char* name;
        Entity entity;
        Params params;
        std::array<int, kRoleCount> expected;
    };
    const Case cases[] = {
        {"mentorships of program", Entity::kMentorship, {{"program_id", std::to_string(program)}}, {200, 404, 404, 404, 404}},
        {"goals", Entity::kGoal, {{"mentorship_id", std::to_string(mentorship)}}, {200, 404, 200, 200, 404}},
        {"milestones", Entity::kMilestone, {{"goal_id", std::to_string(goal)}}, {200, 404, 200, 200, 404}},
        {"sessions", Entity::kSession, {{"mentorship_id", std::to_string(mentorship)}}, {200, 404, 200, 200, 404}},
        {"feedback", Entity::kFeedback, {{"session_id", std::to_string(session)}}, {200, 404, 200, 200, 404}},
    };
    for (const auto& c : cases) {
        expectRow(std::string("list ") + c.name, c.expected,
                  [&](Role r) { return status(env.handlers->list(as[r], c.entity, c.params)); });
    }
    // What each role sees in the feedback list: the pm-only entry is hidden
    // from the mentee (the pair) but not from its author or the manager.
    auto count = [&](Role r) {
        auto l = env.handlers->list(as[r], Entity::kFeedback, {{"session_id", std::to_string(session)}});
        return l ? (*l)["items"].size() : 0u;
    };
    EXPECT_EQ(count(kPm), 2u);
    EXPECT_EQ(count(kMentor), 2u);
    EXPECT_EQ(count(kMentee), 1u);
    // "My mentorships" lists only one's own.
    auto mine = env.handlers->list(as[kOutsider], Entity::kMentorship, {});
    ASSERT_TRUE(mine);
    ASSERT_EQ((*mine)["items"].size(), 1u);
    EXPECT_NE((*mine)["items"][0]["id"], mentorship);
}

TEST_F(AuthzMatrix, Create) {
    expectRow("create person", {201, 201, 403, 403, 403}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kPerson,
                                           Json{{"name", "n"}, {"email", std::string("new-") + kRoleNames[r] + "@x.org"},
                                                {"roles", {"mentee"}}}),
                      201);
    });
    expectRow("create program", {201, 201, 403, 403, 403}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kProgram, Json{{"name", "x"}}), 201);
    });
    expectRow("create mentorship", {201, 403, 403, 403, 403}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kMentorship,
                                           Json{{"program_id", program}, {"kind", "peer"}, {"mentors", {ids[kMentor]}}}),
                      201);
    });
    expectRow("create goal", {403, 400, 201, 201, 400}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kGoal, Json{{"mentorship_id", mentorship}, {"title", "t"}}), 201);
    });
    expectRow("create milestone", {403, 400, 201, 201, 400}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kMilestone, Json{{"goal_id", goal}, {"title", "t"}}), 201);
    });
    expectRow("create session", {403, 400, 201, 201, 400}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kSession,
                                           Json{{"mentorship_id", mentorship}, {"scheduled_at", "2026-03-03T10:00:00Z"}}),
                      201);
    });
    expectRow("create feedback", {403, 400, 201, 201, 400}, [&](Role r) {
        return status(env.handlers->create(as[r], Entity::kFeedback, feedbackBody(as[r], "pair")), 201);
    });
    // The author is always the caller, whatever the body claims.
    auto body = feedbackBody(as[kMentee], "pair");
    body["author_id"] = ids[kMentor];
    auto forged = env.handlers->create(as[kMentee], Entity::kFeedback, body);
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().field, "author_id");
}

TEST_F(AuthzMatrix, Update) {
    struct Case {
        const char* name;
        Entity entity;
        std::function<std::int64_t()> make;
        Json patch;
        std::array<int, kRoleCount> expected;
    };
    const Case cases[] = {
        {"person(mentee)", Entity::kPerson, [&] { return ids[kMentee]; }, Json{{"time_zone", "Europe/Berlin"}},
         {200, 200, 403, 200, 404}},
        {"program", Entity::kProgram, [&] { return program; }, Json{{"description", "changed"}}, {200, 404, 403, 403, 403}},
        {"mentorship", Entity::kMentorship, [&] { return mentorship; }, Json{{"status", "paused"}}, {200, 404, 403, 403, 404}},
        {"goal", Entity::kGoal, [&] { return newGoal(); }, Json{{"progress", 40}}, {403, 404, 200, 200, 404}},
        {"milestone", Entity::kMilestone, [&] { return newMilestone(); }, Json{{"title", "changed"}}, {403, 404, 200, 200, 404}},
        {"session", Entity::kSession, [&] { return newSession(); }, Json{{"agenda", "changed"}}, {403, 404, 200, 200, 404}},
        {"feedback(pair)", Entity::kFeedback, [&] { return newFeedback(as[kMentor], "pair"); }, Json{{"text", "changed"}},
         {403, 404, 200, 403, 404}},
        {"feedback(pm only)", Entity::kFeedback, [&] { return newFeedback(as[kMentor], "program_manager_only"); },
         Json{{"text", "changed"}}, {403, 404, 200, 404, 404}},
    };
    for (const auto& c : cases) {
        expectRow(std::string("update ") + c.name, c.expected, [&](Role r) {
            const auto id = c.make();
            const Json before = readAsAdminOrNull(c.entity, id);
            const int s = status(env.handlers->update(as[r], c.entity, id, c.patch));
            const Json after = readAsAdminOrNull(c.entity, id);
            const std::string field = c.patch.begin().key();
            const Json value = c.patch.begin().value();
            if (s == 200) {
                EXPECT_EQ(after[field], value) << c.name << " as " << kRoleNames[r];
            } else {
                EXPECT_EQ(after, before) << c.name << " as " << kRoleNames[r] << " changed although refused";
            }
            // Undo shared records so the next role starts from the same state.
            if (s == 200 && (c.entity == Entity::kPerson || c.entity == Entity::kProgram || c.entity == Entity::kMentorship)) {
                Json undo;
                undo[field] = before[field];
                EXPECT_TRUE(env.handlers->update(as[kPm], c.entity, id, undo));
            }
            return s;
        });
    }
    // Only program managers change roles, even one's own.
    auto promote = env.handlers->update(as[kMentee], Entity::kPerson, ids[kMentee], Json{{"roles", {"program_manager"}}});
    ASSERT_FALSE(promote);
    EXPECT_EQ(promote.error().status, 403);
}

TEST_F(AuthzMatrix, Delete) {
    struct Case {
        const char* name;
        Entity entity;
        std::function<std::int64_t()> make;
        std::array<int, kRoleCount> expected;
    };
    const Case cases[] = {
        {"person (erase)", Entity::kPerson, [&] { return env.person(admin, "temp" + std::to_string(++counter), {"mentee"}); },
         {200, 200, 404, 404, 404}},
        {"program", Entity::kProgram,
         [&] { return env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "tmp"}})); },
         {200, 404, 404, 404, 404}},
        {"mentorship", Entity::kMentorship,
         [&] {
             return env.must(env.handlers->create(admin, Entity::kMentorship,
                                                  Json{{"program_id", program}, {"kind", "group"},
                                                       {"mentors", {ids[kMentor]}}, {"mentees", {ids[kMentee]}}}));
         },
         {200, 404, 403, 403, 404}},
        {"goal", Entity::kGoal, [&] { return newGoal(); }, {403, 404, 200, 200, 404}},
        {"milestone", Entity::kMilestone, [&] { return newMilestone(); }, {403, 404, 200, 200, 404}},
        {"session", Entity::kSession, [&] { return newSession(); }, {403, 404, 200, 200, 404}},
        {"feedback(pair)", Entity::kFeedback, [&] { return newFeedback(as[kMentor], "pair"); }, {403, 404, 200, 403, 404}},
    };
    for (const auto& c : cases) {
        expectRow(std::string("delete ") + c.name, c.expected, [&](Role r) {
            const auto id = c.make();
            const int s = status(env.handlers->remove(as[r], c.entity, id));
            const Json after = readAsAdminOrNull(c.entity, id);
            if (c.entity == Entity::kPerson) {
                EXPECT_EQ(after["erased_at"].is_null(), s != 200) << kRoleNames[r];
            } else {
                EXPECT_EQ(after.is_null(), s == 200) << c.name << " as " << kRoleNames[r];
            }
            return s;
        });
    }
}

TEST_F(AuthzMatrix, ProgramReportsAndAudit) {
    expectRow("attention", {200, 404, 404, 404, 404}, [&](Role r) {
        return status(env.handlers->attention(as[r], program, {}));
    });
    expectRow("export", {200, 200, 403, 403, 403}, [&](Role r) {
        return status(env.handlers->exportData(as[r], {{"format", "json"}}));
    });
    expectRow("audit", {200, 200, 403, 403, 403}, [&](Role r) { return status(env.handlers->auditLog(as[r], {})); });
    // Another program's manager exports nothing of this program.
    auto other = env.handlers->exportData(as[kOtherPm], {{"format", "json"}});
    ASSERT_TRUE(other);
    for (const auto& m : (*other)["mentorships"]) EXPECT_NE(m["program_id"], program);
    EXPECT_TRUE((*other)["feedback"].empty());
}

TEST_F(AuthzMatrix, UnauthenticatedCallsAreRefused) {
    for (const char* header : {"", "Bearer ", "Basic abc", "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
        auto p = env.handlers->authenticate(header);
        ASSERT_FALSE(p) << header;
        EXPECT_EQ(p.error().status, 401);
    }
}

}  // namespace
}  // namespace mxr::server::test
