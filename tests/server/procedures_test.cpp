// Procedures (issue 14, job shadowing) through Handlers: a goal's progress
// following completed steps (groups: the mentee furthest behind), bad
// procedures and steps refused with the field named and nothing written,
// deletions, and erasure blanking what a person wrote into steps.
#include "test_env.h"

#include "../../server/src/handler_helpers.h"

namespace mxr::server::test {
namespace {

class Procedures : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        mentor = env.person(admin, "mentor", {"mentor"});
        ann = env.person(admin, "ann", {"mentee"});
        bo = env.person(admin, "bo", {"mentee"});
        program = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "Workshop"}}));
        group = env.must(env.handlers->create(admin, Entity::kMentorship,
                                              Json{{"program_id", program}, {"kind", "group"}, {"status", "active"},
                                                   {"mentors", {mentor}}, {"mentees", {ann, bo}}}));
        mentorP = env.principalFor("mentor@example.org", "mentor-password");
        annP = env.principalFor("ann@example.org", "ann-password");
        boP = env.principalFor("bo@example.org", "bo-password");
        goal = env.must(env.handlers->create(mentorP, Entity::kGoal, Json{{"mentorship_id", group}, {"title", "Weld"}}));
    }

    Json procedureWithSteps(int steps) {
        Json body{{"mentorship_id", group}, {"title", "Butt weld"}, {"goal_id", goal}, {"steps", Json::array()}};
        for (int i = 0; i < steps; ++i) body["steps"].push_back(Json{{"title", "step " + std::to_string(i + 1)}});
        return body;
    }
    std::int64_t progress() {
        auto g = env.handlers->get(mentorP, Entity::kGoal, goal);
        return g ? (*g)["progress"].get<std::int64_t>() : -1;
    }
    ApiResult complete(const Principal& who, const Json& step) {
        return env.handlers->create(who, Entity::kStepCompletion, Json{{"step_id", step["id"]}, {"seconds_taken", 30}});
    }

    TestEnv env{"procedures"};
    Principal admin, mentorP, annP, boP;
    std::int64_t mentor = 0, ann = 0, bo = 0, program = 0, group = 0, goal = 0;
};

TEST_F(Procedures, AGroupGoalFollowsTheMenteeFurthestBehind) {
    auto proc = env.handlers->create(mentorP, Entity::kProcedure, procedureWithSteps(4));
    ASSERT_TRUE(proc) << proc.error().message;
    const Json steps = (*proc)["steps"];
    ASSERT_EQ(steps.size(), 4u);
    EXPECT_EQ(steps[3]["position"], 4);
    EXPECT_EQ(progress(), 0);
    // Ann does three steps, Bo one: the group is a quarter of the way.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(complete(annP, steps[i]));
    EXPECT_EQ(progress(), 0);
    ASSERT_TRUE(complete(boP, steps[0]));
    EXPECT_EQ(progress(), 25);
    // Doing a step again counts once.
    ASSERT_TRUE(complete(boP, steps[0]));
    EXPECT_EQ(progress(), 25);
    for (int i = 1; i < 3; ++i) ASSERT_TRUE(complete(boP, steps[i]));
    EXPECT_EQ(progress(), 75);
    // A fifth step added later lowers it; deleting it raises it again.
    auto fifth = env.handlers->create(mentorP, Entity::kProcedureStep,
                                      Json{{"procedure_id", (*proc)["id"]}, {"position", 5}, {"title", "inspect"}});
    ASSERT_TRUE(fifth) << fifth.error().message;
    EXPECT_EQ(progress(), 60);
    ASSERT_TRUE(env.handlers->remove(mentorP, Entity::kProcedureStep, (*fifth)["id"].get<std::int64_t>()));
    EXPECT_EQ(progress(), 75);
    // Bo takes back a completion he recorded by mistake.
    auto bos = env.handlers->list(mentorP, Entity::kStepCompletion, Params{{"step_id", std::to_string(idOf(steps[2]))}});
    ASSERT_TRUE(bos);
    std::int64_t mistaken = 0;
    for (const auto& c : (*bos)["items"]) {
        if (c["person_id"] == bo) mistaken = idOf(c);
    }
    ASSERT_GT(mistaken, 0);
    EXPECT_EQ(env.handlers->remove(annP, Entity::kStepCompletion, mistaken).error().status, 403);  // not Ann's
    ASSERT_TRUE(env.handlers->remove(boP, Entity::kStepCompletion, mistaken));
    EXPECT_EQ(progress(), 50);
    // Unlinking the goal leaves its progress where it was; the procedure
    // now moves no goal.
    ASSERT_TRUE(env.handlers->update(mentorP, Entity::kProcedure, idOf(*proc), Json{{"goal_id", nullptr}}));
    ASSERT_TRUE(complete(annP, steps[3]));
    EXPECT_EQ(progress(), 50);
}

