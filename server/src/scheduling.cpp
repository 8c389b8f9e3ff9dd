#include "scheduling.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <date/tz.h>
#include <libical/ical.h>

#include "engine/core/text.h"
#include "server/time_util.h"

namespace mxr::server::sched {
namespace {

struct LocalTime {
    int year, month, day, hour, minute;
};

// "YYYY-MM-DDTHH:MM"
std::optional<LocalTime> parseLocal(std::string_view s) {
    if (s.size() != 16 || s[10] != 'T' || s[13] != ':') return std::nullopt;
    const auto date = parseDate(s.substr(0, 10));
    if (!date) return std::nullopt;
    auto num = [&](std::size_t at) {
        const char a = s[at], b = s[at + 1];
        return a >= '0' && a <= '9' && b >= '0' && b <= '9' ? (a - '0') * 10 + (b - '0') : -1;
    };
    const int h = num(11), m = num(14);
    if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
    const date::year_month_day ymd{date::sys_days{date::days{*date}}};
    return LocalTime{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(static_cast<unsigned>(ymd.day())), h, m};
}

const date::time_zone* zoneOrNull(std::string_view name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

// A local wall time in the zone as unix seconds (nonexistent: moved
// forward by the gap; ambiguous: the earlier).
std::int64_t toUtc(const date::time_zone* zone, int y, int mo, int d, int h, int mi) {
    using namespace std::chrono;
    const auto lt = date::local_days{date::year{y} / mo / d} + hours{h} + minutes{mi};
    if (!zone) return duration_cast<seconds>(lt.time_since_epoch()).count();
    // first: the offset before a change, so a skipped time lands after
    // the gap and a repeated one on its earlier instance.
    const auto info = zone->get_info(lt);
    return duration_cast<seconds>((lt - info.first.offset).time_since_epoch()).count();
}

struct ComponentFree {
    void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

icaltimetype utcTime(std::int64_t unix) { return icaltime_from_timet_with_zone(static_cast<time_t>(unix), 0, icaltimezone_get_utc_timezone()); }

}  // namespace

std::vector<std::int64_t> commonStarts(const std::vector<match::WeekMask>& people, std::int64_t weekStartDays,
                                       int minutes, std::size_t count) {
    std::vector<std::int64_t> out;
    if (people.empty() || minutes <= 0) return out;
    match::WeekMask all = people.front();
    for (const auto& p : people) {
        for (std::size_t i = 0; i < all.bits.size(); ++i) all.bits[i] &= p.bits[i];
    }
    auto free = [&](int slot) {
        slot %= match::kSlotsPerWeek;
        return (all.bits[static_cast<std::size_t>(slot / 64)] >> (slot % 64)) & 1;
    };
    const int need = (minutes + 14) / 15;
    for (int s = 0; s < match::kSlotsPerWeek && out.size() < count;) {
        bool ok = true;
        for (int k = 0; k < need && ok; ++k) ok = free(s + k);
        if (ok) {
            out.push_back(weekStartDays * 86400 + static_cast<std::int64_t>(s) * 15 * 60);
            s += need;
        } else {
            ++s;
        }
    }
    return out;
}

Result<std::vector<std::int64_t>> expand(const Series& series, std::int64_t fromUnix, std::int64_t untilUnix,
                                         std::size_t max) {
    const auto start = parseLocal(series.start);
    if (!start) return makeError(ErrorCode::kInvalidArgument, "start must be a local time written YYYY-MM-DDTHH:MM");
    const date::time_zone* zone = nullptr;
    if (!series.timeZone.empty()) {
        zone = zoneOrNull(series.timeZone);
        if (!zone) return makeError(ErrorCode::kInvalidArgument, strCat("time_zone: unknown time zone '", series.timeZone, "'"));
    }
    std::vector<std::int64_t> skipped;
    for (const auto& e : series.exceptions) {
        const auto x = parseLocal(e);
        if (!x) return makeError(ErrorCode::kInvalidArgument, strCat("exceptions: '", e, "' is not a local time YYYY-MM-DDTHH:MM"));
        skipped.push_back(toUtc(zone, x->year, x->month, x->day, x->hour, x->minute));
    }
    std::vector<std::int64_t> out;
    auto take = [&](std::int64_t t) {
        if (t >= fromUnix && t < untilUnix && std::find(skipped.begin(), skipped.end(), t) == skipped.end()) out.push_back(t);
    };
    if (series.rrule.empty()) {
        take(toUtc(zone, start->year, start->month, start->day, start->hour, start->minute));
        return out;
    }
    // The rule runs in the series' local (floating) time, as RFC 5545
    // expands a DTSTART with TZID; each occurrence then gets its own offset.
    icalerror_clear_errno();
    const icalrecurrencetype rule = icalrecurrencetype_from_string(series.rrule.c_str());
    if (rule.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno();
        return makeError(ErrorCode::kInvalidArgument, strCat("rrule: '", series.rrule, "' is not an RFC 5545 recurrence rule"));
    }
    icaltimetype dtstart = icaltime_null_time();
    dtstart.year = start->year;
    dtstart.month = start->month;
    dtstart.day = start->day;
    dtstart.hour = start->hour;
    dtstart.minute = start->minute;
    dtstart.is_date = 0;
    icalrecur_iterator* it = icalrecur_iterator_new(rule, dtstart);
    if (!it) return makeError(ErrorCode::kInvalidArgument, strCat("rrule: '", series.rrule, "' cannot start at ", series.start));
    // Bounded work: an open rule stops at `until` (or after 100,000 steps).
    for (int steps = 0; steps < 100000 && out.size() < max; ++steps) {
        const icaltimetype next = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(next)) break;
        const std::int64_t t = toUtc(zone, next.year, next.month, next.day, next.hour, next.minute);
        if (t >= untilUnix) break;
        take(t);
    }
    icalrecur_iterator_free(it);
    return out;
}

std::vector<std::pair<std::size_t, std::size_t>> conflicts(const std::vector<Event>& events) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!events[i].cancelled) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return events[a].start < events[b].start; });
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t x = 0; x < order.size(); ++x) {
        for (std::size_t y = x + 1; y < order.size() && events[order[y]].start < events[order[x]].end; ++y) {
            out.emplace_back(std::min(order[x], order[y]), std::max(order[x], order[y]));
        }
    }
    return out;
}

