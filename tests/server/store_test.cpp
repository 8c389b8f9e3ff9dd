// The SQLite store: records round-trip, migrations, rollback of failed
// writes, durability (ack only after the WAL fsync) and group commit.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "counting_vfs.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

Json personFields(const std::string& name) {
    return *validateFields(Entity::kPerson, Json{{"name", name}, {"email", name + "@example.org"}, {"roles", {"mentor"}}},
                           true);
}

Result<Json> insertPerson(Store& store, const std::string& name) {
    return store.write([&](WriteTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kPerson, personFields(name)));
        return Json(id);
    });
}

TEST(Store, RecordsRoundTripWithListsAndTimestamps) {
    TestEnv env("store");
    auto id = insertPerson(*env.store, "ann");
    ASSERT_TRUE(id) << id.error().describe();
    auto got = env.store->read([&](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rec, tx.get(Entity::kPerson, id->get<std::int64_t>()));
        return rec ? *rec : Json();
    });
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["name"], "ann");
    EXPECT_EQ((*got)["email"], "ann@example.org");
    EXPECT_EQ((*got)["roles"], Json::array({"mentor"}));
    EXPECT_EQ((*got)["created_at"], "2026-03-01T00:00:00Z");
    EXPECT_FALSE(got->contains("password_hash"));

    // A program with an id list, updated, listed by membership.
    auto program = env.store->write([&](WriteTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto pid, tx.insert(Entity::kProgram, Json{{"name", "p"}, {"managers", {id->get<std::int64_t>()}}}));
        env.wall.advance(60);
        MXR_TRY(tx.update(Entity::kProgram, pid, Json{{"description", "d"}}));
        MXR_TRY_ASSIGN(auto rec, tx.get(Entity::kProgram, pid));
        return *rec;
    });
    ASSERT_TRUE(program) << program.error().describe();
    EXPECT_EQ((*program)["managers"], Json::array({id->get<std::int64_t>()}));
    EXPECT_EQ((*program)["description"], "d");
    EXPECT_EQ((*program)["updated_at"], "2026-03-01T00:01:00Z");
    auto listed = env.store->read([&](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kProgram, ListQuery{"managers", id->get<std::int64_t>(), 0, 10}));
        return Json(rows);
    });
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0]["name"], "p");
}

TEST(Store, FailedWriteLeavesNothingBehindAndOthersInTheGroupCommit) {
    TestEnv env("store");
    ASSERT_TRUE(insertPerson(*env.store, "ann"));
    // The second insert collides on the unique email after the first one of
    // the same call succeeded: the whole call must roll back.
    auto failed = env.store->write([&](WriteTx& tx) -> Result<Json> {
        MXR_TRY(tx.insert(Entity::kPerson, personFields("bob")));
        MXR_TRY(tx.insert(Entity::kPerson, personFields("ann")));
        return Json();
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::kConflict);
    auto all = env.store->read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kPerson, ListQuery{}));
        return Json(rows);
    });
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0]["name"], "ann");
}

TEST(Store, ReopenKeepsRecordsAndDoesNotRerunMigrations) {
    TestEnv env("store");
    ASSERT_TRUE(insertPerson(*env.store, "ann"));
    env.openStore();
    ASSERT_TRUE(env.store);
    auto count = env.store->read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kPerson, ListQuery{}));
        return Json(rows.size());
    });
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, 1);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((env.dir / "mentorxr.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_migrations", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(s, 0), sqliteSchemaVersion());
    EXPECT_EQ(sqlite3_column_int(s, 1), sqliteSchemaVersion());
    sqlite3_finalize(s);
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
    auto check = env.store->integrityCheck();
    ASSERT_TRUE(check);
    EXPECT_EQ(*check, "ok");
}

