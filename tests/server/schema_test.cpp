// Field validation and calendar handling: the rules every write goes through.
#include <gtest/gtest.h>

#include "server/schema.h"
#include "server/time_util.h"

namespace mxr::server {
namespace {

TEST(Time, AcceptsRealDatesOnlyAndRoundTrips) {
    EXPECT_TRUE(parseDate("2024-02-29"));   // leap year
    EXPECT_FALSE(parseDate("2026-02-29"));  // not one
    EXPECT_FALSE(parseDate("2100-02-29"));  // century, not divisible by 400
    EXPECT_TRUE(parseDate("2000-02-29"));
    EXPECT_FALSE(parseDate("2026-04-31"));
    EXPECT_FALSE(parseDate("2026-13-01"));
    EXPECT_FALSE(parseDate("2026-1-01"));
    EXPECT_FALSE(parseDate("２０２６-01-01"));
    EXPECT_EQ(*parseDate("1970-01-01"), 0);
    EXPECT_EQ(formatDate(*parseDate("2026-12-31")), "2026-12-31");
    EXPECT_EQ(*parseTimestamp("2026-03-01T00:00:00Z"), 1772323200);
    EXPECT_EQ(formatTimestamp(1772323200 + 3661), "2026-03-01T01:01:01Z");
    EXPECT_FALSE(parseTimestamp("2026-03-01T00:00:60Z"));
    EXPECT_FALSE(parseTimestamp("2026-03-01 00:00:00Z"));
    EXPECT_FALSE(parseTimestamp("2026-03-01T00:00:00+01:00"));
}

// Erasure blanks what a person wrote: every free-text field must say whose
// it is (the person's own data, authored text whose last writer is tracked,
// or the organisation's), so a new one cannot be forgotten.
TEST(Schema, EveryTextFieldSaysWhoseTextItIs) {
    for (Entity e : kAllEntities) {
        for (const auto& f : spec(e).fields) {
            if (f.type != FieldType::kText || f.hidden) continue;
            const int kinds = int(f.personalData) + int(f.authored) + int(f.organisational);
            EXPECT_EQ(kinds, 1) << spec(e).name << "." << f.name << " must be exactly one of personalData, authored, "
                                << "organisational";
        }
    }
}

TEST(Schema, NormalisesAndFillsDefaultsOnCreate) {
    auto goal = validateFields(Entity::kGoal, Json{{"mentorship_id", 3}, {"title", "Weld"}}, true);
    ASSERT_TRUE(goal);
    EXPECT_EQ((*goal)["status"], "open");
    EXPECT_EQ((*goal)["progress"], 0);
    auto person = validateFields(
        Entity::kPerson, Json{{"name", "A"}, {"email", "A.B@Example.ORG"}, {"roles", {"mentor", "mentor"}}}, true);
    ASSERT_TRUE(person);
    EXPECT_EQ((*person)["email"], "a.b@example.org");
    EXPECT_EQ((*person)["roles"], Json::array({"mentor"}));
}

TEST(Schema, NamesTheFieldThatIsWrong) {
    struct Case {
        Entity entity;
        Json body;
        bool create;
        const char* field;
    };
    const Case cases[] = {
        {Entity::kGoal, Json{{"title", "t"}}, true, "mentorship_id"},
        {Entity::kGoal, Json{{"mentorship_id", 1}, {"title", ""}}, true, "title"},
        {Entity::kGoal, Json{{"mentorship_id", 1}, {"title", "t"}, {"progress", -1}}, true, "progress"},
        {Entity::kGoal, Json{{"mentorship_id", 1}, {"title", "t"}, {"progress", 5.5}}, true, "progress"},
        {Entity::kGoal, Json{{"mentorship_id", -4}, {"title", "t"}}, true, "mentorship_id"},
        {Entity::kGoal, Json{{"mentorship_id", 1}}, false, "mentorship_id"},
        {Entity::kGoal, Json{{"title", nullptr}}, false, "title"},
        {Entity::kFeedback, Json{{"author_id", 1}}, false, "author_id"},
        {Entity::kPerson, Json{{"password_hash", "x"}}, false, "password_hash"},
        {Entity::kPerson, Json{{"email", "a@b@c"}}, false, "email"},
        {Entity::kPerson, Json{{"skills", Json::array({std::string(101, 's')})}}, false, "skills"},
        {Entity::kMentorship, Json{{"mentors", {1, "2"}}}, false, "mentors"},
        {Entity::kSession, Json{{"notes", std::string(20001, 'n')}}, false, "notes"},
        {Entity::kMilestone, Json{{"due_date", "2026-02-30"}}, false, "due_date"},
    };
    for (const auto& c : cases) {
        auto r = validateFields(c.entity, c.body, c.create);
        ASSERT_FALSE(r) << c.body.dump();
        EXPECT_EQ(r.error().field, c.field) << c.body.dump() << ": " << r.error().message;
    }
    EXPECT_FALSE(validateFields(Entity::kGoal, Json::array(), true));
}

TEST(Schema, InvariantsOnWholeRecords) {
    EXPECT_TRUE(checkInvariants(Entity::kMentorship, Json{{"kind", "one_to_one"}, {"mentors", {1, 2}}, {"mentees", {3}}}));
    EXPECT_FALSE(checkInvariants(Entity::kMentorship, Json{{"kind", "group"}, {"mentors", {1, 2}}, {"mentees", {3}}}));
    EXPECT_TRUE(checkInvariants(Entity::kMentorship, Json{{"kind", "peer"}, {"mentors", {1}}, {"mentees", {1}}}));
    EXPECT_TRUE(checkInvariants(Entity::kFeedback, Json{{"author_id", 4}, {"subject_id", 4}}));
    EXPECT_FALSE(checkInvariants(Entity::kSession, Json{{"started_at", "2026-03-01T10:00:00Z"},
                                                        {"ended_at", "2026-03-01T10:00:00Z"}}));
}

}  // namespace
}  // namespace mxr::server
