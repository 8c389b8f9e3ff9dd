// Matching profiles and scoring (issue 18): hand-checked cases, time zones
// across daylight-saving changes, and the breakdown in words.
#include <gtest/gtest.h>

#include "../../server/src/matching_score.h"
#include "server/time_util.h"

namespace mxr::server::match {
namespace {

std::int64_t days(const char* ymd) { return *parseDate(ymd); }

Profile person(std::int64_t id, std::string name) {
    Profile p;
    p.id = id;
    p.name = std::move(name);
    return p;
}

TEST(MatchingProfile, ParsesSkillsAndWindowsAndRefusesMalformedOnes) {
    auto s = parseSkillLevel("welding:4");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->skill, "welding");
    EXPECT_EQ(s->level, 4);
    EXPECT_EQ(parseSkillLevel("C++: 3")->skill, "C++");
    for (const char* bad : {"welding", "welding:0", "welding:6", ":3", "welding:x", "welding:10"}) {
        EXPECT_FALSE(parseSkillLevel(bad)) << bad;
    }
    auto w = parseWeeklyWindow("Tue 09:15-24:00");
    ASSERT_TRUE(w);
    EXPECT_EQ(w->day, 1);
    EXPECT_EQ(w->startMinute, 9 * 60 + 15);
    EXPECT_EQ(w->endMinute, 24 * 60);
    for (const char* bad : {"Tue 09:10-10:00", "Xyz 09:00-10:00", "Mon 10:00-09:00", "Mon 10:00-10:00", "Mon 9:00-10:00",
                            "Mon 24:00-24:00", "Mon 09:00-25:00"}) {
        EXPECT_FALSE(parseWeeklyWindow(bad)) << bad;
    }
    EXPECT_TRUE(isKnownTimeZone("Europe/Berlin"));
    EXPECT_TRUE(isKnownTimeZone("America/New_York"));
    EXPECT_FALSE(isKnownTimeZone("Mars/Olympus_Mons"));
    EXPECT_FALSE(isKnownTimeZone(""));
}

TEST(MatchingProfile, MondayOfAnyDay) {
    EXPECT_EQ(mondayOf(days("2026-03-09")), days("2026-03-09"));  // a Monday
    EXPECT_EQ(mondayOf(days("2026-03-15")), days("2026-03-09"));  // the Sunday after
    EXPECT_EQ(mondayOf(days("1970-01-01")), days("1969-12-29"));
}

// Berlin 17:00-19:00 and New York 11:00-13:00 on Mondays. Hand-checked:
// - week of 2 March 2026, both on standard time (UTC+1, UTC-5): 16-18 UTC
//   both, 2 shared hours;
// - week of 16 March: New York on daylight time since 8 March (UTC-4):
//   15-17 UTC against 16-18 UTC, 1 hour;
// - week of 30 March: Berlin on summer time since 29 March (UTC+2): 15-17
//   UTC both, 2 hours again.
TEST(MatchingProfile, SharedHoursFollowDaylightSavingChanges) {
    Profile berlin = person(1, "Ana");
    berlin.timeZone = "Europe/Berlin";
    berlin.availability = {*parseWeeklyWindow("Mon 17:00-19:00")};
    Profile ny = person(2, "Ben");
    ny.timeZone = "America/New_York";
    ny.availability = {*parseWeeklyWindow("Mon 11:00-13:00")};
    auto shared = [&](const char* week) {
        const auto a = weekInUtc(berlin, mondayOf(days(week)));
        const auto b = weekInUtc(ny, mondayOf(days(week)));
        EXPECT_TRUE(a && b);
        return a->sharedSlots(*b) / 4.0;
    };
    EXPECT_EQ(shared("2026-03-02"), 2.0);
    EXPECT_EQ(shared("2026-03-16"), 1.0);
    EXPECT_EQ(shared("2026-03-30"), 2.0);
}

TEST(MatchingProfile, SkippedHourIsLeftOutAndWindowsWrapAroundTheWeek) {
    // Berlin skips 02:00-03:00 on Sunday 29 March 2026.
    Profile p = person(1, "Ana");
    p.timeZone = "Europe/Berlin";
    p.availability = {*parseWeeklyWindow("Sun 01:00-04:00")};
    auto week = weekInUtc(p, days("2026-03-23"));
    ASSERT_TRUE(week);
    EXPECT_EQ(week->count(), 2 * 4);  // 01:00-02:00 (UTC+1) and 03:00-04:00 (UTC+2)
    // Auckland Monday 08:00 in June (NZST, UTC+12) is Sunday 20:00 UTC: it
    // wraps to the end of the week.
    Profile nz = person(2, "Kiri");
    nz.timeZone = "Pacific/Auckland";
    nz.availability = {*parseWeeklyWindow("Mon 08:00-09:00")};
    Profile utc = person(3, "Uma");
    utc.availability = {*parseWeeklyWindow("Sun 20:00-21:00")};
    const auto monday = days("2026-06-01");
    EXPECT_EQ(weekInUtc(nz, monday)->sharedSlots(*weekInUtc(utc, monday)), 4);
    Profile bad = person(4, "X");
    bad.timeZone = "Nowhere/Land";
    EXPECT_FALSE(weekInUtc(bad, monday));
}

TEST(MatchingScore, TextSimilarityIsCosineOfTfIdf) {
    EXPECT_EQ(tokens("The welding of pipes, and PIPES!"), (std::vector<std::string>{"welding", "pipes", "pipes"}));
    const std::vector<std::pair<std::uint32_t, float>> a{{1, 0.6f}, {2, 0.8f}}, b{{2, 1.0f}}, c{{3, 1.0f}};
    EXPECT_NEAR(cosine(a, b), 0.8, 1e-6);
    EXPECT_EQ(cosine(a, c), 0.0);
}

// Ana (mentor) and Ben (mentee), every component hand-computed.
TEST(MatchingScore, HandCheckedPairAndItsWords) {
    Profile ana = person(10, "Ana");
    ana.offered = {{"welding", 4}, {"brazing", 1}};
    ana.languages = {"spanish", "english"};
    ana.timeZone = "Europe/Madrid";
    ana.availability = {*parseWeeklyWindow("Tue 10:00-16:00")};
    ana.team = "plant a";
    Profile ben = person(20, "Ben");
    ben.wanted = {{"welding", 2}, {"brazing", 4}};
    ben.languages = {"spanish"};
    ben.timeZone = "Europe/Madrid";
    ben.availability = {*parseWeeklyWindow("Tue 08:00-12:00"), *parseWeeklyWindow("Tue 14:00-18:00")};
    ben.team = "plant b";
    ProgramRules rules;  // default weights 35/15/25/15/10, 3 target hours
    Scorer scorer({ana}, {ben}, rules, days("2026-03-02"));
    const PairScore s = scorer.score(0, 0);
    ASSERT_FALSE(s.excluded);
    // skills: welding covered (4 >= 2) = 1, brazing 1 of 4 = 0.25 -> 0.625
    EXPECT_DOUBLE_EQ(*s.skills, 0.625);
    EXPECT_EQ(*s.language, 1.0);
    // shared: 10-12 and 14-16 = 4 hours -> min(1, 4/3) = 1
    EXPECT_EQ(s.sharedHours, 4.0);
    EXPECT_EQ(*s.availability, 1.0);
    EXPECT_FALSE(s.text);      // neither wrote goals or interests
    EXPECT_FALSE(s.feedback);  // no history
    // (0.625*35 + 1*15 + 1*25) / 75 = 61.875/75 = 0.825 -> 825
    EXPECT_EQ(s.total, 825);
    EXPECT_EQ(scorer.explain(0, 0),
              "both speak spanish; Ana teaches welding at level 4, Ben wants level 2; Ana teaches brazing at level 1, "
              "Ben wants level 4; 4 shared hours a week; different teams");
}

TEST(MatchingScore, FeedbackHistoryAndPreferenceCount) {
    Profile ana = person(10, "Ana");
    ana.offered = {{"welding", 3}};
    Profile ben = person(20, "Ben");
    ben.wanted = {{"welding", 3}};
    ben.prefer = {10};
    FeedbackHistory h;
    h.aboutMentor[10] = {8.0, 2};  // mean 4 -> (4-1)/4 = 0.75
    Scorer scorer({ana}, {ben}, ProgramRules{}, days("2026-03-02"), h);
    const PairScore s = scorer.score(0, 0);
    EXPECT_EQ(*s.feedback, 0.75);
    // (1*35 + 0.75*10)/45 = 0.9444 -> 944, +100 preferred -> capped at 1000
    EXPECT_TRUE(s.preferred);
    EXPECT_EQ(s.total, 1000);
    EXPECT_NE(scorer.explain(0, 0).find("Ana's mentees rated them 4.0 of 5 (2 ratings)"), std::string::npos);
    // The pair's own history wins over the mentor's overall one.
    h.pair[{10, 20}] = {2.0, 1};  // mean 2 -> 0.25
    ben.prefer.clear();
    Scorer again({ana}, {ben}, ProgramRules{}, days("2026-03-02"), h);
    EXPECT_EQ(*again.score(0, 0).feedback, 0.25);
    // (35 + 2.5)/45 = 0.8333 -> 833
    EXPECT_EQ(again.score(0, 0).total, 833);
}

TEST(MatchingScore, HardExclusionsSayWhy) {
    Profile ana = person(10, "Ana");
    ana.offered = {{"welding", 2}};
    ana.team = "plant a";
    Profile ben = person(20, "Ben");
    ben.team = "Plant A";
    ProgramRules rules;
    rules.excludeSameTeam = true;
    EXPECT_EQ(Scorer({ana}, {ben}, rules, 0).score(0, 0).excludedWhy, "same team");
    rules.excludeSameTeam = false;
    ben.lineManager = 10;
    EXPECT_EQ(Scorer({ana}, {ben}, rules, 0).score(0, 0).excludedWhy, "one is the other's line manager");
    rules.excludeLineManager = false;
    EXPECT_FALSE(Scorer({ana}, {ben}, rules, 0).score(0, 0).excluded);
    ben.avoid = {10};
    EXPECT_EQ(Scorer({ana}, {ben}, rules, 0).score(0, 0).excludedWhy, "Ben asked not to be matched with Ana");
    ben.avoid.clear();
    rules.required = {{"Welding", 3}};
    EXPECT_EQ(Scorer({ana}, {ben}, rules, 0).explain(0, 0),
              "not a possible pair: Ana does not teach welding at level 3 (the program requires it)");
    EXPECT_TRUE(Scorer({ana}, {ana}, ProgramRules{}, 0).score(0, 0).excluded);  // same person
}

TEST(MatchingScore, SimilarGoalsScoreHigherThanUnrelatedOnes) {
    Profile m1 = person(1, "M1"), m2 = person(2, "M2"), e = person(3, "E");
    m1.goals = "robot welding cells and automation of welding lines";
    m2.goals = "pastry baking and chocolate";
    e.goals = "I want to learn robot welding automation";
    Scorer scorer({m1, m2}, {e}, ProgramRules{}, 0);
    EXPECT_GT(*scorer.score(0, 0).text, 0.3);
    EXPECT_EQ(*scorer.score(1, 0).text, 0.0);
    EXPECT_GT(scorer.score(0, 0).total, scorer.score(1, 0).total);
}

TEST(MatchingScore, ProgramWeightsAndDefaults) {
    const ProgramRules d = rulesFromProgram(Json::object());
    EXPECT_EQ(d.kind, "one_to_one");
    EXPECT_EQ(d.weights.skills, 35);
    EXPECT_TRUE(d.excludeLineManager);
    EXPECT_FALSE(d.excludeSameTeam);
    const ProgramRules r = rulesFromProgram(Json{{"match_kind", "group"}, {"weight_skills", 0}, {"weight_language", 100},
                                                 {"required_skills", {"welding:3"}}, {"exclude_same_team", 1}});
    EXPECT_EQ(r.kind, "group");
    EXPECT_EQ(r.weights.skills, 0);
    EXPECT_EQ(r.weights.language, 100);
    ASSERT_EQ(r.required.size(), 1u);
    EXPECT_TRUE(r.excludeSameTeam);
    // With skills weighted 0, a language match alone gives the full score.
    Profile a = person(1, "A"), b = person(2, "B");
    a.languages = {"german"};
    b.languages = {"german"};
    b.wanted = {{"welding", 5}};
    ProgramRules langOnly = r;
    langOnly.required.clear();
    EXPECT_EQ(Scorer({a}, {b}, langOnly, 0).score(0, 0).total, 1000);
}

}  // namespace
}  // namespace mxr::server::match