// The server holds its database alone (kSqliteExclusiveVfs), so a running
// server is backed up through the store: a snapshot as of one commit, an
// ordinary owner-only SQLite file that any sqlite3 opens, while the store
// keeps serving.
TEST(Store, BackupIsASnapshotAnyoneCanOpenWhileTheStoreServes) {
    TestEnv env("backup");
    for (const char* name : {"ann", "bo", "cy"}) ASSERT_TRUE(insertPerson(*env.store, name));
    auto file = env.store->backup();
    ASSERT_TRUE(file) << file.error().describe();
    ASSERT_TRUE(insertPerson(*env.store, "dee"));  // after the snapshot
    auto second = env.store->backup();
    ASSERT_TRUE(second) << second.error().describe();
    EXPECT_NE(*second, *file) << "a second backup in the same second gets a name of its own";

    const auto count = [](const std::string& path) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* s = nullptr;
        std::string check;
        EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW) check += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        EXPECT_EQ(check, "ok") << path;
        int n = -1;
        EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM people", -1, &s, nullptr), SQLITE_OK);
        if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(db);
        return n;
    };
    EXPECT_EQ(count(*file), 3);
    EXPECT_EQ(count(*second), 4);
    EXPECT_EQ(std::filesystem::path(*file).parent_path(), env.dir / "backups");
    const auto perms = std::filesystem::status(*file).permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none)
        << "the copy holds personal data: owner-only";
    // The exclusive VFS keeps the WAL index in the process's memory: no
    // shared-memory file beside the live database.
    EXPECT_TRUE(std::filesystem::exists(env.dir / "mentorxr.db-wal"));
    EXPECT_FALSE(std::filesystem::exists(env.dir / "mentorxr.db-shm"));
}

// Under writes without a pause the checkpointer never copies the last
// group before the next begins, and SQLite starts the WAL over only after a
// checkpoint copied every frame: the WAL grew without bound (660 MB in 8 s
// at 200 HTTP writers). The writer makes it start over (restartWalIfLong):
// the file stays near its restart size however long the writes go on, and
// every record is there.
TEST(StoreDurability, TheWalStartsOverUnderWritesWithoutAPause) {
    TestEnv env("walrestart");
    // At 4,000 frames instead of 16,000: a slower build (the sanitizers)
    // otherwise lets the checkpointer catch up now and then, SQLite starts
    // the WAL over by itself, and the writer's own restart is never seen.
    env.openStore("", 4000);
    ASSERT_TRUE(env.store);
    const auto wal = env.dir / "mentorxr.db-wal";
    constexpr int kThreads = 16;
    std::atomic<int> written{0};
    std::atomic<bool> failed{false};
    std::uintmax_t largest = 0;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            // Wide rows: many WAL frames per write, so the run is short.
            for (int i = 0; i < 2500 && !failed; ++i) {
                auto r = env.store->write([&](WriteTx& tx) -> Result<Json> {
                    MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kPerson, Json{{"name", std::string(3000, 'a' + t % 26)},
                                                                            {"email", strCat("w", t, "-", i, "@example.org")},
                                                                            {"roles", Json::array({"mentee"})}}));
                    return Json(id);
                });
                if (!r) failed = true;
                ++written;
            }
        });
    }
    // Watch the file while they write (a count of writes, not a time).
    while (written.load() < kThreads * 2500 && !failed) {
        std::error_code ec;
        largest = std::max<std::uintmax_t>(largest, std::filesystem::file_size(wal, ec));
        std::this_thread::yield();
    }
    for (auto& w : writers) w.join();
    ASSERT_FALSE(failed);
    const auto stats = env.store->stats();
    std::printf("40,000 writes of 3 KB: %llu group commits, %llu WAL restarts by the writer (%llu prepared by the "
                "checkpointer, %.0f frames left to the writer on average), largest WAL %.1f MB\n",
                static_cast<unsigned long long>(stats.commits), static_cast<unsigned long long>(stats.walRestarts),
                static_cast<unsigned long long>(stats.walPreparedRestarts),
                stats.walRestarts ? static_cast<double>(stats.walFramesLeftToWriter) / static_cast<double>(stats.walRestarts) : 0.0,
                static_cast<double>(largest) / 1e6);
    // 40,000 rows of 3 KB are about 150 MB of new pages; the WAL restarts
    // at 4,000 frames (16.5 MB) plus the group in flight.
    EXPECT_LT(largest, 40'000'000u) << "the WAL grew with the writes instead of starting over";
    EXPECT_GT(stats.walRestarts, 0u);
    EXPECT_GT(stats.walPreparedRestarts, 0u) << "the checkpointer never prepared a restart: the writer copied every WAL itself";
    auto count = env.store->read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kPerson, ListQuery{"", 0, 0, 1000}));
        return Json(rows.size());
    });
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, 1000) << "a page of the 40,000 people reads back";
    EXPECT_EQ(env.store->integrityCheck().value_or("failed"), "ok");
}

