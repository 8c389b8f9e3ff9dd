#pragma once
// The handler layer: every operation of the session server as a plain C++
// call taking an authenticated principal and a JSON request, returning JSON
// or an ApiError. The HTTP binding (http_server.h) and the ENet room host
// (through RoomService, rooms.h) call these same functions; neither adds
// rules of its own.
//
// Access (enforced here, never trusted from a client): the rules are
// declared once per entity in the access layer (src/access.cpp, listed in
// server/README.md "Access"); in short:
//  - administrators: people, programs and roles across the organisation;
//  - program managers: the people, records, audit events and exports of the
//    programs they manage; they create people into those programs but do
//    not change another manager's account, password or roles;
//  - mentors and mentees: their mentorships' goals, milestones, sessions and
//    feedback (pair-visible, or written by them);
//  - records a principal may not read answer 404, as if absent; records they
//    may read but not change answer 403; a delete that would take along a
//    record the caller may not read answers 409.
//
// Thread: thread-safe; call from any number of threads at once. The only
// state Handlers keep is a cache of authenticated bearer tokens (below); the
// store, hasher and limiter are thread-safe.
//
// Token cache: authenticate() remembers token hash -> principal and expiry,
// so a request does not open a read transaction just to learn who sent it
// (that was a sixth of the server's CPU per read under load). Any change to
// a person (roles, password, erasure: updatePerson and erasePerson, the only
// writes that touch people or revoke tokens) invalidates every entry before
// it is acknowledged, and expiry is checked on each use; at most
// kTokenCacheEntries are kept.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/core/log.h"
#include "server/auth.h"
#include "server/schema.h"
#include "server/store.h"
#include "server/time_util.h"

namespace mxr::server {

struct Principal {
    std::int64_t personId = 0;
    bool mentor = false;
    bool mentee = false;
    bool manager = false;  // holds the program_manager role (scoped to the programs they manage)
    bool admin = false;    // holds the administrator role (the whole organisation)
    bool server = false;   // the server itself (sessions from room presence; audit actor 0)
    std::string name;      // display name (rooms show it); "" when unknown
    // Changes with every password change, role change and erasure (the
    // store's credentialGeneration): the room host keeps the one a login
    // saw, and tickets and records over ENet are refused once it is stale.
    std::int64_t credentialGeneration = 0;
    std::string tokenHash; // the bearer token this request came with ("" for none): a password
                           // change keeps this session and ends every other one

    // The server acting on its own (room presence): may write what the rules
    // reserve for it; audited as actor 0.
    static Principal serverItself() {
        Principal p;
        p.server = true;
        return p;
    }
};

// Told when a person's password, roles or existence changed (after the
// change has committed, before it is acknowledged), on the thread that made
// it. The session server's RoomService ends the person's ENet connections.
class CredentialsListener {
public:
    virtual ~CredentialsListener() = default;
    // reason: what the person is told, e.g. "your password was changed".
    virtual void credentialsChanged(std::int64_t personId, std::string_view reason) = 0;
};

// status follows HTTP (400, 401, 403, 404, 409, 413, 429, 503, 500) so every
// transport can report it; field names the offending input ("" if none).
struct ApiError {
    int status = 500;
    std::string code;  // invalid_argument, unauthenticated, forbidden, not_found, conflict, rate_limited, unavailable, internal
    std::string field;
    std::string message;
    std::int64_t retryAfter = 0;  // seconds, for 429
    Json toJson() const;
};

using ApiResult = tl::expected<Json, ApiError>;

// An idempotency key with the request it was sent with: a write carrying
// one is applied once per person and key; a retry within
// kIdempotencyKeySeconds answers what the first attempt answered (in the
// same transaction as the write, so a retry can never apply it twice), and
// the same key with a different request answers 422. Empty: no key.
struct WriteKey {
    std::string key;
    std::string request;  // method, path and body as sent
};
inline constexpr std::int64_t kIdempotencyKeySeconds = 24 * 3600;
using Params = std::map<std::string, std::string>;  // query parameters

struct HandlerOptions {
    std::int64_t tokenTtlSeconds = 12 * 3600;
    int attentionDays = 21;          // no held session for this long needs attention
    double ratingDropThreshold = 0.5;  // recent average this far below the earlier one
    std::size_t minPasswordLength = 10;
};

class Handlers {
public:
    Handlers(Store& store, PasswordHasher& hasher, LoginLimiter& limiter, const WallClock& clock,
             HandlerOptions options, Logger logger);

