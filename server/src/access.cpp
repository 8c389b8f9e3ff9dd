#include "access.h"

#include <algorithm>

#include "server/rooms.h"

namespace mxr::server {
namespace {

bool containsId(const Json& list, std::int64_t id) {
    if (!list.is_array()) return false;
    return std::any_of(list.begin(), list.end(), [&](const Json& v) { return v.get<std::int64_t>() == id; });
}

bool holdsRole(const Json& person, std::string_view role) {
    const Json& roles = person.contains("roles") ? person["roles"] : Json();
    return roles.is_array() && std::any_of(roles.begin(), roles.end(), [&](const Json& r) { return r == role; });
}

using namespace rel;

// The rules, one declaration per entity and variant. Read them as "who may
// <verb> this record": the relations are defined in access.h. Beyond these:
// the server itself (room presence, actor 0) may do everything; invisible
// records answer 404, visible ones that may not be changed 403; a delete
// that would take along a record the caller may not read answers 409.
constexpr FieldGuard kPersonGuards[] = {
    {"roles", kAdmin},             // administrators are the only ones who grant roles
    {"password", kSelf | kAdmin},  // nobody else sets someone's password
};
constexpr FieldGuard kRoomSessionGuards[] = {
    {"scheduled_at", kManager}, {"started_at", kManager}, {"ended_at", kManager}, {"attendees", kManager}};

constexpr AccessRule kRules[] = {
    // People in mentor and mentee roles: managers of their programs look after them.
    {.entity = Entity::kPerson, .variant = "",
     .read = kSelf | kMember | kManager | kAdmin, .create = kManager | kAdmin,
     .update = kSelf | kManager | kAdmin, .remove = kSelf | kManager | kAdmin, .guards = kPersonGuards,
     .why = "only administrators change roles, and only the person and administrators set a password"},
    // Program managers and administrators: no other manager changes or erases their account.
    {.entity = Entity::kPerson, .variant = "manager",
     .read = kSelf | kMember | kManager | kAdmin, .create = kAdmin,
     .update = kSelf | kAdmin, .remove = kSelf | kAdmin, .guards = kPersonGuards,
     .why = "only administrators change roles, and only the person and administrators set a password"},
    {.entity = Entity::kProgram, .variant = "",
     .read = kMember | kProgramMember | kManager | kAdmin, .create = kManager | kAdmin,
     .update = kManager | kAdmin, .remove = kManager | kAdmin},
    {.entity = Entity::kMentorship, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kManager | kAdmin,
     .update = kManager | kAdmin, .remove = kManager | kAdmin},
    {.entity = Entity::kGoal, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kMember, .update = kMember, .remove = kMember},
    {.entity = Entity::kMilestone, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kMember, .update = kMember, .remove = kMember},
    // Sessions the pair wrote themselves.
    {.entity = Entity::kSession, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kMember, .update = kMember, .remove = kMember},
    // Sessions the server recorded from room presence: the pair writes the
    // agenda and notes; times and attendees are the program managers' (and
    // the server's); only managers delete the record of a meeting.
    {.entity = Entity::kSession, .variant = "room",
     .read = kMember | kManager | kAdmin, .create = 0, .update = kMember | kManager, .remove = kManager,
     .guards = kRoomSessionGuards,
     .why = "the times and attendees of a session recorded from room presence change only by the program's managers"},
    {.entity = Entity::kFeedback, .variant = "pair",
     .read = kAuthor | kMember | kManager | kAdmin, .create = kMember, .update = kAuthor, .remove = kAuthor},
    {.entity = Entity::kFeedback, .variant = "program_manager_only",
     .read = kAuthor | kManager | kAdmin, .create = kMember, .update = kAuthor, .remove = kAuthor},
    // Procedures and their steps are the pair's working material, like goals.
    {.entity = Entity::kProcedure, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kMember, .update = kMember, .remove = kMember},
    {.entity = Entity::kProcedureStep, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kMember, .update = kMember, .remove = kMember},
    // A step completion is a record of what someone did (kAuthor: the person
    // who completed it): only that person corrects its time taken or takes
    // back a mistaken one; the program's managers may remove one.
    {.entity = Entity::kStepCompletion, .variant = "",
     .read = kMember | kManager | kAdmin, .create = kMember, .update = kAuthor, .remove = kAuthor | kManager},
    // Matching proposals (issue 18): the program's managers only. Create is
    // the relation to the program (POST /programs/{id}/proposals runs the
    // matching); update is the decision (approve or reject, matching_api.cpp).
    {.entity = Entity::kMatchProposal, .variant = "",
     .read = kManager | kAdmin, .create = kManager | kAdmin, .update = kManager | kAdmin, .remove = kManager | kAdmin},
};

constexpr bool everyEntityDeclared() {
    for (Entity e : kAllEntities) {
        bool found = false;
        for (const auto& r : kRules) found = found || r.entity == e;
        if (!found) return false;
    }
    return true;
}
static_assert(everyEntityDeclared(), "every entity needs its access rules in kRules (access.cpp)");

std::string_view variantOf(Entity entity, const Json& record) {
    switch (entity) {
        case Entity::kPerson:
            return holdsRole(record, "program_manager") || holdsRole(record, "administrator") ? "manager" : "";
        case Entity::kSession:
            return record.contains("source") && record["source"] == "room" ? "room" : "";
        case Entity::kFeedback:
            return record.contains("visibility") && record["visibility"] == "program_manager_only"
                       ? "program_manager_only"
                       : "pair";
        default: return "";
    }
}

}  // namespace

std::span<const AccessRule> accessRules() { return kRules; }

const AccessRule& ruleFor(Entity entity, const Json& record) {
    const std::string_view variant = variantOf(entity, record);
    for (const auto& r : kRules) {
        if (r.entity == entity && r.variant == variant) return r;
    }
    for (const auto& r : kRules) {
        if (r.entity == entity) return r;
    }
    return kRules[0];  // unreachable: every entity is declared (static_assert above)
}

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
ApiError conflict(std::string message) { return apiError(409, "conflict", "", std::move(message)); }

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
        case Entity::kProcedure: return lift(tx.get(Entity::kMentorship, record["mentorship_id"].get<std::int64_t>()));
        case Entity::kProcedureStep: {
            auto procedure = lift(tx.get(Entity::kProcedure, record["procedure_id"].get<std::int64_t>()));
            if (!procedure || !*procedure) return procedure;
            return owningMentorship(tx, Entity::kProcedure, **procedure);
        }
        case Entity::kStepCompletion: {
            auto step = lift(tx.get(Entity::kProcedureStep, record["step_id"].get<std::int64_t>()));
            if (!step || !*step) return step;
            return owningMentorship(tx, Entity::kProcedureStep, **step);
        }
        default: return std::optional<Json>();
    }
}

