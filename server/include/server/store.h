#pragma once
// The records store: the one place records are read and written.
//
// Contract (any implementation: SQLite now, PostgreSQL later):
//  - write(fn) runs fn inside the store's single writer, in a transaction
//    shared with other concurrent writes (group commit). If fn returns an
//    error, everything fn wrote is rolled back (a savepoint per call) and the
//    error is returned: never a partial write. write() returns only after the
//    group's commit is durable on disk (SQLite: the WAL fsynced after the
//    COMMIT, by the store's syncer thread); a returned value is an
//    acknowledged record. Readers may see a commit a few milliseconds before
//    that fsync (sqlite_store.h).
//  - read(fn) runs fn against a consistent snapshot of committed data.
//  - Records travel as JSON objects shaped by the entity descriptors in
//    schema.h: {"id", <fields>..., "created_at", "updated_at"}; hidden fields
//    (password_hash) are only returned by credentials().
//
// Thread: Store is thread-safe; call write()/read() from any thread. The Tx
// objects handed to fn are valid only during that call, on that thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "server/schema.h"

namespace mxr::server {

struct ListQuery {
    std::string field;      // "" = all; a kRef field or a kIdList field ("mentors" contains value)
    std::int64_t value = 0;
    std::int64_t afterId = 0;  // keyset pagination: ids greater than this
    int limit = 100;
};

struct Credentials {
    std::int64_t personId = 0;
    std::string passwordHash;  // "" when the person has no password (or was erased)
    Json roles;
};

struct TokenRecord {
    std::int64_t personId = 0;
    std::int64_t expiresAt = 0;  // Unix seconds
};

// One audit row: who did what to which record, when. `fields` names the
// fields written, never their values, so the log holds no personal data.
struct AuditEvent {
    std::int64_t id = 0;
    std::int64_t at = 0;        // Unix seconds
    std::int64_t actorId = 0;   // 0 = the server itself
    std::string action;         // create, update, delete, erase, bootstrap
    std::string entity;
    std::int64_t entityId = 0;
    std::vector<std::string> fields;
    // The program the record belonged to when it was written (0: none, e.g.
    // people): program managers read the events of their programs only.
    std::int64_t programId = 0;
};

// A session the room service opened from room presence and has not closed:
// seenAt is the last time (Unix seconds) it was known to be in progress.
struct OpenRoomSession {
    std::int64_t sessionId = 0;
    std::int64_t seenAt = 0;
};

class ReadTx {
public:
    virtual ~ReadTx() = default;
    // nullopt when absent (kNotFound is not used for a plain lookup).
    virtual Result<std::optional<Json>> get(Entity entity, std::int64_t id) = 0;
    virtual Result<std::vector<Json>> list(Entity entity, const ListQuery& query) = 0;
    virtual Result<std::optional<Credentials>> credentials(const std::string& email) = 0;
    virtual Result<std::optional<TokenRecord>> token(const std::string& tokenHash) = 0;
    virtual Result<std::vector<AuditEvent>> audit(std::int64_t afterId, int limit) = 0;
    // The authored fields of the record that an erasure blanked (export).
    virtual Result<std::vector<std::string>> erasedFields(Entity entity, std::int64_t id) = 0;
    // Number of people holding the program_manager role who are not erased.
    virtual Result<std::int64_t> countManagers() = 0;
    // Number of people holding the administrator role who are not erased.
    virtual Result<std::int64_t> countAdministrators() = 0;
    // A named room (created through the API; its owner moderates it).
    struct NamedRoom {
        std::int64_t id = 0;
        std::string name;
        std::int64_t ownerId = 0;
        std::string createdAt;
    };
    virtual Result<std::optional<NamedRoom>> namedRoom(const std::string& name) = 0;
    // The person whose calendar feed secret hashes to this (scheduling).
    virtual Result<std::optional<std::int64_t>> calendarFeedOwner(const std::string& secretHash) = 0;
    // The room service's open sessions (a row goes when its session does).
    virtual Result<std::vector<OpenRoomSession>> openRoomSessions() = 0;
    // The person's credential generation (0 for an absent person): it
    // changes with every password change, role change and erasure.
    virtual Result<std::int64_t> credentialGeneration(std::int64_t personId) = 0;
    // Per-program reads (the dashboard, the attention list): every record of
    // `entity` in the program, in a fixed number of queries however many
    // mentorships it has, instead of a list() per parent. Mentorships,
    // goals, milestones, sessions and feedback belong to the program through
    // their mentorship; people are the mentors and mentees of its
    // mentorships. Records are shaped as list() shapes them and ordered as
    // walking the program parent by parent in id order would give them:
    // mentorships by id; goals and sessions by (mentorship, id); milestones
    // by (mentorship, goal, id); feedback by (mentorship, session, id);
    // people by id. kInvalidArgument for programs.
    virtual Result<std::vector<Json>> listInProgram(Entity entity, std::int64_t programId) = 0;
};

class WriteTx : public ReadTx {
public:
    // fields: validated, normalised fields (schema.h); returns the new id.
    // Errors: kConflict (unique email), kInvalidArgument (dangling reference).
    virtual Result<std::int64_t> insert(Entity entity, const Json& fields) = 0;
    // insert(), answering the new record exactly as get() would read it
    // back (the columns as stored, defaults included), without reading it.
    virtual Result<Json> insertRecord(Entity entity, const Json& fields) = 0;
    // Sets only the given fields (null clears); kNotFound when absent.
    virtual Result<void> update(Entity entity, std::int64_t id, const Json& fields) = 0;
    // Removes the record and what hangs under it (a goal's milestones, a
    // session's feedback); kNotFound when absent.
    virtual Result<void> remove(Entity entity, std::int64_t id) = 0;
    virtual Result<void> putToken(const std::string& tokenHash, const TokenRecord& record) = 0;
    virtual Result<void> deleteTokens(std::int64_t personId) = 0;
    // The one token with this hash (logout); the person's other tokens
    // stay. Returns whether there was one.
    virtual Result<bool> deleteToken(const std::string& tokenHash) = 0;
    // The person's calendar feed: set (replacing the one before, so the old
    // secret stops working) or removed (whether there was one).
    virtual Result<void> putCalendarFeed(std::int64_t personId, const std::string& secretHash, std::int64_t nowUnix) = 0;
    virtual Result<bool> deleteCalendarFeed(std::int64_t personId) = 0;
    // Adds one to the person's credential generation (see ReadTx).
    virtual Result<void> bumpCredentialGeneration(std::int64_t personId) = 0;
    // Every token of the person but the one with this hash (their own
    // session survives their password change).
    virtual Result<void> deleteOtherTokens(std::int64_t personId, const std::string& keepHash) = 0;
    // Records that `authorId` was the last to write this authored field.
    virtual Result<void> setTextAuthor(Entity entity, std::int64_t id, std::string_view field,
                                       std::int64_t authorId) = 0;
    // Blanks every authored field whose last writer is the person (NULL, or
    // "" where the field is required), and marks them erased; ratings, ids
    // and dates stay.
    virtual Result<void> eraseAuthoredText(std::int64_t personId) = 0;
    virtual Result<void> appendAudit(const AuditEvent& event) = 0;
    // Idempotency keys (handlers.h WriteKey): the answer stored for the
    // person's key when it was stored after `notBefore` (Unix seconds), and
    // storing one (replacing an older one; the person's keys older than
    // notBefore are swept).
    struct StoredAnswer {
        std::string request;
        Json answer;
    };
    virtual Result<std::optional<StoredAnswer>> findIdempotent(std::int64_t personId, const std::string& key,
                                                                std::int64_t notBefore) = 0;
    virtual Result<void> putIdempotent(std::int64_t personId, const std::string& key, const StoredAnswer& stored,
                                       std::int64_t notBefore) = 0;
    // kConflict when the name is taken.
    virtual Result<std::int64_t> insertNamedRoom(const std::string& name, std::int64_t ownerId) = 0;
    // The room service's bookkeeping of sessions in progress (RoomService):
    // add or replace one, move one's seenAt forward (never back), drop one.
    virtual Result<void> putOpenRoomSession(const OpenRoomSession& open) = 0;
    virtual Result<void> touchOpenRoomSession(const OpenRoomSession& seen) = 0;
    virtual Result<void> removeOpenRoomSession(std::int64_t sessionId) = 0;
};

using WriteFn = std::function<Result<Json>(WriteTx&)>;
using ReadFn = std::function<Result<Json>(ReadTx&)>;

struct StoreStats {
    std::uint64_t writes = 0;   // write() calls committed or rolled back
    std::uint64_t commits = 0;  // group commits
    std::uint64_t syncs = 0;    // WAL fsyncs that acknowledged committed groups (SQLite: the syncer's)
    std::uint64_t pending = 0;  // writes queued, not yet picked up by the writer
    std::uint64_t walRestarts = 0;  // SQLite: times the writer copied the WAL's tail so it starts over
    std::uint64_t walPreparedRestarts = 0;    // SQLite: of those, the ones the checkpointer had prepared
    std::uint64_t walFramesLeftToWriter = 0;  // SQLite: frames those restarts left the writer to copy, in all
};

class Store {
public:
    virtual ~Store() = default;
    virtual Result<Json> write(WriteFn fn) = 0;
    virtual Result<Json> read(ReadFn fn) = 0;
    // Copies the write-ahead log into the database file and truncates it
    // (after an erasure, so erased text is left in neither file; with
    // secure_delete on, freed space in the database is zeroed). kUnavailable
    // when readers kept it from completing.
    virtual Result<void> checkpoint() = 0;
    // "ok" when the database is sound, otherwise the checker's report.
    virtual Result<std::string> integrityCheck() = 0;
    // A consistent copy of the whole database as of one instant, made while
    // the server keeps serving (reads and writes go on beside it), written
    // and fsynced as a new owner-only file in the `backups` folder beside
    // the database. Returns its path. The server holds its database file
    // exclusively while it runs (kSqliteExclusiveVfs), so this is how a
    // running server is backed up.
    virtual Result<std::string> backup() = 0;
    virtual StoreStats stats() const = 0;
};

}  // namespace mxr::server
