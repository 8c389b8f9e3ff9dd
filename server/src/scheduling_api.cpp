// The scheduling endpoints of Handlers (issue 18, point 4): meeting times
// from the members' availability, a recurring series of sessions, and a
// person's sessions as iCalendar. The time-zone, recurrence and iCalendar
// work is in scheduling.h (pure); this file reads and writes the records.
#include <algorithm>

#include "handler_helpers.h"
#include "scheduling.h"
#include "server/auth.h"
#include "server/time_util.h"

namespace mxr::server {
namespace {

constexpr std::int64_t kSessionSeconds = 3600;  // a session without an end lasts an hour
constexpr std::size_t kMaxSeriesSessions = 52;

// Every session of the mentorship.
tl::expected<std::vector<Json>, ApiError> sessionsOf(ReadTx& tx, std::int64_t mentorshipId) {
    return listAll(tx, Entity::kSession, "mentorship_id", mentorshipId);
}

// The mentorship p may read, or 404 as if absent.
tl::expected<Json, ApiError> readableMentorship(ReadTx& tx, const Principal& p, std::int64_t id) {
    API_TRY_ASSIGN(auto m, lift(tx.get(Entity::kMentorship, id)));
    const auto missing = notFound("", strCat("no mentorship with id ", id));
    if (!m) return tl::unexpected(missing);
    API_TRY_ASSIGN(bool ok, canRead(tx, p, Entity::kMentorship, *m));
    if (!ok) return tl::unexpected(missing);
    return *m;
}

std::vector<std::int64_t> membersOf(const Json& m) {
    std::vector<std::int64_t> out;
    for (const char* k : {"mentors", "mentees"}) {
        for (const auto& v : m[k]) out.push_back(v.get<std::int64_t>());
    }
    return out;
}

sched::Event eventOf(const Json& session, const std::string& summary) {
    sched::Event e;
    e.uid = strCat("session-", idOf(session), "@mentorxr");
    const auto text = [&](const char* k) {
        return session.contains(k) && session[k].is_string() ? session[k].get<std::string>() : std::string();
    };
    const std::string started = text("started_at"), ended = text("ended_at");
    e.start = *parseTimestamp(started.empty() ? text("scheduled_at") : started);
    e.end = ended.empty() ? e.start + kSessionSeconds : *parseTimestamp(ended);
    e.summary = summary;
    e.location = strCat("mentorship-", session["mentorship_id"].get<std::int64_t>());  // the pair's room
    e.description = text("agenda");
    e.cancelled = text("status") == "cancelled";
    if (session.contains("sequence") && session["sequence"].is_number_integer()) e.sequence = session["sequence"].get<int>();
    return e;
}

}  // namespace

ApiResult Handlers::meetingTimes(const Principal& p, std::int64_t mentorshipId, const Params& params) {
    ApiError err;
    err.status = 0;
    const auto minutesParam = parseId(params, "minutes", err);
    const auto countParam = parseId(params, "count", err);
    if (err.status) return tl::unexpected(err);
    const int minutes = static_cast<int>(minutesParam.value_or(60));
    if (minutes < 15 || minutes > 480 || minutes % 15) {
        return tl::unexpected(badRequest("minutes", "minutes must be a multiple of 15 from 15 to 480"));
    }
    const std::size_t count = static_cast<std::size_t>(std::clamp<std::int64_t>(countParam.value_or(5), 1, 50));
    std::int64_t day = m_clock.nowUnix() / 86400;
    if (auto it = params.find("week_of"); it != params.end()) {
        const auto d = parseDate(it->second);
        if (!d) return tl::unexpected(badRequest("week_of", "week_of must be a real calendar date written YYYY-MM-DD"));
        day = *d;
    }
    const std::int64_t week = match::mondayOf(day);
    return runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json m, readableMentorship(tx, p, mentorshipId));
        std::vector<match::WeekMask> masks;
        Json missing = Json::array();
        for (auto id : membersOf(m)) {
            API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, id)));
            if (!person) continue;
            auto profile = match::profileFromPerson(*person);
            auto mask = match::weekInUtc(profile, week);
            if (!mask) {
                profile.timeZone.clear();
                mask = match::weekInUtc(profile, week);
            }
            if (!mask || !mask->any()) {
                missing.push_back(id);
                continue;
            }
            masks.push_back(*mask);
        }
        Json starts = Json::array();
        if (missing.empty()) {
            for (auto t : sched::commonStarts(masks, week, minutes, count)) starts.push_back(formatTimestamp(t));
        }
        return Json{{"mentorship_id", mentorshipId}, {"week_of", formatDate(week)}, {"minutes", minutes},
                    {"starts", std::move(starts)}, {"without_availability", std::move(missing)}};
    });
}