TEST_F(Procedures, BadProceduresAndStepsAreRefusedNamingTheFieldAndNothingIsWritten) {
    auto otherMentorship = env.must(env.handlers->create(
        admin, Entity::kMentorship, Json{{"program_id", program}, {"kind", "one_to_one"}, {"mentors", {mentor}}, {"mentees", {ann}}}));
    auto otherGoal = env.must(env.handlers->create(mentorP, Entity::kGoal, Json{{"mentorship_id", otherMentorship}, {"title", "g"}}));
    struct Case {
        const char* what;
        Json body;
        std::string field;
        std::string says;
    };
    Json badKind = procedureWithSteps(2);
    badKind["steps"][1]["annotations"] = Json::array({Json{{"kind", "laser"}}});
    Json notObject = procedureWithSteps(2);
    notObject["steps"][1]["annotations"] = Json::array({5});
    Json missingTitle = procedureWithSteps(3);
    missingTitle["steps"][2].erase("title");
    Json stepNotObject = procedureWithSteps(1);
    stepNotObject["steps"][0] = "weld";
    Json setsParent = procedureWithSteps(1);
    setsParent["steps"][0]["procedure_id"] = 3;
    Json tooLong = procedureWithSteps(1);
    tooLong["steps"][0]["expected_seconds"] = 90000;
    Json foreignGoal = procedureWithSteps(1);
    foreignGoal["goal_id"] = otherGoal;
    Json tooMany = procedureWithSteps(501);
    Json hugeInk = procedureWithSteps(1);
    Json points = Json::array();
    for (int i = 0; i < 3000; ++i) points.push_back(Json::array({0.123456, 0.234567, 0.345678}));
    hugeInk["steps"][0]["annotations"] = Json::array({Json{{"kind", "ink"}, {"points", points}}});
    const Case cases[] = {
        {"unknown annotation kind", badKind, "steps[1].annotations", "item 0 needs a kind among: arrow, label"},
        {"annotation not an object", notObject, "steps[1].annotations", "item 0 must be an object"},
        {"step without title", missingTitle, "steps[2].title", "is required"},
        {"step not an object", stepNotObject, "steps[0]", "must be an object"},
        {"step naming its procedure", setsParent, "steps[0].procedure_id", "set by the server"},
        {"expected time out of range", tooLong, "steps[0].expected_seconds", "between 1 and 86400"},
        {"goal of another mentorship", foreignGoal, "goal_id", "not a goal of the procedure's mentorship"},
        {"too many steps", tooMany, "steps", "at most 500 steps"},
        {"annotations too large", hugeInk, "steps[0].annotations", "longer than 65536 bytes"},
    };
    for (const auto& c : cases) {
        auto r = env.handlers->create(mentorP, Entity::kProcedure, c.body);
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.error().status, 400) << c.what;
        EXPECT_EQ(r.error().field, c.field) << c.what << ": " << r.error().message;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.what << ": " << r.error().message;
    }
    // None of them wrote anything, not even the procedure before a bad step.
    auto listed = env.handlers->list(mentorP, Entity::kProcedure, Params{{"mentorship_id", std::to_string(group)}});
    ASSERT_TRUE(listed);
    EXPECT_TRUE((*listed)["items"].empty());
    // A completion names its step; who and when are the server's.
    auto proc = env.must(env.handlers->create(mentorP, Entity::kProcedure, procedureWithSteps(1)));
    auto steps = env.handlers->list(mentorP, Entity::kProcedureStep, Params{{"procedure_id", std::to_string(proc)}});
    ASSERT_TRUE(steps);
    const Json step = (*steps)["items"][0];
    auto forged = env.handlers->create(annP, Entity::kStepCompletion,
                                       Json{{"step_id", idOf(step)}, {"seconds_taken", 3}, {"person_id", bo}});
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().field, "person_id");
    auto negative = env.handlers->create(annP, Entity::kStepCompletion, Json{{"step_id", idOf(step)}, {"seconds_taken", -1}});
    ASSERT_FALSE(negative);
    EXPECT_EQ(negative.error().field, "seconds_taken");
}

TEST_F(Procedures, DeletingTakesStepsAndCompletionsAlongAndAGoalsDeletionUnlinksIt) {
    auto proc = env.handlers->create(mentorP, Entity::kProcedure, procedureWithSteps(2));
    ASSERT_TRUE(proc);
    const Json steps = (*proc)["steps"];
    ASSERT_TRUE(complete(annP, steps[0]));
    ASSERT_TRUE(env.handlers->remove(mentorP, Entity::kGoal, goal));
    auto unlinked = env.handlers->get(mentorP, Entity::kProcedure, idOf(*proc));
    ASSERT_TRUE(unlinked);
    EXPECT_TRUE((*unlinked)["goal_id"].is_null());
    ASSERT_TRUE(env.handlers->remove(mentorP, Entity::kProcedure, idOf(*proc)));
    EXPECT_EQ(env.handlers->get(mentorP, Entity::kProcedureStep, idOf(steps[0])).error().status, 404);
    auto rows = env.store->read([&](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto left, tx.list(Entity::kStepCompletion, ListQuery{"", 0, 0, 100}));
        return Json(left.size());
    });
    ASSERT_TRUE(rows);
    EXPECT_EQ(*rows, 0);
}

TEST_F(Procedures, ErasingTheMentorBlanksWhatTheyWroteIntoStepsAndKeepsTheSteps) {
    Json body = procedureWithSteps(1);
    body["steps"][0]["instruction"] = "Grind the bevel to 30 degrees";
    body["steps"][0]["annotations"] = Json::array({Json{{"kind", "label"}, {"text", "30 deg"}}});
    auto proc = env.handlers->create(mentorP, Entity::kProcedure, body);
    ASSERT_TRUE(proc);
    const std::int64_t step = idOf((*proc)["steps"][0]);
    ASSERT_TRUE(env.handlers->remove(admin, Entity::kPerson, mentor));
    auto after = env.handlers->get(annP, Entity::kProcedureStep, step);
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ((*after)["title"], "");
    EXPECT_TRUE((*after)["instruction"].is_null());
    EXPECT_TRUE((*after)["annotations"].is_null());
    EXPECT_EQ((*after)["position"], 1);
}

}  // namespace
}  // namespace mxr::server::test
