#include "sqlite_db.h"

#include <mutex>

#include "engine/core/log.h"

namespace mxr::server {
namespace {

// Process-wide settings, made once before SQLite initializes itself.
// Memory statistics off: with them every sqlite3_malloc and sqlite3_free
// takes one process-wide mutex, which the HTTP threads' readers and the
// writer fought over (server/README.md "Storage"). If SQLite was already
// initialized (another library used it first) the call fails and the
// statistics stay on: slower, not wrong.
void configureSqliteOnce() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Error sqliteError(sqlite3* db, int rc, const std::string& what) {
    const int ext = db ? sqlite3_extended_errcode(db) : rc;
    std::string msg = strCat(what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    ErrorCode code = ErrorCode::kIo;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        code = ext == SQLITE_CONSTRAINT_FOREIGNKEY ? ErrorCode::kInvalidArgument : ErrorCode::kConflict;
    } else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
        code = ErrorCode::kUnavailable;
    }
    return Error{code, ext, std::move(msg)};
}

void Stmt::bindJson(int i, const Json& v) {
    if (v.is_null()) {
        bindNull(i);
    } else if (v.is_number_integer()) {
        bind(i, v.get<std::int64_t>());
    } else if (v.is_string()) {
        bind(i, v.get_ref<const std::string&>());
    } else {
        bind(i, v.dump());
    }
}

Result<bool> Stmt::step() {
    const int rc = sqlite3_step(m_s);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(sqliteError(m_db, rc, strCat("running ", sqlite3_sql(m_s))));
}

Result<void> Stmt::run() {
    for (;;) {
        MXR_TRY_ASSIGN(bool row, step());
        if (!row) return {};
    }
}

std::string Stmt::text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_s, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_s, col))) : std::string();
}

Json Stmt::column(int col, FieldType type) const {
    if (isNull(col)) return nullptr;
    switch (type) {
        case FieldType::kInt:
        case FieldType::kRef: return integer(col);
        case FieldType::kStringList:
        case FieldType::kObjectList: {
            auto parsed = Json::parse(text(col), nullptr, false);
            return parsed.is_discarded() ? Json::array() : parsed;
        }
        default: return text(col);
    }
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, const std::string& vfs, bool readOnly) {
    configureSqliteOnce();
    sqlite3* raw = nullptr;
    // Readers open read-write too (WAL readers write the shared-memory index)
    // and are then fenced with query_only.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs.empty() ? nullptr : vfs.c_str());
    if (rc != SQLITE_OK) {
        Error e = sqliteError(raw, rc, strCat("opening ", path));
        sqlite3_close(raw);
        return tl::unexpected(std::move(e));
    }
    std::unique_ptr<Db> db(new Db(raw));
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 5000);
    // synchronous=FULL: in WAL mode every commit fsyncs the WAL before
    // sqlite3_step(COMMIT) returns, and a checkpoint syncs the WAL before it
    // copies it. The store's writer lowers this to NORMAL and has its syncer
    // thread fsync the WAL after each commit instead (sqlite_store.cpp).
    // secure_delete: deleted and overwritten content (an erased person's
    // name, text they wrote) is zeroed in the file, not left in free space.
    MXR_TRY(db->execScript("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"));
    if (readOnly) MXR_TRY(db->execScript("PRAGMA query_only=ON;"));
    return db;
}

Db::~Db() {
    for (auto& [sql, s] : m_cache) sqlite3_finalize(s);
    sqlite3_close(m_db);
}

Result<std::unique_ptr<Stmt>> Db::prepare(const std::string& sql) {
    auto it = m_cache.find(sql);
    if (it == m_cache.end()) {
        // Generated statements depend on which fields a request sets; bound
        // the cache so a client cycling field combinations cannot grow it.
        if (m_cache.size() > 512) {
            for (auto& [k, s] : m_cache) sqlite3_finalize(s);
            m_cache.clear();
        }
        sqlite3_stmt* s = nullptr;
        const int rc = sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                          &s, nullptr);
        if (rc != SQLITE_OK) return tl::unexpected(sqliteError(m_db, rc, strCat("preparing ", sql)));
        it = m_cache.emplace(sql, s).first;
    }
    return std::make_unique<Stmt>(m_db, it->second);
}

Result<void> Db::exec(const std::string& sql) {
    MXR_TRY_ASSIGN(auto s, prepare(sql));
    return s->run();
}

Result<void> Db::execScript(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        const bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        return makeError(busy ? ErrorCode::kUnavailable : ErrorCode::kIo, strCat("sqlite: ", msg), rc);
    }
    return {};
}

}  // namespace mxr::server