    // {"email", "password"} -> {"token", "expires_at", "person_id"}.
    ApiResult login(const Json& body, const std::string& address);
    // "Bearer <token>" (the Authorization header value) -> who is calling.
    tl::expected<Principal, ApiError> authenticate(std::string_view authorization);
    // Ends the session of the token the principal came with (p.tokenHash):
    // that token answers 401 from the time this returns; the person's other
    // sessions stay. {"logged_out": true}; 400 without a token (ENet).
    ApiResult logout(const Principal& p);
    // The password check of login() (same throttling, same bounded argon2id
    // hashing, same answers) without issuing a token: the room host's login
    // over ENet, which must not wait for a token's group commit.
    tl::expected<Principal, ApiError> verifyPassword(std::string_view email, std::string_view password,
                                                     const std::string& address);
    // The principal of a person id (roles read now); 401 when the person is
    // absent or erased. Used for identities the room host already verified.
    tl::expected<Principal, ApiError> principalOf(std::int64_t personId);

    // CRUD. create/update bodies follow schema.h; a person may also carry
    // "password". remove() on a person erases their personal data. A
    // procedure may also carry "steps" (procedure_step bodies without
    // procedure_id; position defaults to the step's place): the procedure and
    // all its steps are created in one transaction or not at all, and the
    // answer is the procedure with "steps" (the created steps, in order).
    ApiResult create(const Principal& p, Entity entity, const Json& body, const WriteKey& key = {});
    ApiResult get(const Principal& p, Entity entity, std::int64_t id);
    ApiResult list(const Principal& p, Entity entity, const Params& params);
    ApiResult update(const Principal& p, Entity entity, std::int64_t id, const Json& body, const WriteKey& key = {});
    ApiResult remove(const Principal& p, Entity entity, std::int64_t id, const WriteKey& key = {});
    // The same operations inside a write transaction the caller already
    // holds (the room service writes a session and its own bookkeeping in
    // one transaction); access, validation and audit are the same.
    ApiResult createIn(WriteTx& tx, const Principal& p, Entity entity, const Json& body);
    ApiResult updateIn(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const Json& body);

    // Program managers: everything in their programs. format "json" gives an
    // object, "csv" a JSON string holding the CSV text.
    ApiResult exportData(const Principal& p, const Params& params);
    // Program managers of that program: mentorships that need attention.
    ApiResult attention(const Principal& p, std::int64_t programId, const Params& params);
    // The program's managers and administrators: what the web app's
    // dashboard aggregates, in one read and without free text: mentorships
    // (id, status, kind, created_at, mentors, mentees), goals (mentorship_id,
    // status), sessions (id, mentorship_id, scheduled_at, started_at),
    // feedback (session_id, the four ratings, created_at) and the pairs'
    // names (people: id, name, erased_at; web/README.md, "Dashboard").
    ApiResult dashboard(const Principal& p, std::int64_t programId);
    // Program managers: the audit log, oldest first (?after=ID&limit=N).
    ApiResult auditLog(const Principal& p, const Params& params);
    // Administrators: a consistent copy of the database, written on the
    // server (Store::backup); answers {"file": path, "bytes": size}.
    ApiResult backup(const Principal& p);
    ApiResult health();

    // Matching (issue 18, src/matching_api.cpp; server/README.md "Matching").
    // The program's managers and administrators: score the program's pool
    // and propose the whole assignment as a new batch of pending
    // match_proposal records (body: keep_existing, default true: people in
    // the program's current mentorships stay as they are and count against
    // their mentors' capacity; week_of "YYYY-MM-DD": the week whose time-zone
    // rules place availability, default this week). Answers the pairs with
    // their explanations, the unmatched mentees and the fit distribution.
    ApiResult proposeMatches(const Principal& p, std::int64_t programId, const Json& body, const WriteKey& key = {});
    // A batch (?batch=N, default the latest) with each pair's explanation
    // computed from the profiles as they are now.
    ApiResult readProposal(const Principal& p, std::int64_t programId, const Params& params);
    // decision "approved" (creates the mentorship, or adds the mentee to
    // the mentor's group mentorship of the same batch) or "rejected", with
    // an optional decision_reason. Once decided, a pair stays decided (409).
    ApiResult decideProposal(const Principal& p, std::int64_t id, const Json& body, const WriteKey& key = {});
    // Scheduling (issue 18, src/scheduling_api.cpp). Who may read the
    // mentorship: start times in a week (?week_of, ?minutes=60, ?count=5)
    // when every member is available, across their time zones.
    ApiResult meetingTimes(const Principal& p, std::int64_t mentorshipId, const Params& params);
    // Its members (the session create rule): sessions for each occurrence
    // of an RFC 5545 series in the coming year (at most 52), body {start
    // "YYYY-MM-DDTHH:MM" local, time_zone, rrule, exceptions, agenda};
    // answers the sessions and their conflicts with the members' others.
    ApiResult scheduleSeries(const Principal& p, std::int64_t mentorshipId, const Json& body, const WriteKey& key = {});
    // The person (and administrators): their sessions as iCalendar text (a
    // JSON string holding it, as the CSV export).
    ApiResult calendarFeed(const Principal& p, std::int64_t personId);
    // The person (and administrators): a new secret feed URL's path
    // ("/api/v1/calendar/<64 hex>.ics", answered once: only its hash is
    // kept), replacing the one before; and revoking it. The feed answers
    // GET without a token (calendarBySecret); an unknown, revoked or erased
    // person's secret is 404 "no such calendar", whichever it is.
    ApiResult createCalendarFeed(const Principal& p, std::int64_t personId);
    ApiResult revokeCalendarFeed(const Principal& p, std::int64_t personId, const WriteKey& key = {});
    ApiResult calendarBySecret(std::string_view secret);
    // Who may change the session (its update rule): cancel it ({reason},
    // status "cancelled") or move it ({scheduled_at, reason}); either
    // records the reason as change_reason and bumps the session's
    // iCalendar sequence. 409 for a cancelled session or one that started.
    ApiResult changeSession(const Principal& p, std::int64_t sessionId, const Json& body, bool cancel,
                            const WriteKey& key = {});

