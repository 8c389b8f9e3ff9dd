// The WAL write buffer (server/src/sqlite_wal_buffer.h) under SQLite
// itself: what readers see, what an fsync covers, what a failed write does,
// and what reaches the file. Over the counting VFS, which counts and can fail
// the base VFS's writes to WAL files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../../server/src/sqlite_wal_buffer.h"
#include "counting_vfs.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

namespace fs = std::filesystem;

// One connection, opened as the store opens its writer and readers.
class Conn {
public:
    Conn(const fs::path& path, const std::string& vfs) {
        const int rc = sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs.c_str());
        EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errstr(rc);
        sqlite3_busy_timeout(m_db, 5000);
    }
    ~Conn() { sqlite3_close(m_db); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // SQLITE_OK, or the statement's error code.
    int exec(const std::string& sql) {
        char* err = nullptr;
        const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err);
        if (err) m_lastError = err;
        sqlite3_free(err);
        return rc;
    }
    // The first column of the first row as text; "" with the error in lastError().
    std::string value(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        std::string out;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
            const auto* t = sqlite3_column_text(s, 0);
            out = t ? reinterpret_cast<const char*>(t) : "";
        } else {
            m_lastError = sqlite3_errmsg(m_db);
        }
        sqlite3_finalize(s);
        return out;
    }
    const std::string& lastError() const { return m_lastError; }
    sqlite3* raw() { return m_db; }

private:
    sqlite3* m_db = nullptr;
    std::string m_lastError;
};

std::string bufferedVfs() {
    CountingVfs::instance();  // registers the counting VFS
    auto name = walBufferVfs(CountingVfs::kName);
    EXPECT_TRUE(name) << name.error().describe();
    return name ? *name : "";
}

// A scratch folder with its database path, over the buffered VFS; removed
// at the end.
struct Scratch {
    explicit Scratch(const std::string& tag) : vfs(bufferedVfs()), dir(makeTempDir(tag)), db(dir / "t.db") {}
    ~Scratch() { fs::remove_all(dir); }
    std::string vfs;
    fs::path dir;
    fs::path db;
};

// As the store's writer (WAL, no fsync in COMMIT: its syncer syncs, no
// checkpoints in commits), with the test's table.
void openAsWriter(Conn& c) {
    ASSERT_EQ(c.value("PRAGMA journal_mode=WAL"), "wal");
    ASSERT_EQ(c.exec("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"), SQLITE_OK);
    ASSERT_EQ(c.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"), SQLITE_OK);
}

// Inserts rows first..last-1 of 3,000 bytes each (about one page each) in
// one transaction; each row's payload is derived from its id.
int insertRows(Conn& c, int first, int last) {
    return c.exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT " + std::to_string(first) + " UNION ALL SELECT i + 1 FROM n WHERE i < " +
                  std::to_string(last - 1) +
                  ") INSERT INTO t(id, v) SELECT i, printf('%.3000c', char(65 + i % 26)) FROM n; COMMIT;");
}

// What a user of the rows sees: how many, and that each holds its payload.
std::string rowsSeen(Conn& c) {
    return c.value("SELECT count(*) || ':' || sum(v = printf('%.3000c', char(65 + id % 26))) FROM t");
}

// The syncer's way to sync the WAL: its own handle on the file (by
// SQLite's name for it), opened through the same VFS.
int syncWal(const std::string& vfsName, Conn& writer) {
    sqlite3_vfs* vfs = sqlite3_vfs_find(vfsName.c_str());
    std::vector<char> mem(static_cast<std::size_t>(vfs->szOsFile));
    auto* f = reinterpret_cast<sqlite3_file*>(mem.data());
    std::memset(f, 0, mem.size());
    const char* wal = sqlite3_filename_wal(sqlite3_db_filename(writer.raw(), "main"));
    int out = 0;
    int rc = vfs->xOpen(vfs, wal, f, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL, &out);
    if (rc != SQLITE_OK) return rc;
    rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
    f->pMethods->xClose(f);
    return rc;
}

}  // namespace

// A group commit's frames go to the file in a few writes instead of two per
// frame, and another connection reads the commit at once (it does not wait
// for the syncer to write the buffer out).
TEST(WalBuffer, AGroupsFramesReachTheFileInAFewWritesAndReadersSeeThemAtOnce) {
    CountingVfs& counting = CountingVfs::instance();
    Scratch scratch("walbuf-few");
    Conn writer(scratch.db, scratch.vfs);
    openAsWriter(writer);
    ASSERT_EQ(syncWal(scratch.vfs, writer), SQLITE_OK);

    const int before = counting.walWrites;
    ASSERT_EQ(insertRows(writer, 0, 300), SQLITE_OK) << writer.lastError();
    Conn reader(scratch.db, scratch.vfs);
    EXPECT_EQ(rowsSeen(reader), "300:300") << reader.lastError();
    ASSERT_EQ(syncWal(scratch.vfs, writer), SQLITE_OK);
    const int writes = counting.walWrites - before;
    // 300 rows of about a page each: over 300 frames, which SQLite writes
    // with two calls each (header, page). Through the buffer: pieces of
    // 124 KiB.
    const auto walBytes = static_cast<long long>(fs::file_size(scratch.dir / "t.db-wal"));
    EXPECT_GT(walBytes, 300LL * 4096);
    EXPECT_LE(writes, walBytes / (124 * 1024) + 4) << "WAL bytes " << walBytes;
    std::printf("[ figure ] 300 rows in one commit: %d writes to a %lld-byte WAL through the buffer (SQLite alone: two per frame)\n",
                writes, walBytes);
}

