#pragma once
// Scheduling (issue 18, point 4): meeting times from two people's weekly
// availability across time zones, recurring sessions from RFC 5545
// recurrence rules (expanded with Debian's libical, in the series' local
// time, each occurrence placed in UTC with the date/tz rules), conflicts,
// and iCalendar text for a person's feed (written and parsed back with
// libical).
//
// Pure C++: no store, no HTTP. Thread: reentrant. Errors: Result naming
// the input that is wrong.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "matching_profile.h"

namespace mxr::server::sched {

// Start times (unix seconds, UTC) in the week starting weekStartDays (a
// Monday, days since 1970-01-01) where every mask is free for `minutes`
// (a multiple of 15), earliest first, not overlapping each other, at most
// `count`.
std::vector<std::int64_t> commonStarts(const std::vector<match::WeekMask>& people, std::int64_t weekStartDays,
                                       int minutes, std::size_t count);

// A recurring series: the first start in local time ("YYYY-MM-DDTHH:MM")
// of timeZone (IANA; "" = UTC), an RFC 5545 RRULE ("FREQ=WEEKLY;BYDAY=TU;
// COUNT=10"; "" = one meeting), and exceptions (local starts left out, same
// form as start).
struct Series {
    std::string start;
    std::string timeZone;
    std::string rrule;
    std::vector<std::string> exceptions;
};

// The occurrences' UTC starts in [fromUnix, untilUnix), at most `max`.
// A local start that does not exist (skipped in spring) moves forward by
// the gap, as RFC 5545 says for DTSTART with TZID.
Result<std::vector<std::int64_t>> expand(const Series& series, std::int64_t fromUnix, std::int64_t untilUnix,
                                         std::size_t max);

struct Event {
    std::string uid;
    std::int64_t start = 0;  // unix seconds
    std::int64_t end = 0;
    std::string summary;
    std::string location;
    std::string description;
    bool cancelled = false;
    int sequence = 0;  // RFC 5545 SEQUENCE: bumped by each reschedule/cancel
};

// Pairs of indices of events that overlap in time (cancelled ones never do).
std::vector<std::pair<std::size_t, std::size_t>> conflicts(const std::vector<Event>& events);

// A VCALENDAR (RFC 5545) of the events, times in UTC, built with libical.
Result<std::string> icalendar(const std::vector<Event>& events, std::int64_t nowUnix, std::string_view calendarName);
// The VEVENTs of an iCalendar text, parsed with libical.
Result<std::vector<Event>> parseICalendar(std::string_view text);

}  // namespace mxr::server::sched
