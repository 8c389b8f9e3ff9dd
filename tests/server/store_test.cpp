// The SQLite store: records round-trip, migrations, rollback of failed
// writes, durability (ack only after the WAL fsync) and group commit.
#include <sqlite3.h>

#include <atomic>
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

// Writes that queue up while a commit is in progress go out together in the
// next commit: one fsync for the whole group.
TEST(StoreDurability, ConcurrentWritesShareOneGroupCommit) {
    CountingVfs& vfs = CountingVfs::instance();
    TestEnv env("group", CountingVfs::kName);
    ASSERT_TRUE(env.store);
    const auto commitsBefore = env.store->stats().commits;
    vfs.closeGate();
    std::vector<std::thread> threads;
    threads.emplace_back([&] { EXPECT_TRUE(insertPerson(*env.store, "first")); });
    if (!vfs.waitForBlockedSyncs(1)) {
        vfs.openGate();
        for (auto& t : threads) t.join();
        FAIL() << "the commit never fsynced its WAL";
    }
    const int syncsDuring = vfs.walSyncs.load();
    constexpr int kQueued = 50;
    for (int i = 0; i < kQueued; ++i) {
        threads.emplace_back([&, i] { EXPECT_TRUE(insertPerson(*env.store, "p" + std::to_string(i))); });
    }
    while (env.store->stats().pending < kQueued) std::this_thread::yield();
    vfs.openGate();
    for (auto& t : threads) t.join();
    const auto stats = env.store->stats();
    EXPECT_EQ(stats.commits - commitsBefore, 2u);
    EXPECT_LE(vfs.walSyncs.load() - syncsDuring, 3);  // 1, or 2 when the WAL restarts
    auto count = env.store->read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kPerson, ListQuery{"", 0, 0, 1000}));
        return Json(rows.size());
    });
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, kQueued + 1);
}

}  // namespace
}  // namespace mxr::server::test
