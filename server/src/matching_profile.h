#pragma once
// Matching profiles (issue 18): the parts of a person record and a program
// record that matching reads, parsed into plain values, and the weekly
// availability of a person as quarter-hour slots of one real UTC week
// (time-zone rules from the system's tzdata through Howard Hinnant's date
// library, so daylight-saving changes inside or between weeks count).
//
// Pure C++: no store, no HTTP. Thread: the functions are reentrant; the tz
// database is loaded once by the date library (thread-safe static init).
// Errors: parse functions answer nullopt; weekInUtc answers Result.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"

namespace mxr::server::match {

using Json = nlohmann::json;

inline constexpr int kMinLevel = 1;
inline constexpr int kMaxLevel = 5;

struct SkillLevel {
    std::string skill;  // as written (trimmed); compared case-insensitively
    int level = kMinLevel;
};

// A weekly window in local time: day 0 = Monday, minutes from 00:00;
// endMinute may be 1440 (midnight at the end of the day). Quarter hours.
struct WeeklyWindow {
    int day = 0;
    int startMinute = 0;
    int endMinute = 0;
};

// "welding:4" (level 1-5), nullopt when malformed.
std::optional<SkillLevel> parseSkillLevel(std::string_view text);
// "Mon 09:00-12:30" (Mon..Sun, quarter hours, end after start, 24:00 allowed as the end).
std::optional<WeeklyWindow> parseWeeklyWindow(std::string_view text);
// Whether tzdata knows the IANA zone name.
bool isKnownTimeZone(std::string_view name);

struct Profile {
    std::int64_t id = 0;
    std::string name;
    std::vector<SkillLevel> offered, wanted;
    std::vector<std::string> interests, languages;  // languages lower-cased
    std::string goals;
    std::string timeZone;  // "" = not given
    std::vector<WeeklyWindow> availability;
    int capacity = 1;  // mentees at once when mentoring
    std::string team;
    std::int64_t lineManager = 0;
    std::vector<std::int64_t> avoid, prefer;
};

// Reads a person record (fields as in schema.cpp). Malformed stored items
// (written before validation existed) are skipped.
Profile profileFromPerson(const Json& person);

// Quarter-hour slots of one week starting Monday 00:00 UTC.
inline constexpr int kSlotsPerWeek = 7 * 24 * 4;
struct WeekMask {
    std::array<std::uint64_t, (kSlotsPerWeek + 63) / 64> bits{};
    void set(int slot) { bits[static_cast<std::size_t>(slot / 64)] |= std::uint64_t{1} << (slot % 64); }
    bool any() const;
    int count() const;
    int sharedSlots(const WeekMask& other) const;
};

// The person's weekly windows placed in the UTC week that starts on
// weekStartDays (days since 1970-01-01, a Monday), each local day's window
// converted with the offset in force then (a window that straddles a
// change uses each quarter hour's own offset). Windows that leave the week
// wrap around (the pattern repeats weekly). Local times that do not exist
// (the hour skipped in spring) are left out; repeated ones count once.
// An empty time zone means UTC. Errors: unknown zone (kInvalidArgument).
Result<WeekMask> weekInUtc(const Profile& person, std::int64_t weekStartDays);

// Days since 1970-01-01 of the Monday of the week containing `days`.
std::int64_t mondayOf(std::int64_t days);

}  // namespace mxr::server::match
