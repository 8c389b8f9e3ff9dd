// Scheduling (issue 18, point 4): common meeting times across time zones,
// RFC 5545 recurrence with exceptions and daylight-saving changes (libical),
// conflicts, and the iCalendar text parsed back with libical.
#include <gtest/gtest.h>

#include "../../server/src/scheduling.h"
#include "server/time_util.h"

namespace mxr::server::sched {
namespace {

std::int64_t at(const char* utc) { return *parseTimestamp(utc); }
std::int64_t days(const char* ymd) { return *parseDate(ymd); }

TEST(Scheduling, CommonStartsAcrossTimeZonesInADaylightSavingGapWeek) {
    match::Profile berlin, ny;
    berlin.timeZone = "Europe/Berlin";
    berlin.availability = {*match::parseWeeklyWindow("Mon 17:00-19:00")};
    ny.timeZone = "America/New_York";
    ny.availability = {*match::parseWeeklyWindow("Mon 11:00-13:00")};
    // Week of 16 March 2026: New York already on daylight time (UTC-4),
    // Berlin not yet (UTC+1): 16:00-18:00 and 15:00-17:00 UTC share 16-17.
    const auto week = days("2026-03-16");
    const std::vector<match::WeekMask> both{*match::weekInUtc(berlin, week), *match::weekInUtc(ny, week)};
    EXPECT_EQ(commonStarts(both, week, 60, 5), (std::vector<std::int64_t>{at("2026-03-16T16:00:00Z")}));
    EXPECT_EQ(commonStarts(both, week, 30, 5),
              (std::vector<std::int64_t>{at("2026-03-16T16:00:00Z"), at("2026-03-16T16:30:00Z")}));
    EXPECT_TRUE(commonStarts(both, week, 90, 5).empty());
}

TEST(Scheduling, WeeklySeriesKeepsLocalTimeAcrossTheChangeAndSkipsExceptions) {
    Series s{"2026-03-17T18:00", "Europe/Berlin", "FREQ=WEEKLY;COUNT=3", {}};
    auto r = expand(s, 0, INT64_MAX, 100);
    ASSERT_TRUE(r) << r.error().describe();
    // 18:00 in Berlin: 17:00 UTC in winter time, 16:00 UTC from 29 March.
    EXPECT_EQ(*r, (std::vector<std::int64_t>{at("2026-03-17T17:00:00Z"), at("2026-03-24T17:00:00Z"),
                                             at("2026-03-31T16:00:00Z")}));
    s.exceptions = {"2026-03-24T18:00"};
    EXPECT_EQ(*expand(s, 0, INT64_MAX, 100),
              (std::vector<std::int64_t>{at("2026-03-17T17:00:00Z"), at("2026-03-31T16:00:00Z")}));
    // A window of time and a cap.
    Series open{"2026-01-05T09:00", "", "FREQ=WEEKLY;BYDAY=MO,TH", {}};
    auto w = expand(open, at("2026-01-06T00:00:00Z"), at("2026-01-13T00:00:00Z"), 100);
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, (std::vector<std::int64_t>{at("2026-01-08T09:00:00Z"), at("2026-01-12T09:00:00Z")}));
    EXPECT_EQ(expand(open, 0, INT64_MAX, 7)->size(), 7u);
    // First Monday of each month.
    Series monthly{"2026-04-06T09:00", "UTC", "FREQ=MONTHLY;BYDAY=1MO;COUNT=2", {}};
    EXPECT_EQ(*expand(monthly, 0, INT64_MAX, 10),
              (std::vector<std::int64_t>{at("2026-04-06T09:00:00Z"), at("2026-05-04T09:00:00Z")}));
}

TEST(Scheduling, SkippedLocalTimeMovesForwardAndBadInputIsNamed) {
    // 02:30 does not exist in Berlin on 29 March 2026: it becomes 03:30 CEST.
    auto r = expand(Series{"2026-03-29T02:30", "Europe/Berlin", "", {}}, 0, INT64_MAX, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<std::int64_t>{at("2026-03-29T01:30:00Z")}));
    auto badRule = expand(Series{"2026-03-02T10:00", "", "FREQ=SOMETIMES", {}}, 0, INT64_MAX, 10);
    ASSERT_FALSE(badRule);
    EXPECT_NE(badRule.error().message.find("rrule"), std::string::npos);
    auto badZone = expand(Series{"2026-03-02T10:00", "Mars/Base", "", {}}, 0, INT64_MAX, 10);
    ASSERT_FALSE(badZone);
    EXPECT_NE(badZone.error().message.find("time_zone"), std::string::npos);
    EXPECT_FALSE(expand(Series{"2026-02-30T10:00", "", "", {}}, 0, INT64_MAX, 10));
    EXPECT_FALSE(expand(Series{"2026-03-02T10:00", "", "", {"tomorrow"}}, 0, INT64_MAX, 10));
}

TEST(Scheduling, ConflictsIgnoreCancelledAndTouchingEvents) {
    const std::vector<Event> e{{"a", 0, 3600, "A", "", "", false},
                               {"b", 1800, 5400, "B", "", "", false},
                               {"c", 5400, 7200, "C", "", "", false},  // touches b, no overlap
                               {"d", 0, 7200, "D", "", "", true}};
    EXPECT_EQ(conflicts(e), (std::vector<std::pair<std::size_t, std::size_t>>{{0, 1}}));
}

TEST(Scheduling, ICalendarFeedParsesBackWithLibical) {
    const std::vector<Event> events{
        {"session-1@mentorxr", at("2026-03-17T17:00:00Z"), at("2026-03-17T18:00:00Z"), "Ana & Ben; welding, part 1",
         "mentorship-3", "Agenda:\nsafety first", false},
        {"session-2@mentorxr", at("2026-03-24T17:00:00Z"), at("2026-03-24T18:00:00Z"), "Ana & Ben", "mentorship-3", "",
         true}};
    auto text = icalendar(events, at("2026-03-01T00:00:00Z"), "MentorXR: Ben");
    ASSERT_TRUE(text) << text.error().describe();
    EXPECT_EQ(text->rfind("BEGIN:VCALENDAR", 0), 0u);
    EXPECT_NE(text->find("DTSTART:20260317T170000Z"), std::string::npos);
    auto back = parseICalendar(*text);
    ASSERT_TRUE(back) << back.error().describe();
    ASSERT_EQ(back->size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ((*back)[i].uid, events[i].uid);
        EXPECT_EQ((*back)[i].start, events[i].start);
        EXPECT_EQ((*back)[i].end, events[i].end);
        EXPECT_EQ((*back)[i].summary, events[i].summary);
        EXPECT_EQ((*back)[i].location, events[i].location);
        EXPECT_EQ((*back)[i].description, events[i].description);
        EXPECT_EQ((*back)[i].cancelled, events[i].cancelled);
    }
    EXPECT_FALSE(parseICalendar("not a calendar"));
}

}  // namespace
}  // namespace mxr::server::sched