    // First start: when no program manager exists, creates one from
    // "EMAIL:PASSWORD" (returns ""), or admin@localhost with a random
    // password that is returned to be printed once. Returns nullopt when a
    // program manager already exists (nothing is created).
    Result<std::optional<std::string>> bootstrapAdmin(const std::string& emailColonPassword);

    // Who to tell about credential changes (null: nobody). Set it before
    // serving; the listener must outlive the calls that reach it.
    void setCredentialsListener(CredentialsListener* listener) { m_credentialsListener = listener; }

private:
    // Tells the listener, if any, that `personId`'s credentials changed.
    void credentialsChanged(std::int64_t personId, std::string_view reason);
    ApiResult createPerson(const Principal& p, Json body, const WriteKey& key);
    ApiResult updatePerson(const Principal& p, std::int64_t id, Json body, const WriteKey& key);
    ApiResult erasePerson(const Principal& p, std::int64_t id, const WriteKey& key);
    // Validated fields of a create, or why not (no store access).
    tl::expected<Json, ApiError> prepareCreate(const Principal& p, Entity entity, const Json& body);
    // followGoals false: the caller refreshes the goals a procedure change
    // moves itself, once (a procedure created with its steps).
    ApiResult insertChecked(WriteTx& tx, const Principal& p, Entity entity, const Json& fields, bool followGoals = true);
    ApiResult createProcedureWithSteps(const Principal& p, const Json& body, const WriteKey& key);
    ApiResult applyUpdate(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const Json& patch);
    // With a key: answers a stored earlier answer, or runs fn and stores
    // its answer, in the same transaction.
    // A record answer is stored as its id and answered as the record now
    // stands (so no personal data sits in the key store, and an erasure
    // reaches replays too).
    ApiResult runWrite(const std::function<ApiResult(WriteTx&)>& fn, const Principal* p = nullptr,
                       const WriteKey* key = nullptr, std::optional<Entity> recordOf = std::nullopt);
    ApiResult runRead(const std::function<ApiResult(ReadTx&)>& fn);

    struct CachedPrincipal {
        Principal principal;
        std::int64_t expiresAt = 0;    // unix seconds, the token's
        std::uint64_t generation = 0;  // m_peopleGeneration when read
    };
    static constexpr std::size_t kTokenCacheEntries = 4096;
    // Every cached principal read before this is stale; a write to a person
    // holds one of these, so the cache is invalidated once it has committed
    // (or failed) and before it is acknowledged.
    void peopleChanged() { m_peopleGeneration.fetch_add(1); }
    struct PeopleChange {
        Handlers& handlers;
        ~PeopleChange() { handlers.peopleChanged(); }
    };

    Store& m_store;
    PasswordHasher& m_hasher;
    LoginLimiter& m_limiter;
    const WallClock& m_clock;
    HandlerOptions m_options;
    Logger m_log;
    std::atomic<std::uint64_t> m_peopleGeneration{0};
    std::atomic<CredentialsListener*> m_credentialsListener{nullptr};
    std::mutex m_tokenCacheMutex;
    std::unordered_map<std::string, CachedPrincipal> m_tokenCache;  // by token hash
};

}  // namespace mxr::server