TEST(Store, RefusesADatabaseFromANewerServer) {
    TestEnv env("store");
    env.store.reset();
    env.handlers.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((env.dir / "mentorxr.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES(999, 'x')", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto s = openSqliteStore(SqliteStoreOptions{(env.dir / "mentorxr.db").string(), "", 1024, 16384}, env.wall, Logger());
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
}

// The acknowledgement (write() returning) must come after the WAL fsync of
// the commit that holds the record: while the fsync is held at the gate, the
// writer cannot have returned.
TEST(StoreDurability, WriteReturnsOnlyAfterItsWalCommitIsSynced) {
    CountingVfs& vfs = CountingVfs::instance();
    TestEnv env("durable", CountingVfs::kName);
    ASSERT_TRUE(env.store);
    const int before = vfs.walSyncs.load();
    vfs.closeGate();
    std::atomic<bool> acknowledged{false};
    std::thread writer([&] {
        auto r = insertPerson(*env.store, "ann");
        EXPECT_TRUE(r);
        acknowledged = true;
    });
    const bool syncing = vfs.waitForBlockedSyncs(1);
    EXPECT_TRUE(syncing) << "the commit never fsynced its WAL";
    // The commit is inside its fsync: the record must not be acknowledged yet.
    EXPECT_FALSE(acknowledged.load());
    vfs.openGate();
    writer.join();
    EXPECT_TRUE(acknowledged.load());
    EXPECT_GT(vfs.walSyncs.load(), before);
}

// A checkpoint copies the WAL into the database file and fsyncs it; done in
// the commit path it stalls every write of that group. The writer never
// does it: the checkpointer thread does, so the database file still gets
// the records and the WAL does not grow without bound.
TEST(StoreDurability, CheckpointsRunBesideTheWriterNotInItsCommits) {
    CountingVfs& vfs = CountingVfs::instance();
    TestEnv env("checkpoint", CountingVfs::kName);
    ASSERT_TRUE(env.store);
    // Passes every 1,000 frames (a quarter of the restart threshold) instead
    // of 4,000: the 1,500 writes below are then several passes' worth.
    env.openStore(CountingVfs::kName, 4000);
    ASSERT_TRUE(env.store);
    const int dbBefore = vfs.dbSyncs.load();
    const int writerBefore = vfs.dbSyncsOnWriter.load();
    // One commit each: a few WAL pages per person, several checkpoints' worth.
    for (int i = 0; i < 1500; ++i) ASSERT_TRUE(insertPerson(*env.store, "p" + std::to_string(i)));
    // The checkpointer is asynchronous: wait for its first database fsync
    // (an outcome; bounded so a missing checkpointer fails instead of hanging).
    for (int i = 0; i < 3000 && vfs.dbSyncs.load() == dbBefore; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(vfs.dbSyncs.load(), dbBefore) << "no checkpoint reached the database file";
    EXPECT_EQ(vfs.dbSyncsOnWriter.load(), writerBefore) << "the writer checkpointed inside a commit";
    std::error_code ec;
    const auto walBytes = std::filesystem::file_size(env.dir / "mentorxr.db-wal", ec);
    EXPECT_LT(walBytes, 64u << 20) << "the WAL grew without bound";
}

// Under sustained writes the same few pages (the tables' and indexes' last
// leaves) are in every group commit. A checkpoint pass after every commit
// copied each of them into the database file again and again, one read and
// one write per page; passes spaced by frames copy each once per pass.
TEST(StoreDurability, UnderSustainedWritesTheCheckpointerCopiesEachHotPageOncePerPass) {
    CountingVfs& vfs = CountingVfs::instance();
    TestEnv env("passes", CountingVfs::kName);
    ASSERT_TRUE(env.store);
    const int before = vfs.dbWrites.load();
    constexpr int kThreads = 16, kEach = 1500;
    std::vector<std::thread> writers;
    std::atomic<bool> failed{false};
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < kEach && !failed; ++i) {
                if (!insertPerson(*env.store, strCat("p", t, "-", i))) failed = true;
            }
        });
    }
    for (auto& w : writers) w.join();
    ASSERT_FALSE(failed);
    const auto stats = env.store->stats();
    const int copies = vfs.dbWrites.load() - before;
    std::printf("%d writes in %llu group commits: %d page copies into the database file\n", kThreads * kEach,
                static_cast<unsigned long long>(stats.commits), copies);
    EXPECT_LT(copies, kThreads * kEach / 4) << "the checkpointer copied the same pages pass after pass";
}