Result<std::string> icalendar(const std::vector<Event>& events, std::int64_t nowUnix, std::string_view calendarName) {
    Component cal(icalcomponent_new_vcalendar());
    icalcomponent_add_property(cal.get(), icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal.get(), icalproperty_new_prodid("-//MentorXR//Sessions//EN"));
    icalcomponent_add_property(cal.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
    icalproperty* name = icalproperty_new_x(std::string(calendarName).c_str());
    icalproperty_set_x_name(name, "X-WR-CALNAME");
    icalcomponent_add_property(cal.get(), name);
    for (const auto& e : events) {
        if (e.end < e.start) return makeError(ErrorCode::kInvalidArgument, strCat("event ", e.uid, " ends before it starts"));
        icalcomponent* ev = icalcomponent_new_vevent();
        icalcomponent_add_property(ev, icalproperty_new_uid(e.uid.c_str()));
        icalcomponent_add_property(ev, icalproperty_new_dtstamp(utcTime(nowUnix)));
        icalcomponent_add_property(ev, icalproperty_new_dtstart(utcTime(e.start)));
        icalcomponent_add_property(ev, icalproperty_new_dtend(utcTime(e.end)));
        icalcomponent_add_property(ev, icalproperty_new_summary(e.summary.c_str()));
        if (!e.location.empty()) icalcomponent_add_property(ev, icalproperty_new_location(e.location.c_str()));
        if (!e.description.empty()) icalcomponent_add_property(ev, icalproperty_new_description(e.description.c_str()));
        icalcomponent_add_property(ev, icalproperty_new_status(e.cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
        icalcomponent_add_property(ev, icalproperty_new_sequence(e.sequence));
        icalcomponent_add_component(cal.get(), ev);
    }
    char* text = icalcomponent_as_ical_string_r(cal.get());
    if (!text) return makeError(ErrorCode::kUnknown, "libical could not write the calendar");
    std::string out(text);
    free(text);
    return out;
}

Result<std::vector<Event>> parseICalendar(std::string_view text) {
    icalerror_clear_errno();
    Component cal(icalparser_parse_string(std::string(text).c_str()));
    if (!cal || icalcomponent_isa(cal.get()) != ICAL_VCALENDAR_COMPONENT) {
        return makeError(ErrorCode::kInvalidArgument, "not an iCalendar VCALENDAR");
    }
    std::vector<Event> out;
    for (icalcomponent* ev = icalcomponent_get_first_component(cal.get(), ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal.get(), ICAL_VEVENT_COMPONENT)) {
        Event e;
        if (const char* uid = icalcomponent_get_uid(ev)) e.uid = uid;
        e.start = static_cast<std::int64_t>(icaltime_as_timet_with_zone(icalcomponent_get_dtstart(ev), icaltimezone_get_utc_timezone()));
        e.end = static_cast<std::int64_t>(icaltime_as_timet_with_zone(icalcomponent_get_dtend(ev), icaltimezone_get_utc_timezone()));
        if (const char* s = icalcomponent_get_summary(ev)) e.summary = s;
        if (const char* l = icalcomponent_get_location(ev)) e.location = l;
        if (const char* d = icalcomponent_get_description(ev)) e.description = d;
        e.cancelled = icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
        e.sequence = icalcomponent_get_sequence(ev);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace mxr::server::sched