// An acknowledged write is one whose WAL sync returned: after that, the
// files as they are (what a crash of the process leaves) hold it, although
// the writer's connection never wrote the frames itself.
TEST(WalBuffer, AfterTheSyncTheFilesHoldTheCommitWithoutTheProcess) {
    Scratch scratch("walbuf-sync");
    Conn writer(scratch.db, scratch.vfs);
    openAsWriter(writer);
    ASSERT_EQ(insertRows(writer, 0, 50), SQLITE_OK);
    ASSERT_EQ(insertRows(writer, 50, 1000), SQLITE_OK);  // more than the buffer holds (2 MiB)
    ASSERT_EQ(insertRows(writer, 1000, 1001), SQLITE_OK);
    ASSERT_EQ(syncWal(scratch.vfs, writer), SQLITE_OK);

    // The crash image: the files copied while the writer still holds them open.
    const fs::path image = scratch.dir / "image";
    fs::create_directory(image);
    fs::copy_file(scratch.db, image / "t.db");
    fs::copy_file(scratch.dir / "t.db-wal", image / "t.db-wal");
    Conn recovered(image / "t.db", "unix");
    EXPECT_EQ(rowsSeen(recovered), "1001:1001") << recovered.lastError();
    EXPECT_EQ(recovered.value("PRAGMA integrity_check"), "ok");
}

// A write of the buffer that fails loses frames SQLite counts as written:
// from then on every read, write and sync of that WAL fails rather than
// reading stale bytes, and reopened, the database holds what was synced
// before and nothing of the lost commit.
TEST(WalBuffer, AFailedWriteOfTheBufferFailsThatWalFromThenOnAndLosesNothingSynced) {
    CountingVfs& counting = CountingVfs::instance();
    Scratch scratch("walbuf-fail");
    {
        Conn writer(scratch.db, scratch.vfs);
        openAsWriter(writer);
        ASSERT_EQ(insertRows(writer, 0, 20), SQLITE_OK);
        ASSERT_EQ(syncWal(scratch.vfs, writer), SQLITE_OK);

        counting.failWalWrites = true;
        ASSERT_EQ(insertRows(writer, 20, 40), SQLITE_OK);  // buffered: nothing written yet
        EXPECT_NE(syncWal(scratch.vfs, writer), SQLITE_OK) << "the sync reported frames durable that never reached the file";
        counting.failWalWrites = false;  // the disk recovers; the lost frames stay lost

        Conn reader(scratch.db, scratch.vfs);
        EXPECT_EQ(rowsSeen(reader), "") << "a reader was served frames that are not in the file";
        EXPECT_NE(reader.lastError().find("disk I/O error"), std::string::npos) << reader.lastError();
        EXPECT_NE(insertRows(writer, 40, 41), SQLITE_OK);
        EXPECT_NE(syncWal(scratch.vfs, writer), SQLITE_OK);
    }
    // Reopened (the server restarted): recovery keeps the synced commit.
    Conn reopened(scratch.db, scratch.vfs);
    EXPECT_EQ(rowsSeen(reopened), "20:20") << reopened.lastError();
    EXPECT_EQ(reopened.value("PRAGMA integrity_check"), "ok");
    ASSERT_EQ(insertRows(reopened, 20, 21), SQLITE_OK) << "the reopened database does not take writes";
}

// SQLite's unix VFS keeps 17 bits of a write's length, so it writes a
// multiple of 128 KiB as nothing and reports a full disk: a buffer of
// exactly that size must still reach the file whole.
TEST(WalBuffer, AnAppendOfExactly128KiBReachesTheFileWhole) {
    Scratch scratch("walbuf-128k");
    { std::ofstream(scratch.db.string()); }  // SQLite gives a WAL its database's mode
    const std::string wal = scratch.db.string() + "-wal";
    sqlite3_vfs* v = sqlite3_vfs_find(scratch.vfs.c_str());
    ASSERT_NE(v, nullptr);
    std::vector<char> mem(static_cast<std::size_t>(v->szOsFile));
    auto* f = reinterpret_cast<sqlite3_file*>(mem.data());
    std::memset(f, 0, mem.size());
    int out = 0;
    ASSERT_EQ(v->xOpen(v, wal.c_str(), f, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL, &out), SQLITE_OK);
    std::vector<unsigned char> bytes(128 * 1024);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    ASSERT_EQ(f->pMethods->xWrite(f, bytes.data(), 100 * 1024, 0), SQLITE_OK);
    ASSERT_EQ(f->pMethods->xWrite(f, bytes.data() + 100 * 1024, 28 * 1024, 100 * 1024), SQLITE_OK);
    EXPECT_EQ(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL), SQLITE_OK);
    f->pMethods->xClose(f);
    ASSERT_EQ(fs::file_size(wal), bytes.size());
    std::vector<unsigned char> back(bytes.size());
    FILE* in = std::fopen(wal.c_str(), "rb");
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(std::fread(back.data(), 1, back.size(), in), back.size());
    std::fclose(in);
    EXPECT_EQ(back, bytes);
}

}  // namespace mxr::server::test