// Waits (bounded: a missing event fails the test instead of hanging it).
template <typename Pred>
bool eventually(Pred pred) {
    for (int i = 0; i < 10000; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
}

Result<Json> personCount(Store& store) {
    return store.read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kPerson, ListQuery{"", 0, 0, 1000}));
        return Json(rows.size());
    });
}

// Pipelined group commit: while one group's WAL fsync is in progress the
// writer commits the next group (its writes are not acknowledged until a
// sync that began after that commit); writes that arrive meanwhile wait and
// go out together in the group after: one commit and one fsync for them all.
TEST(StoreDurability, TheNextGroupCommitsDuringASyncAndWaitsForItsOwn) {
    CountingVfs& vfs = CountingVfs::instance();
    TestEnv env("group", CountingVfs::kName);
    ASSERT_TRUE(env.store);
    const auto before = env.store->stats();
    const auto peopleBefore = personCount(*env.store);
    ASSERT_TRUE(peopleBefore);
    vfs.closeGate();
    std::vector<std::thread> threads;
    std::atomic<int> acknowledged{0};
    auto write = [&](std::string name) {
        threads.emplace_back([&, name] {
            EXPECT_TRUE(insertPerson(*env.store, name));
            ++acknowledged;
        });
    };
    auto release = [&] {
        vfs.openGate();
        for (auto& t : threads) t.join();
    };
    write("first");
    if (!vfs.waitForBlockedSyncs(1)) {
        release();
        FAIL() << "the commit never fsynced its WAL";
    }
    const int syncsDuring = vfs.walSyncs.load();
    // The first group's fsync is held: the writer commits the second anyway.
    write("second");
    const bool pipelined = eventually([&] { return env.store->stats().commits == before.commits + 2; });
    EXPECT_TRUE(pipelined) << "the writer did not commit while the previous group's fsync was in progress";
    EXPECT_EQ(acknowledged.load(), 0) << "a write was acknowledged before the fsync of its commit";
    // The one new anomaly: readers see a committed group before its fsync.
    auto seen = personCount(*env.store);
    ASSERT_TRUE(seen);
    if (pipelined) {
        EXPECT_EQ(*seen, peopleBefore->get<int>() + 2);
    }
    // One committed group may wait for its fsync; more writes wait in the queue.
    constexpr int kQueued = 50;
    for (int i = 0; i < kQueued; ++i) write("p" + std::to_string(i));
    const bool queued = eventually([&] { return env.store->stats().pending == kQueued; });
    EXPECT_TRUE(queued) << "the writer ran ahead of the syncer by more than one group";
    EXPECT_EQ(acknowledged.load(), 0);
    release();
    EXPECT_EQ(acknowledged.load(), kQueued + 2);
    const auto after = env.store->stats();
    EXPECT_EQ(after.commits - before.commits, 3u);
    EXPECT_EQ(after.syncs - before.syncs, 3u);
    EXPECT_LE(vfs.walSyncs.load() - syncsDuring, 3);  // the 2nd and 3rd groups', and 1 when the WAL restarts
    auto count = personCount(*env.store);
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, peopleBefore->get<int>() + kQueued + 2);
}

