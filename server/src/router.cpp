#include "server/router.h"

#include <algorithm>
#include <charconv>

#include "access.h"
#include "handler_helpers.h"
#include "server/rooms.h"

namespace mxr::server {
namespace {

// What records over ENet allows: the room's everyday work (progress, notes,
// feedback, reading the pair's records; in job shadowing, authoring
// procedures and recording completed steps), not administration.
bool allowedOverEnet(const std::string& method, Entity e, bool hasId) {
    const bool procedureWork = e == Entity::kProcedure || e == Entity::kProcedureStep;
    if (method == "GET") {
        return e == Entity::kMentorship || e == Entity::kGoal || e == Entity::kMilestone || e == Entity::kSession ||
               e == Entity::kFeedback || procedureWork || e == Entity::kStepCompletion;
    }
    if (method == "PATCH") {
        return hasId && (e == Entity::kGoal || e == Entity::kMilestone || e == Entity::kSession ||
                         e == Entity::kFeedback || procedureWork);
    }
    if (method == "POST") {
        return !hasId && (e == Entity::kGoal || e == Entity::kMilestone || e == Entity::kFeedback || procedureWork ||
                          e == Entity::kStepCompletion);
    }
    return false;
}

// Records nest a few levels (a procedure step's annotations: objects holding
// lists of points, about 5); a hostile body
// nested thousands deep is refused before it is parsed, so no handler's
// stack (a request fiber's is 256 KiB, request_fiber.h) is spent on it.
constexpr int kMaxJsonDepth = 32;

// True when arrays and objects in `text` nest deeper than `limit` (brackets
// inside strings do not count).
bool nestsDeeperThan(std::string_view text, int limit) {
    int depth = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

tl::expected<Json, ApiError> parseBody(const std::string& text) {
    if (text.empty()) return tl::unexpected(badRequest("body", "the request needs a JSON body"));
    if (nestsDeeperThan(text, kMaxJsonDepth)) {
        return tl::unexpected(badRequest("body", strCat("the JSON body nests deeper than ", kMaxJsonDepth, " levels")));
    }
    Json body = Json::parse(text, nullptr, false);
    if (body.is_discarded()) {
        // Re-parse with exceptions only to get the position for the message.
        std::string why = "malformed JSON";
        try {
            const Json ignored = Json::parse(text);
            (void)ignored;
        } catch (const Json::parse_error& e) {
            why = strCat("malformed JSON at byte ", e.byte);
        }
        return tl::unexpected(badRequest("body", why));
    }
    if (!body.is_object()) return tl::unexpected(badRequest("body", "the body must be a JSON object"));
    return body;
}

RouterReply fromResult(const ApiResult& r, int okStatus = 200) {
    if (!r) return Router::errorReply(r.error());
    RouterReply out;
    out.status = okStatus;
    out.body = *r;
    return out;
}

// A text answer (CSV, iCalendar) instead of JSON.
RouterReply textReply(std::string text, const char* contentType) {
    RouterReply out;
    out.text = std::move(text);
    out.body = Json();
    out.contentType = contentType;
    return out;
}

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty()) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
        if (path.empty()) out.emplace_back();  // a trailing slash is a malformed path
    }
    return out;
}

}  // namespace

RouterReply Router::errorReply(const ApiError& e) {
    RouterReply out;
    out.status = e.status;
    out.body = e.toJson();
    out.retryAfter = e.status == 429 ? e.retryAfter : 0;
    return out;
}

RouterReply Router::handle(const RouterRequest& request) {
    try {
        return dispatch(request);
    } catch (const std::exception&) {
        // Client input never makes a 500 by design; this is a bug's last guard.
        return errorReply(apiError(500, "internal", "", "internal error; the request was not applied"));
    }
}