ApiResult Handlers::scheduleSeries(const Principal& p, std::int64_t mentorshipId, const Json& body, const WriteKey& key) {
    if (!body.is_object()) return tl::unexpected(badRequest("", "the body must be a JSON object"));
    sched::Series series;
    std::string agenda;
    for (const auto& [k, v] : body.items()) {
        if (k == "start" || k == "time_zone" || k == "rrule" || k == "agenda") {
            if (!v.is_string()) return tl::unexpected(badRequest(k, strCat(k, " must be a string")));
            (k == "start" ? series.start : k == "time_zone" ? series.timeZone : k == "rrule" ? series.rrule : agenda) =
                v.get<std::string>();
        } else if (k == "exceptions") {
            if (!v.is_array() || v.size() > 100) return tl::unexpected(badRequest(k, "exceptions must be a list of at most 100 local times"));
            for (const auto& x : v) {
                if (!x.is_string()) return tl::unexpected(badRequest(k, "exceptions must be local times YYYY-MM-DDTHH:MM"));
                series.exceptions.push_back(x.get<std::string>());
            }
        } else {
            return tl::unexpected(badRequest(k, strCat(k, " is not an option of a series (start, time_zone, rrule, exceptions, agenda)")));
        }
    }
    if (series.start.empty()) return tl::unexpected(badRequest("start", "start is required (local time YYYY-MM-DDTHH:MM)"));
    if (series.rrule.size() > 500) return tl::unexpected(badRequest("rrule", "rrule is longer than 500 bytes"));
    const std::int64_t now = m_clock.nowUnix();
    auto starts = sched::expand(series, now, now + 366 * 86400, kMaxSeriesSessions);
    if (!starts) {
        const auto& msg = starts.error().message;
        const std::string field = msg.rfind("rrule", 0) == 0       ? "rrule"
                                  : msg.rfind("time_zone", 0) == 0 ? "time_zone"
                                  : msg.rfind("exceptions", 0) == 0 ? "exceptions"
                                                                     : "start";
        return tl::unexpected(badRequest(field, msg));
    }
    if (starts->empty()) return tl::unexpected(badRequest("start", "the series has no meeting in the coming year"));
    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json m, readableMentorship(tx, p, mentorshipId));
        if (auto may = checkAction(tx, p, Action::kScheduleSeries, m, notFound("", "")); !may) {
            return tl::unexpected(may.error());
        }
        // The members' other sessions, for the conflicts shown.
        std::vector<sched::Event> events;
        for (auto member : membersOf(m)) {
            API_TRY_ASSIGN(auto theirs, mentorshipsOf(tx, member));
            for (const auto& other : theirs) {
                if (idOf(other) == mentorshipId) continue;
                API_TRY_ASSIGN(auto sessions, sessionsOf(tx, idOf(other)));
                for (const auto& s : sessions) events.push_back(eventOf(s, ""));
            }
        }
        const std::size_t existing = events.size();
        Json created = Json::array();
        for (auto t : *starts) {
            Json fields = {{"mentorship_id", mentorshipId}, {"scheduled_at", formatTimestamp(t)}};
            if (!agenda.empty()) fields["agenda"] = agenda;
            API_TRY_ASSIGN(Json s, createIn(tx, p, Entity::kSession, fields));
            events.push_back(eventOf(s, ""));
            created.push_back(std::move(s));
        }
        Json clashes = Json::array();
        for (auto [a, b] : sched::conflicts(events)) {
            if (a >= existing || b < existing) continue;  // one new, one existing
            clashes.push_back({{"scheduled_at", formatTimestamp(events[b].start)}, {"other_session", events[a].uid}});
        }
        return Json{{"sessions", std::move(created)}, {"conflicts", std::move(clashes)}};
    }, &p, &key);
}

