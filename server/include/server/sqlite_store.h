#pragma once
// The embedded SQLite implementation of Store (store.h).
//
// One database file, WAL mode, foreign keys on. Numbered migrations
// (schema_migrations table) run in open(). One writer thread owns the write
// connection and groups queued writes into one transaction per commit; a
// syncer thread fsyncs the WAL after each commit and only then acknowledges
// its writes, while the writer runs the next group (pipelined group commit;
// the writer connection is synchronous=NORMAL, every other FULL). Readers
// borrow a connection from a pool (one per concurrent reader), so WAL lets
// them read while the writer commits; they may see a commit up to one WAL
// fsync (a few ms) before it is acknowledged. A failed WAL fsync fails its
// writes and every later one (kIo) until the store is reopened.
#include <cstddef>
#include <memory>
#include <string>

#include "engine/core/log.h"
#include "engine/core/result.h"
#include "server/store.h"
#include "server/time_util.h"

namespace mxr::server {

// The VFS the server's store opens its database through unless told
// otherwise: SQLite's "unix-excl". The process takes the database file's
// lock once, for as long as it has the file open, and keeps the WAL index
// in its own memory instead of a shared -shm file; its connections
// coordinate in memory, without a lock system call per transaction. Another
// process cannot open the database meanwhile: a second server on the same
// folder is refused, and backups go through Store::backup (server/README.md
// "Storage").
inline constexpr const char* kSqliteExclusiveVfs = "unix-excl";

struct SqliteStoreOptions {
    std::string path;            // database file; created when absent
    std::string vfs;             // "" = kSqliteExclusiveVfs (tests pass a counting shim over SQLite's default);
                                 // the store puts its WAL write buffer over it (src/sqlite_wal_buffer.h)
    std::size_t maxBatch = 1024; // most writes in one group commit
    std::size_t maxQueue = 16384;// writes waiting beyond this fail with kLimit
    int migrateTo = 0;           // tests of migrations only: stop at this version (0: the latest)
    int walRestartFrames = 0;    // WAL frames past which the writer starts the WAL over (0: 16,000, about
                                 // 66 MB; a test lowers it to see many restarts in a short run)
};

// Opens (creating and migrating) the database and starts the writer thread.
// The WallClock stamps created_at/updated_at and must outlive the store.
Result<std::unique_ptr<Store>> openSqliteStore(const SqliteStoreOptions& options, const WallClock& clock,
                                               Logger logger);

// The schema version open() migrates to.
int sqliteSchemaVersion();

}  // namespace mxr::server
