#pragma once
// Who may do what to which record: the access layer. Every transport
// reaches it through the router (router.h) and Handlers; nothing else
// decides access.
//
// The rules are declared once per entity (and per variant where one
// entity has two kinds of record, e.g. feedback visible to the pair or to
// the program managers only) in accessRules(): for each verb the
// relations between the caller and the record that allow it. The
// authorization matrix test is generated from the same declarations, and a
// new entity without one fails to build (static_assert in access.cpp).
//
// Functions run inside a store transaction so checks and writes see the
// same data. Private to server/.
#include <span>

#include "server/handlers.h"

namespace mxr::server {

ApiError apiError(int status, std::string code, std::string field, std::string message);
ApiError badRequest(std::string field, std::string message);
ApiError notFound(std::string field, std::string message);
ApiError forbidden(std::string message);
ApiError conflict(std::string message);
// Maps a store error that no handler rule produced to an ApiError.
ApiError fromStoreError(const Error& e);

// A store Result as an API result (store failures become fromStoreError).
template <typename T>
tl::expected<T, ApiError> lift(Result<T> r) {
    if (!r) return tl::unexpected(fromStoreError(r.error()));
    return std::move(*r);
}

// As MXR_TRY_ASSIGN, for functions returning tl::expected<_, ApiError>.
#define API_TRY_ASSIGN(lhs, expr) API_TRY_ASSIGN_IMPL_(MXR_TRY_CAT_(api_tmp_, __LINE__), lhs, expr)
#define API_TRY_ASSIGN_IMPL_(tmp, lhs, expr)                  \
    auto tmp = (expr);                                        \
    if (!tmp) return tl::unexpected(std::move(tmp).error()); \
    lhs = std::move(*tmp)

// How the caller stands to a record. A person record: kSelf (it is the
// caller), kMember (they share a mentorship), kManager (the caller manages
// a program the person belongs to), kProgramMember (both belong to one
// program). A program: kMember (the caller belongs to it), kManager. A
// mentorship and what hangs under it: kMember (mentor or mentee of that
// mentorship), kProgramMember (belongs to its program otherwise), kManager
// (of its program), kAuthor (feedback they wrote, a step completion
// that is theirs). kAdmin: the caller is an
// organisation administrator, whatever the record.
using RelSet = std::uint16_t;
namespace rel {
inline constexpr RelSet kSelf = 1 << 0;
inline constexpr RelSet kAuthor = 1 << 1;
inline constexpr RelSet kMember = 1 << 2;
inline constexpr RelSet kProgramMember = 1 << 3;
inline constexpr RelSet kManager = 1 << 4;
inline constexpr RelSet kAdmin = 1 << 5;
}  // namespace rel

// Fields whose change needs more than the update rule.
struct FieldGuard {
    std::string_view field;
    RelSet who = 0;
};

struct AccessRule {
    Entity entity;
    std::string_view variant;  // "" when the entity has one kind of record
    RelSet read = 0;
    RelSet create = 0;  // relation to the parent (the program for people and mentorships; the
                        // mentorship for goals, milestones, sessions, feedback); programs: roles
    RelSet update = 0;
    RelSet remove = 0;
    std::span<const FieldGuard> guards{};
    std::string_view why;  // said when a guard refuses
};

// Every declaration, one per entity and variant.
std::span<const AccessRule> accessRules();
// The declaration that governs this record (its variant read from it).
const AccessRule& ruleFor(Entity entity, const Json& record);

// The mentorship a goal, milestone, session, feedback or procedure record
// belongs to (the
// mentorship itself for kMentorship); nullopt for people and programs.
tl::expected<std::optional<Json>, ApiError> owningMentorship(ReadTx& tx, Entity entity, const Json& record);
// The program a record belongs to (0 for people and absent parents).
tl::expected<std::int64_t, ApiError> owningProgram(ReadTx& tx, Entity entity, const Json& record);
// The relations among `wanted` that hold between p and the record (stops
// computing once one is found: callers ask "any of these?").
tl::expected<RelSet, ApiError> relationsTo(ReadTx& tx, const Principal& p, Entity entity, const Json& record,
                                           RelSet wanted);
tl::expected<bool, ApiError> managesProgram(ReadTx& tx, const Principal& p, std::int64_t programId);
// Mentorships where the person is a mentor or mentee, ordered by id.
tl::expected<std::vector<Json>, ApiError> mentorshipsOf(ReadTx& tx, std::int64_t personId);
// Programs the person belongs to (member, manager, or in one of its mentorships), ordered.
tl::expected<std::vector<std::int64_t>, ApiError> programsOf(ReadTx& tx, std::int64_t personId);

tl::expected<bool, ApiError> canRead(ReadTx& tx, const Principal& p, Entity entity, const Json& record);
// May p update (a patch with these fields) or delete the record (given that it can read it)?
tl::expected<bool, ApiError> canUpdate(ReadTx& tx, const Principal& p, Entity entity, const Json& record);
tl::expected<bool, ApiError> canRemove(ReadTx& tx, const Principal& p, Entity entity, const Json& record);
// The guard the patch trips, if any (nullptr when p may set every field).
tl::expected<const FieldGuard*, ApiError> trippedGuard(ReadTx& tx, const Principal& p, Entity entity,
                                                       const Json& record, const Json& patch);

// Endpoints that are not a record verb (issue 18), declared like the
// rules: who may do them, as relations to the record the path names. The
// authorization matrix test has a row for each (authz_test.cpp).
// Cancel and reschedule are the session's update rule (a PATCH), proposals
// the match_proposal rules; these are the rest.
enum class Action {
    kScheduleSeries,  // POST /mentorships/{id}/schedule: creates the pair's sessions
    kCalendar,        // GET /people/{id}/calendar.ics, POST|DELETE /people/{id}/calendar_feed
};
struct ActionRule {
    Action action;
    std::string_view endpoint;
    Entity entity;
    RelSet who = 0;
    // true: a caller who may not do it is told the thing is absent (404),
    // as with a calendar, which is the person's alone; false: 404 only when
    // the record is unreadable, else 403.
    bool hidden = false;
};
std::span<const ActionRule> actionRules();
// Nothing when p may do the action on the record; else 404 (`missing`) or
// 403 as the rule says.
tl::expected<void, ApiError> checkAction(ReadTx& tx, const Principal& p, Action action, const Json& record,
                                         const ApiError& missing);

// Organisation-wide operations with no record behind them: who may do
// them. A backup copies every record of every program: administrators only.
bool canBackUp(const Principal& p);

// Room moderation (rooms.h): may p mute, remove and lock in `room`?
// mentorship-<id>: its mentors and its program's managers; a named room:
// its owner; every room: administrators.
tl::expected<bool, ApiError> canModerateRoom(ReadTx& tx, const Principal& p, std::string_view room);

}  // namespace mxr::server