namespace {

// The person's sessions as iCalendar text (a JSON string), or 404.
ApiResult calendarText(ReadTx& tx, std::int64_t personId, std::int64_t now) {
    API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, personId)));
    if (!person || !(*person)["erased_at"].is_null()) {
        return tl::unexpected(notFound("", strCat("no calendar of person ", personId)));
    }
    API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, personId));
    std::vector<sched::Event> events;
    for (const auto& m : mine) {
        std::string names;
        for (auto id : membersOf(m)) {
            API_TRY_ASSIGN(auto other, lift(tx.get(Entity::kPerson, id)));
            if (!other || id == personId || !(*other)["name"].is_string()) continue;
            names += (names.empty() ? "" : ", ") + (*other)["name"].get<std::string>();
        }
        API_TRY_ASSIGN(auto sessions, sessionsOf(tx, idOf(m)));
        for (const auto& s : sessions) {
            events.push_back(eventOf(s, names.empty() ? std::string("Mentoring session") : strCat("Mentoring: ", names)));
            events.back().cancelled = events.back().cancelled || m["status"] == "ended";
        }
    }
    const std::string name = (*person)["name"].is_string() ? (*person)["name"].get<std::string>() : "";
    auto text = sched::icalendar(events, now, strCat("MentorXR: ", name));
    if (!text) return tl::unexpected(apiError(500, "internal", "", text.error().message));
    return Json(std::move(*text));
}

constexpr std::string_view kFeedPrefix = "/api/v1/calendar/";

// The person whose calendar p may use (the access layer's kCalendar), not
// erased; else 404 "no calendar of person N".
ApiResult calendarOwner(ReadTx& tx, const Principal& p, std::int64_t personId) {
    const auto missing = notFound("", strCat("no calendar of person ", personId));
    API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, personId)));
    if (!person || !(*person)["erased_at"].is_null()) return tl::unexpected(missing);
    if (auto may = checkAction(tx, p, Action::kCalendar, *person, missing); !may) return tl::unexpected(may.error());
    return *person;
}

}  // namespace

ApiResult Handlers::calendarFeed(const Principal& p, std::int64_t personId) {
    return runRead([&](ReadTx& tx) -> ApiResult {
        if (auto owner = calendarOwner(tx, p, personId); !owner) return tl::unexpected(owner.error());
        return calendarText(tx, personId, m_clock.nowUnix());
    });
}

ApiResult Handlers::createCalendarFeed(const Principal& p, std::int64_t personId) {
    const std::string secret = newToken();
    const std::int64_t now = m_clock.nowUnix();
    // No idempotency key: a stored answer would keep the secret.
    return runWrite([&](WriteTx& tx) -> ApiResult {
        if (auto owner = calendarOwner(tx, p, personId); !owner) return tl::unexpected(owner.error());
        for (auto step : {tx.putCalendarFeed(personId, tokenHash(secret), now),
                          tx.appendAudit(AuditEvent{0, 0, p.personId, "calendar_feed", "person", personId, {}})}) {
            if (!step) return tl::unexpected(fromStoreError(step.error()));
        }
        return Json{{"person_id", personId}, {"path", strCat(kFeedPrefix, secret, ".ics")}};
    });
}

