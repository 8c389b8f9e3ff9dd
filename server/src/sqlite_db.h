#pragma once
// A SQLite connection with a prepared-statement cache, and the bind/column
// helpers the store needs. Private to server/.
//
// Thread: one Db is used by one thread at a time (the writer, or a reader
// that borrowed it from the pool).
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "engine/core/result.h"
#include "server/schema.h"

namespace mxr::server {

class Stmt {
public:
    Stmt(sqlite3* db, sqlite3_stmt* s) : m_db(db), m_s(s) {}
    ~Stmt() {
        sqlite3_reset(m_s);
        sqlite3_clear_bindings(m_s);
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int i, std::int64_t v) { sqlite3_bind_int64(m_s, i, v); }
    void bind(int i, const std::string& v) {
        sqlite3_bind_text(m_s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void bindNull(int i) { sqlite3_bind_null(m_s, i); }
    // Binds a validated field value (schema.h): lists as JSON text.
    void bindJson(int i, const Json& v);

    // true: a row is ready; false: done. Errors carry the SQLite code.
    Result<bool> step();
    Result<void> run();  // step to completion, no rows expected

    std::int64_t integer(int col) const { return sqlite3_column_int64(m_s, col); }
    bool isNull(int col) const { return sqlite3_column_type(m_s, col) == SQLITE_NULL; }
    std::string text(int col) const;
    Json column(int col, FieldType type) const;

private:
    sqlite3* m_db;
    sqlite3_stmt* m_s;
};

class Db {
public:
    static Result<std::unique_ptr<Db>> open(const std::string& path, const std::string& vfs, bool readOnly);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // A cached prepared statement, reset when the Stmt goes out of scope.
    Result<std::unique_ptr<Stmt>> prepare(const std::string& sql);
    Result<void> exec(const std::string& sql);  // cached, no rows
    Result<void> execScript(const char* sql);   // uncached, several statements
    sqlite3* raw() const { return m_db; }
    std::int64_t lastInsertId() const { return sqlite3_last_insert_rowid(m_db); }
    int changes() const { return sqlite3_changes(m_db); }

private:
    explicit Db(sqlite3* db) : m_db(db) {}
    sqlite3* m_db;
    std::unordered_map<std::string, sqlite3_stmt*> m_cache;
};

// Maps a SQLite result code to an Error: constraint failures become
// kConflict/kInvalidArgument, disk and I/O failures kIo.
Error sqliteError(sqlite3* db, int rc, const std::string& what);

}  // namespace mxr::server