RouterReply Router::dispatch(const RouterRequest& req) {
    const auto segs = segments(req.path);
    const std::string& m = req.method;
    const std::string shown = strCat(m, " /api/v1", req.path.substr(0, 80));
    const auto noRoute = [&] { return errorReply(notFound("", strCat("no route ", shown))); };
    const auto notOverEnet = [&] { return errorReply(notFound("", strCat(shown, " is not available over ENet"))); };
    if (segs.empty() || std::any_of(segs.begin(), segs.end(), [](std::string_view s) { return s.empty(); })) {
        return noRoute();
    }
    const bool enet = req.transport == Transport::kEnet;
    const bool writes = m == "POST" || m == "PATCH" || m == "DELETE";
    if (!writes && m != "GET") return errorReply(apiError(405, "method_not_allowed", "", strCat("method ", m, " is not supported")));

    if (segs.size() == 1 && segs[0] == "login") {
        if (enet) return notOverEnet();
        if (m != "POST") return noRoute();
        auto body = parseBody(req.body);
        if (!body) return errorReply(body.error());
        return fromResult(m_handlers.login(*body, req.address));
    }

    // A person's secret calendar feed (issue 18): the secret is the
    // credential, so no token; no answer repeats the path that holds it.
    if (segs.size() == 2 && segs[0] == "calendar") {
        const auto unknown = [] { return errorReply(notFound("", "no such calendar")); };
        if (enet || m != "GET" || segs[1].size() <= 4 || segs[1].substr(segs[1].size() - 4) != ".ics") return unknown();
        auto r = m_handlers.calendarBySecret(segs[1].substr(0, segs[1].size() - 4));
        if (!r) return errorReply(r.error());
        return textReply(r->get<std::string>(), "text/calendar; charset=utf-8");
    }

    // Everything else needs a person.
    Principal p;
    if (req.principal) {
        p = *req.principal;
    } else {
        auto who = m_handlers.authenticate(req.authorization);
        if (!who) return errorReply(who.error());
        p = std::move(*who);
    }
    WriteKey key;
    if (!req.idempotencyKey.empty()) {
        const auto& k = req.idempotencyKey;
        if (!writes) return errorReply(badRequest("idempotency_key", "only writes take an idempotency key"));
        if (k.size() > 128 || !std::all_of(k.begin(), k.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
            return errorReply(badRequest("idempotency_key", "the idempotency key must be 1 to 128 printable ASCII characters"));
        }
        key.key = k;
        key.request = strCat(m, " ", req.path, "\n", req.body);
    }

    const std::string_view first = segs[0];
    if (segs.size() == 1 && first == "logout") {
        if (enet) return notOverEnet();
        if (m != "POST") return noRoute();
        return fromResult(m_handlers.logout(p));
    }
    if (first == "backup") {
        if (enet) return notOverEnet();
        if (segs.size() != 1 || m != "POST") return noRoute();
        return fromResult(m_handlers.backup(p), 201);
    }
    if (first == "export" || first == "audit") {
        if (enet) return notOverEnet();
        if (segs.size() != 1 || m != "GET") return noRoute();
        if (first == "audit") return fromResult(m_handlers.auditLog(p, req.query));
        auto r = m_handlers.exportData(p, req.query);
        if (r && r->is_string()) return textReply(r->get<std::string>(), "text/csv; charset=utf-8");
        return fromResult(r);
    }
    if (first == "rooms") {
        if (enet) return notOverEnet();
        if (!m_rooms) return errorReply(notFound("", "this server hosts no rooms"));
        if (segs.size() == 3 && segs[2] == "ticket" && m == "POST") return fromResult(m_rooms->ticket(p, segs[1]));
        if (segs.size() == 1 && m == "POST") {
            auto body = parseBody(req.body);
            if (!body) return errorReply(body.error());
            return fromResult(m_rooms->createNamedRoom(p, *body), 201);
        }
        return noRoute();
    }
    const auto entity = entityFromPlural(first);
    if (!entity) return errorReply(notFound("", strCat("no resource /api/v1/", std::string(first.substr(0, 40)))));
    if (segs.size() == 3 && *entity == Entity::kProgram && segs[2] == "proposals") {  // matching (issue 18)
        if (enet) return notOverEnet();
        auto id = parsePositive(segs[1]);
        if (!id) return errorReply(badRequest("id", strCat("id must be a positive integer, got '", std::string(segs[1].substr(0, 40)), "'")));
        if (m == "GET") return fromResult(m_handlers.readProposal(p, *id, req.query));
        if (m != "POST") return noRoute();
        auto body = req.body.empty() ? tl::expected<Json, ApiError>(Json::object()) : parseBody(req.body);
        if (!body) return errorReply(body.error());
        return fromResult(m_handlers.proposeMatches(p, *id, *body, key), 201);
    }
    // Scheduling (issue 18): meeting times, a recurring series, a person's calendar.
    if (segs.size() == 3 && ((*entity == Entity::kMentorship && (segs[2] == "meeting_times" || segs[2] == "schedule")) ||
                             (*entity == Entity::kPerson && (segs[2] == "calendar.ics" || segs[2] == "calendar_feed")))) {
        if (enet) return notOverEnet();
        auto id = parsePositive(segs[1]);
        if (!id) return errorReply(badRequest("id", strCat("id must be a positive integer, got '", std::string(segs[1].substr(0, 40)), "'")));
        if (segs[2] == "schedule") {
            if (m != "POST") return noRoute();
            auto body = parseBody(req.body);
            if (!body) return errorReply(body.error());
            return fromResult(m_handlers.scheduleSeries(p, *id, *body, key), 201);
        }
        if (segs[2] == "calendar_feed") {
            if (m == "POST") return fromResult(m_handlers.createCalendarFeed(p, *id), 201);
            if (m == "DELETE") return fromResult(m_handlers.revokeCalendarFeed(p, *id, key));
            return noRoute();
        }
        if (m != "GET") return noRoute();
        if (segs[2] == "meeting_times") return fromResult(m_handlers.meetingTimes(p, *id, req.query));
        auto r = m_handlers.calendarFeed(p, *id);
        if (!r) return errorReply(r.error());
        return textReply(r->get<std::string>(), "text/calendar; charset=utf-8");
    }
    if (segs.size() == 3 && *entity == Entity::kSession && (segs[2] == "cancel" || segs[2] == "reschedule")) {
        if (enet) return notOverEnet();
        if (m != "POST") return noRoute();
        auto id = parsePositive(segs[1]);
        if (!id) return errorReply(badRequest("id", strCat("id must be a positive integer, got '", std::string(segs[1].substr(0, 40)), "'")));
        auto body = parseBody(req.body);
        if (!body) return errorReply(body.error());
        return fromResult(m_handlers.changeSession(p, *id, *body, segs[2] == "cancel", key));
    }
    if (*entity == Entity::kMatchProposal && m == "POST" && segs.size() == 1) {
        return errorReply(apiError(405, "method_not_allowed", "",
                                   "match proposals are made by POST /api/v1/programs/{id}/proposals"));
    }
    if (segs.size() == 3 && *entity == Entity::kProgram && (segs[2] == "attention" || segs[2] == "dashboard")) {
        if (enet) return notOverEnet();
        if (m != "GET") return noRoute();
        auto id = parsePositive(segs[1]);
        if (!id) return errorReply(badRequest("id", strCat("id must be a positive integer, got '", std::string(segs[1].substr(0, 40)), "'")));
        if (segs[2] == "dashboard") return fromResult(m_handlers.dashboard(p, *id));  // web app (issue 17)
        return fromResult(m_handlers.attention(p, *id, req.query));
    }
    if (segs.size() > 2) return noRoute();
    const bool hasId = segs.size() == 2;
    if (enet && !allowedOverEnet(m, *entity, hasId)) return notOverEnet();
    std::int64_t id = 0;
    if (hasId) {
        auto parsed = parsePositive(segs[1]);
        if (!parsed) {
            return errorReply(badRequest("id", strCat("id must be a positive integer, got '",
                                                      std::string(segs[1].substr(0, 40)), "'")));
        }
        id = *parsed;
    }
    Json body;
    if (m == "POST" || m == "PATCH") {
        auto parsed = parseBody(req.body);
        if (!parsed) return errorReply(parsed.error());
        body = std::move(*parsed);
    }
    if (m == "GET") return fromResult(hasId ? m_handlers.get(p, *entity, id) : m_handlers.list(p, *entity, req.query));
    if (m == "POST") {
        if (hasId) return noRoute();
        return fromResult(m_handlers.create(p, *entity, body, key), 201);
    }
    if (!hasId) return noRoute();
    if (m == "PATCH") return fromResult(m_handlers.update(p, *entity, id, body, key));
    return fromResult(m_handlers.remove(p, *entity, id, key));
}

}  // namespace mxr::server