// A disk that fails the store at `fault` (a flag of the counting VFS) fails
// the write waiting on it and every later one, until the store is reopened;
// reopened, the store writes again and has what was acknowledged. `lostStays
// Lost`: the failed write's frames never reached the file, so it is not
// there either (after a failed fsync they may still be in the kernel's cache
// and come back).
void expectFailStop(const std::string& tag, std::atomic<bool>& fault, bool lostStaysLost) {
    TestEnv env(tag, CountingVfs::kName);
    ASSERT_TRUE(env.store);
    ASSERT_TRUE(insertPerson(*env.store, "before"));
    fault = true;
    auto failed = insertPerson(*env.store, "lost");
    fault = false;
    ASSERT_FALSE(failed) << "a write was acknowledged although the disk failed it";
    EXPECT_EQ(failed.error().code, ErrorCode::kIo);
    auto later = insertPerson(*env.store, "later");
    ASSERT_FALSE(later) << "writes went on after the disk failed";
    EXPECT_EQ(later.error().code, ErrorCode::kIo);
    EXPECT_NE(later.error().message.find("restarted"), std::string::npos) << later.error().message;
    env.openStore();
    ASSERT_TRUE(env.store);
    ASSERT_TRUE(insertPerson(*env.store, "after"));
    auto names = env.store->read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kPerson, ListQuery{"", 0, 0, 1000}));
        Json out = Json::array();
        for (const auto& r : rows) out.push_back(r["name"]);
        return out;
    });
    ASSERT_TRUE(names) << names.error().describe();
    EXPECT_NE(std::find(names->begin(), names->end(), "before"), names->end());
    EXPECT_NE(std::find(names->begin(), names->end(), "after"), names->end());
    if (lostStaysLost) {
        EXPECT_EQ(std::find(names->begin(), names->end(), "lost"), names->end()) << "a failed write is in the database";
    }
}

// A failed WAL fsync may have lost what it was to make durable: its writes
// fail, and so does every later one (a later fsync that succeeds would not
// prove the earlier pages reached the disk), until the store is reopened.
TEST(StoreDurability, AFailedWalSyncFailsItsWritesAndStopsWrites) {
    expectFailStop("syncfail", CountingVfs::instance().failWalSyncs, false);
}

// The writer's frames wait in the WAL buffer until the syncer writes them
// out (sqlite_wal_buffer.h): a disk that refuses that write fails the
// writes waiting on it, and everything after, like a failed fsync; reopened,
// the store has what was acknowledged and nothing of what failed.
TEST(StoreDurability, AFailedWriteOfTheWalFailsItsWritesAndLosesNothingAcknowledged) {
    expectFailStop("walwritefail", CountingVfs::instance().failWalWrites, true);
}

// A create answers the row as inserted (INSERT ... RETURNING) instead of
// reading it back: the answer must be what a read returns, column defaults
// and id lists (deduplicated, in id order) included.
TEST(Store, InsertRecordAnswersWhatAReadReturns) {
    TestEnv env("insertrecord");
    auto ids = env.store->write([&](WriteTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto a, tx.insert(Entity::kPerson, personFields("a")));
        MXR_TRY_ASSIGN(auto b, tx.insert(Entity::kPerson, personFields("b")));
        MXR_TRY_ASSIGN(Json program, tx.insertRecord(Entity::kProgram, Json{{"name", "p"}, {"managers", {b, a, b}}}));
        MXR_TRY_ASSIGN(Json mentorship, tx.insertRecord(Entity::kMentorship, Json{{"program_id", program["id"]},
                                                                                  {"kind", "group"},
                                                                                  {"status", "active"},
                                                                                  {"mentors", {a}}}));
        MXR_TRY_ASSIGN(Json session, tx.insertRecord(Entity::kSession, Json{{"mentorship_id", mentorship["id"]},
                                                                            {"scheduled_at", "2026-03-02T10:00:00Z"}}));
        return Json{{"program", program}, {"mentorship", mentorship}, {"session", session}};
    });
    ASSERT_TRUE(ids) << ids.error().describe();
    EXPECT_EQ((*ids)["program"]["managers"].size(), 2u);
    EXPECT_EQ((*ids)["session"]["source"], "manual");  // a column default the insert did not name
    for (auto [name, entity] : {std::pair{"program", Entity::kProgram}, std::pair{"mentorship", Entity::kMentorship},
                                std::pair{"session", Entity::kSession}}) {
        const Json& answered = (*ids)[name];
        auto read = env.store->read([&](ReadTx& tx) -> Result<Json> {
            MXR_TRY_ASSIGN(auto rec, tx.get(entity, answered["id"].get<std::int64_t>()));
            return rec ? *rec : Json();
        });
        ASSERT_TRUE(read);
        EXPECT_EQ(answered, *read) << name;
    }
}

}  // namespace
}  // namespace mxr::server::test