tl::expected<std::int64_t, ApiError> owningProgram(ReadTx& tx, Entity entity, const Json& record) {
    if (entity == Entity::kPerson) return 0;
    if (entity == Entity::kProgram) return record["id"].get<std::int64_t>();
    if (entity == Entity::kMatchProposal) return record["program_id"].get<std::int64_t>();
    API_TRY_ASSIGN(auto m, owningMentorship(tx, entity, record));
    return m ? (*m)["program_id"].get<std::int64_t>() : 0;
}

tl::expected<bool, ApiError> managesProgram(ReadTx& tx, const Principal& p, std::int64_t programId) {
    if (!p.manager) return false;
    auto program = lift(tx.get(Entity::kProgram, programId));
    if (!program) return tl::unexpected(program.error());
    return *program && containsId((**program)["managers"], p.personId);
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

tl::expected<std::vector<std::int64_t>, ApiError> programsOf(ReadTx& tx, std::int64_t personId) {
    std::vector<std::int64_t> ids;
    for (const char* field : {"members", "managers"}) {
        API_TRY_ASSIGN(auto programs, lift(tx.list(Entity::kProgram, ListQuery{field, personId, 0, 1000})));
        for (const auto& p : programs) ids.push_back(p["id"].get<std::int64_t>());
    }
    API_TRY_ASSIGN(auto mentorships, mentorshipsOf(tx, personId));
    for (const auto& m : mentorships) ids.push_back(m["program_id"].get<std::int64_t>());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

tl::expected<RelSet, ApiError> relationsTo(ReadTx& tx, const Principal& p, Entity entity, const Json& record,
                                           RelSet wanted) {
    RelSet out = p.admin ? kAdmin : 0;
    if (out & wanted) return out;
    switch (entity) {
        case Entity::kPerson: {
            const std::int64_t id = record["id"].get<std::int64_t>();
            if (p.personId == id) out |= kSelf;
            if (out & wanted) return out;
            if (wanted & kMember) {
                API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
                if (std::any_of(mine.begin(), mine.end(), [&](const Json& m) {
                        return containsId(m["mentors"], id) || containsId(m["mentees"], id);
                    })) {
                    return out | kMember;
                }
            }
            if (!(wanted & (kManager | kProgramMember))) return out;
            API_TRY_ASSIGN(auto theirs, programsOf(tx, id));
            if ((wanted & kManager) && p.manager) {
                for (auto prog : theirs) {
                    API_TRY_ASSIGN(bool manages, managesProgram(tx, p, prog));
                    if (manages) return out | kManager;
                }
            }
            if (wanted & kProgramMember) {
                API_TRY_ASSIGN(auto mine, programsOf(tx, p.personId));
                for (auto prog : theirs) {
                    if (std::binary_search(mine.begin(), mine.end(), prog)) return out | kProgramMember;
                }
            }
            return out;
        }
        case Entity::kProgram: {
            if (p.manager && containsId(record["managers"], p.personId)) out |= kManager;
            if ((out & wanted) || !(wanted & (kMember | kProgramMember))) return out;
            if (containsId(record["members"], p.personId)) return out | kMember | kProgramMember;
            API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
            if (std::any_of(mine.begin(), mine.end(), [&](const Json& m) { return m["program_id"] == record["id"]; })) {
                out |= kMember | kProgramMember;
            }
            return out;
        }
        case Entity::kMatchProposal: {
            if (wanted & kManager) {
                API_TRY_ASSIGN(bool manages, managesProgram(tx, p, record["program_id"].get<std::int64_t>()));
                if (manages) out |= kManager;
            }
            return out;
        }
        default: break;
    }
    API_TRY_ASSIGN(auto m, owningMentorship(tx, entity, record));
    if (!m) return out;
    if (entity == Entity::kFeedback && record["author_id"].get<std::int64_t>() == p.personId) out |= kAuthor;
    if (entity == Entity::kStepCompletion && record.contains("person_id") &&
        record["person_id"].get<std::int64_t>() == p.personId) {
        out |= kAuthor;
    }
    if (containsId((*m)["mentors"], p.personId) || containsId((*m)["mentees"], p.personId)) out |= kMember;
    if (out & wanted) return out;
    const std::int64_t programId = (*m)["program_id"].get<std::int64_t>();
    if (wanted & kManager) {
        API_TRY_ASSIGN(bool manages, managesProgram(tx, p, programId));
        if (manages) return out | kManager;
    }
    if ((wanted & kProgramMember) && !(out & kMember)) {
        API_TRY_ASSIGN(auto mine, programsOf(tx, p.personId));
        if (std::binary_search(mine.begin(), mine.end(), programId)) out |= kProgramMember;
    }
    return out;
}

namespace {
tl::expected<bool, ApiError> allowed(ReadTx& tx, const Principal& p, Entity entity, const Json& record,
                                     RelSet who) {
    if (p.server) return true;
    if (who == 0) return false;
    API_TRY_ASSIGN(RelSet r, relationsTo(tx, p, entity, record, who));
    return (r & who) != 0;
}
}  // namespace

tl::expected<bool, ApiError> canRead(ReadTx& tx, const Principal& p, Entity entity, const Json& record) {
    return allowed(tx, p, entity, record, ruleFor(entity, record).read);
}

tl::expected<bool, ApiError> canUpdate(ReadTx& tx, const Principal& p, Entity entity, const Json& record) {
    return allowed(tx, p, entity, record, ruleFor(entity, record).update);
}

tl::expected<bool, ApiError> canRemove(ReadTx& tx, const Principal& p, Entity entity, const Json& record) {
    return allowed(tx, p, entity, record, ruleFor(entity, record).remove);
}

tl::expected<const FieldGuard*, ApiError> trippedGuard(ReadTx& tx, const Principal& p, Entity entity,
                                                       const Json& record, const Json& patch) {
    for (const auto& g : ruleFor(entity, record).guards) {
        if (!patch.contains(g.field)) continue;
        API_TRY_ASSIGN(bool ok, allowed(tx, p, entity, record, g.who));
        if (!ok) return &g;
    }
    return nullptr;
}

namespace {
constexpr ActionRule kActions[] = {
    // The same as creating a session by hand: a series is the pair's plan.
    {.action = Action::kScheduleSeries, .endpoint = "POST /mentorships/{id}/schedule", .entity = Entity::kMentorship,
     .who = kMember},
    // A person's calendar lists every session of every pair they are in, so
    // it is theirs alone (and an administrator's, who looks after accounts):
    // a pair partner or a manager who may read the person still sees no
    // calendar, and the feed's secret is never handed to them.
    {.action = Action::kCalendar, .endpoint = "GET /people/{id}/calendar.ics, POST|DELETE /people/{id}/calendar_feed",
     .entity = Entity::kPerson, .who = kSelf | kAdmin, .hidden = true},
};
}  // namespace

std::span<const ActionRule> actionRules() { return kActions; }

tl::expected<void, ApiError> checkAction(ReadTx& tx, const Principal& p, Action action, const Json& record,
                                         const ApiError& missing) {
    const auto* rule = std::find_if(std::begin(kActions), std::end(kActions),
                                    [&](const ActionRule& r) { return r.action == action; });
    API_TRY_ASSIGN(bool ok, allowed(tx, p, rule->entity, record, rule->who));
    if (ok) return {};
    if (rule->hidden) return tl::unexpected(missing);
    API_TRY_ASSIGN(bool readable, canRead(tx, p, rule->entity, record));
    if (!readable) return tl::unexpected(missing);
    return tl::unexpected(
        forbidden(strCat("you may read this ", spec(rule->entity).name, " but not use ", rule->endpoint)));
}

bool canBackUp(const Principal& p) { return p.admin; }

tl::expected<bool, ApiError> canModerateRoom(ReadTx& tx, const Principal& p, std::string_view room) {
    if (p.admin) return true;
    if (auto id = mentorshipOfRoom(room)) {
        API_TRY_ASSIGN(auto m, lift(tx.get(Entity::kMentorship, *id)));
        if (!m) return false;
        if (containsId((*m)["mentors"], p.personId)) return true;
        return managesProgram(tx, p, (*m)["program_id"].get<std::int64_t>());
    }
    if (room == kDemoRoom) return false;  // the open demo room: administrators only
    API_TRY_ASSIGN(auto named, lift(tx.namedRoom(std::string(room))));
    return named && named->ownerId == p.personId;
}

}  // namespace mxr::server
