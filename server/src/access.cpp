#include "access.h"

#include <algorithm>

namespace mxr::server {
namespace {

bool containsId(const Json& list, std::int64_t id) {
    if (!list.is_array()) return false;
    return std::any_of(list.begin(), list.end(), [&](const Json& v) { return v.get<std::int64_t>() == id; });
}

}  // namespace

ApiError apiError(int status, std::string code, std::string field, std::string message) {
    return ApiError{status, std::move(code), std::move(field), std::move(message), 0};
}
ApiError badRequest(std::string field, std::string message) {
    return apiError(400, "invalid_argument", std::move(field), std::move(message));
}
ApiError notFound(std::string field, std::string message) {
    return apiError(404, "not_found", std::move(field), std::move(message));
}
ApiError forbidden(std::string message) { return apiError(403, "forbidden", "", std::move(message)); }

ApiError fromStoreError(const Error& e) {
    switch (e.code) {
        case ErrorCode::kConflict: return apiError(409, "conflict", "", e.message);
        case ErrorCode::kInvalidArgument: return badRequest("", e.message);
        case ErrorCode::kNotFound: return notFound("", e.message);
        case ErrorCode::kLimit: return apiError(503, "unavailable", "", e.message);
        case ErrorCode::kUnavailable: return apiError(503, "unavailable", "", e.message);
        default: return apiError(500, "internal", "", "internal error; the request was not applied");
    }
}

Json ApiError::toJson() const {
    Json e = {{"code", code}, {"message", message}};
    if (!field.empty()) e["field"] = field;
    return Json{{"error", std::move(e)}};
}

tl::expected<std::optional<Json>, ApiError> owningMentorship(ReadTx& tx, Entity entity, const Json& record) {
    switch (entity) {
        case Entity::kMentorship: return std::optional<Json>(record);
        case Entity::kGoal:
        case Entity::kSession: return lift(tx.get(Entity::kMentorship, record["mentorship_id"].get<std::int64_t>()));
        case Entity::kMilestone: {
            auto goal = lift(tx.get(Entity::kGoal, record["goal_id"].get<std::int64_t>()));
            if (!goal || !*goal) return goal;
            return owningMentorship(tx, Entity::kGoal, **goal);
        }
        case Entity::kFeedback: {
            auto session = lift(tx.get(Entity::kSession, record["session_id"].get<std::int64_t>()));
            if (!session || !*session) return session;
            return owningMentorship(tx, Entity::kSession, **session);
        }
        default: return std::optional<Json>();
    }
}

tl::expected<bool, ApiError> managesProgram(ReadTx& tx, const Principal& p, std::int64_t programId) {
    if (!p.manager) return false;
    auto program = lift(tx.get(Entity::kProgram, programId));
    if (!program) return tl::unexpected(program.error());
    return *program && containsId((**program)["managers"], p.personId);
}

tl::expected<Relation, ApiError> relationTo(ReadTx& tx, const Principal& p, const Json& mentorship) {
    Relation r;
    r.member = containsId(mentorship["mentors"], p.personId) || containsId(mentorship["mentees"], p.personId);
    auto m = managesProgram(tx, p, mentorship["program_id"].get<std::int64_t>());
    if (!m) return tl::unexpected(m.error());
    r.manager = *m;
    return r;
}

tl::expected<std::vector<Json>, ApiError> mentorshipsOf(ReadTx& tx, std::int64_t personId) {
    std::vector<Json> out;
    for (const char* field : {"mentors", "mentees"}) {
        std::int64_t after = 0;
        for (;;) {
            auto page = lift(tx.list(Entity::kMentorship, ListQuery{field, personId, after, 1000}));
            if (!page) return tl::unexpected(page.error());
            for (auto& m : *page) out.push_back(std::move(m));
            if (page->size() < 1000) break;
            after = out.back()["id"].get<std::int64_t>();
        }
    }
    std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
    return out;
}

tl::expected<bool, ApiError> sharesMentorship(ReadTx& tx, std::int64_t a, std::int64_t b) {
    auto mine = mentorshipsOf(tx, a);
    if (!mine) return tl::unexpected(mine.error());
    return std::any_of(mine->begin(), mine->end(), [&](const Json& m) {
        return containsId(m["mentors"], b) || containsId(m["mentees"], b);
    });
}

tl::expected<bool, ApiError> canRead(ReadTx& tx, const Principal& p, Entity entity, const Json& record) {
    const std::int64_t id = record["id"].get<std::int64_t>();
    switch (entity) {
        case Entity::kPerson:
            if (p.personId == id || p.manager) return true;
            return sharesMentorship(tx, p.personId, id);
        case Entity::kProgram: {
            if (p.manager && containsId(record["managers"], p.personId)) return true;
            auto mine = mentorshipsOf(tx, p.personId);
            if (!mine) return tl::unexpected(mine.error());
            return std::any_of(mine->begin(), mine->end(), [&](const Json& m) { return m["program_id"] == id; });
        }
        default: break;
    }
    auto m = owningMentorship(tx, entity, record);
    if (!m) return tl::unexpected(m.error());
    if (!*m) return false;
    auto rel = relationTo(tx, p, **m);
    if (!rel) return tl::unexpected(rel.error());
    if (entity == Entity::kFeedback) {
        if (record["author_id"].get<std::int64_t>() == p.personId || rel->manager) return true;
        return rel->member && record["visibility"] == "pair";
    }
    return rel->member || rel->manager;
}

tl::expected<bool, ApiError> canWrite(ReadTx& tx, const Principal& p, Entity entity, const Json& record) {
    const std::int64_t id = record["id"].get<std::int64_t>();
    switch (entity) {
        case Entity::kPerson: return p.personId == id || p.manager;
        case Entity::kProgram: return p.manager && containsId(record["managers"], p.personId);
        case Entity::kFeedback: return record["author_id"].get<std::int64_t>() == p.personId;
        default: break;
    }
    auto m = owningMentorship(tx, entity, record);
    if (!m) return tl::unexpected(m.error());
    if (!*m) return false;
    auto rel = relationTo(tx, p, **m);
    if (!rel) return tl::unexpected(rel.error());
    // The pair owns its goals, milestones and sessions; the program manager
    // owns the mentorship itself.
    return entity == Entity::kMentorship ? rel->manager : rel->member;
}

}  // namespace mxr::server