ApiResult Handlers::revokeCalendarFeed(const Principal& p, std::int64_t personId, const WriteKey& key) {
    return runWrite([&](WriteTx& tx) -> ApiResult {
        if (auto owner = calendarOwner(tx, p, personId); !owner) return tl::unexpected(owner.error());
        API_TRY_ASSIGN(bool had, lift(tx.deleteCalendarFeed(personId)));
        if (had) {
            auto audit = tx.appendAudit(AuditEvent{0, 0, p.personId, "calendar_feed_revoke", "person", personId, {}});
            if (!audit) return tl::unexpected(fromStoreError(audit.error()));
        }
        return Json{{"person_id", personId}, {"revoked", had}};
    }, &p, &key);
}

ApiResult Handlers::changeSession(const Principal& p, std::int64_t sessionId, const Json& body, bool cancel,
                                  const WriteKey& key) {
    if (!body.is_object()) return tl::unexpected(badRequest("", "the body must be a JSON object"));
    std::string reason;
    std::optional<std::int64_t> moveTo;
    for (const auto& [k, v] : body.items()) {
        if (k == "reason") {
            if (!v.is_string()) return tl::unexpected(badRequest(k, "reason must be a string"));
            reason = v.get<std::string>();
        } else if (k == "scheduled_at" && !cancel) {
            const auto t = v.is_string() ? parseTimestamp(v.get<std::string>()) : std::nullopt;
            if (!t) return tl::unexpected(badRequest(k, "scheduled_at must be a real UTC time written YYYY-MM-DDTHH:MM:SSZ"));
            moveTo = *t;
        } else {
            return tl::unexpected(badRequest(k, strCat(k, cancel ? " is not an option of a cancellation (reason)"
                                                                 : " is not an option of a reschedule (scheduled_at, reason)")));
        }
    }
    if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
        return tl::unexpected(badRequest("reason", "reason is required: say why the session is changed"));
    }
    if (reason.size() > 4000) return tl::unexpected(badRequest("reason", "reason is longer than 4000 bytes"));
    if (!cancel && !moveTo) return tl::unexpected(badRequest("scheduled_at", "scheduled_at is required (the new start)"));
    return runWrite([&](WriteTx& tx) -> ApiResult {
        Json patch = {{"change_reason", reason}};
        if (cancel) {
            patch["status"] = "cancelled";
        } else {
            patch["scheduled_at"] = formatTimestamp(*moveTo);
        }
        // Who may: the session's own update rule and field guards, checked
        // before anything about its state is said.
        API_TRY_ASSIGN(Json s, changeableRecord(tx, p, Entity::kSession, sessionId, &patch));
        if (s["status"] == "cancelled") {
            return tl::unexpected(conflict("this session is cancelled; schedule a new one"));
        }
        if (s["started_at"].is_string()) return tl::unexpected(conflict("this session has already taken place"));
        // Even a reschedule to the same start is a change the calendars take.
        patch["sequence"] = (s["sequence"].is_number_integer() ? s["sequence"].get<std::int64_t>() : 0) + 1;
        // Authorship of the reason and the audit, as a PATCH would.
        return applyUpdate(tx, p, Entity::kSession, sessionId, patch);
    }, &p, &key, Entity::kSession);
}

ApiResult Handlers::calendarBySecret(std::string_view secret) {
    // One answer for a malformed, unknown, revoked or erased person's
    // secret, and never the secret itself in it.
    const auto unknown = notFound("", "no such calendar");
    if (secret.size() != 64) return tl::unexpected(unknown);
    const std::string hash = tokenHash(secret);
    return runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto owner, lift(tx.calendarFeedOwner(hash)));
        if (!owner) return tl::unexpected(unknown);
        auto text = calendarText(tx, *owner, m_clock.nowUnix());
        if (!text && text.error().status == 404) return tl::unexpected(unknown);
        return text;
    });
}

}  // namespace mxr::server
