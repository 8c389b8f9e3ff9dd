#include "matching_profile.h"
#include "ascii.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>

#include <date/tz.h>

#include "engine/core/text.h"

namespace mxr::server::match {
namespace {

constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

// "HH:MM" on a quarter hour, 00:00-24:00; minutes or -1.
int parseClock(std::string_view s) {
    if (s.size() != 5 || s[2] != ':') return -1;
    for (int i : {0, 1, 3, 4}) {
        if (!std::isdigit(static_cast<unsigned char>(s[static_cast<std::size_t>(i)]))) return -1;
    }
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || m % 15 != 0 || (h == 24 && m != 0)) return -1;
    return h * 60 + m;
}

const date::time_zone* zoneOrNull(std::string_view name) {
    // The date library reports an unknown zone by throwing; it stays here.
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

std::vector<std::string> strings(const Json& person, const char* key) {
    std::vector<std::string> out;
    if (!person.contains(key) || !person[key].is_array()) return out;
    for (const auto& v : person[key]) {
        if (v.is_string()) out.push_back(v.get<std::string>());
    }
    return out;
}

std::vector<std::int64_t> ids(const Json& person, const char* key) {
    std::vector<std::int64_t> out;
    if (!person.contains(key) || !person[key].is_array()) return out;
    for (const auto& v : person[key]) {
        if (v.is_number_integer()) out.push_back(v.get<std::int64_t>());
    }
    return out;
}

}  // namespace

std::optional<SkillLevel> parseSkillLevel(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view skill = trimAscii(text.substr(0, colon));
    const std::string_view level = trimAscii(text.substr(colon + 1));
    if (skill.empty() || level.size() != 1 || level[0] < '0' + kMinLevel || level[0] > '0' + kMaxLevel) {
        return std::nullopt;
    }
    return SkillLevel{std::string(skill), level[0] - '0'};
}

std::optional<WeeklyWindow> parseWeeklyWindow(std::string_view text) {
    // "Mon 09:00-12:30"
    if (text.size() != 15 || text[3] != ' ' || text[9] != '-') return std::nullopt;
    const auto day = std::find(std::begin(kDays), std::end(kDays), text.substr(0, 3));
    if (day == std::end(kDays)) return std::nullopt;
    const int start = parseClock(text.substr(4, 5));
    const int end = parseClock(text.substr(10, 5));
    if (start < 0 || end < 0 || end <= start || start == 24 * 60) return std::nullopt;
    return WeeklyWindow{static_cast<int>(day - std::begin(kDays)), start, end};
}

bool isKnownTimeZone(std::string_view name) { return !name.empty() && zoneOrNull(name) != nullptr; }

Profile profileFromPerson(const Json& person) {
    Profile p;
    p.id = person.value("id", std::int64_t{0});
    if (person.contains("name") && person["name"].is_string()) p.name = person["name"].get<std::string>();
    for (const auto& s : strings(person, "skills_offered")) {
        if (auto sl = parseSkillLevel(s)) p.offered.push_back(*sl);
    }
    for (const auto& s : strings(person, "skills_wanted")) {
        if (auto sl = parseSkillLevel(s)) p.wanted.push_back(*sl);
    }
    p.interests = strings(person, "interests");
    for (const auto& l : strings(person, "languages")) p.languages.push_back(lowerAscii(l));
    if (person.contains("goals_text") && person["goals_text"].is_string()) p.goals = person["goals_text"].get<std::string>();
    if (person.contains("time_zone") && person["time_zone"].is_string()) p.timeZone = person["time_zone"].get<std::string>();
    for (const auto& w : strings(person, "availability")) {
        if (auto win = parseWeeklyWindow(w)) p.availability.push_back(*win);
    }
    if (person.contains("mentor_capacity") && person["mentor_capacity"].is_number_integer()) {
        p.capacity = static_cast<int>(person["mentor_capacity"].get<std::int64_t>());
    }
    if (person.contains("team") && person["team"].is_string()) p.team = lowerAscii(trimAscii(person["team"].get<std::string>()));
    if (person.contains("line_manager_id") && person["line_manager_id"].is_number_integer()) {
        p.lineManager = person["line_manager_id"].get<std::int64_t>();
    }
    p.avoid = ids(person, "avoid");
    p.prefer = ids(person, "prefer");
    return p;
}

bool WeekMask::any() const {
    return std::any_of(bits.begin(), bits.end(), [](std::uint64_t w) { return w != 0; });
}

int WeekMask::count() const {
    int n = 0;
    for (auto w : bits) n += std::popcount(w);
    return n;
}

int WeekMask::sharedSlots(const WeekMask& other) const {
    int n = 0;
    for (std::size_t i = 0; i < bits.size(); ++i) n += std::popcount(bits[i] & other.bits[i]);
    return n;
}

std::int64_t mondayOf(std::int64_t days) {
    // 1970-01-01 was a Thursday (weekday index 3 with Monday = 0).
    const std::int64_t weekday = ((days % 7) + 7 + 3) % 7;
    return days - weekday;
}

Result<WeekMask> weekInUtc(const Profile& person, std::int64_t weekStartDays) {
    using namespace std::chrono;
    WeekMask mask;
    const date::time_zone* zone = nullptr;
    if (!person.timeZone.empty()) {
        zone = zoneOrNull(person.timeZone);
        if (!zone) return makeError(ErrorCode::kInvalidArgument, strCat("unknown time zone '", person.timeZone, "'"));
    }
    const auto weekStart = date::sys_days{date::days{weekStartDays}};
    for (const auto& w : person.availability) {
        const auto localDay = date::local_days{date::days{weekStartDays + w.day}};
        for (int m = w.startMinute; m < w.endMinute; m += 15) {
            const auto lt = localDay + minutes{m};
            date::sys_seconds utc;
            if (zone) {
                const auto info = zone->get_info(lt);
                if (info.result == date::local_info::nonexistent) continue;
                utc = date::sys_seconds{(lt - info.first.offset).time_since_epoch()};
            } else {
                utc = date::sys_seconds{lt.time_since_epoch()};
            }
            const auto slot = duration_cast<minutes>(utc - weekStart).count() / 15;
            mask.set(static_cast<int>(((slot % kSlotsPerWeek) + kSlotsPerWeek) % kSlotsPerWeek));
        }
    }
    return mask;
}

}  // namespace mxr::server::match
