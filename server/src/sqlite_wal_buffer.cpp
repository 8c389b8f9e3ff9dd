#include "sqlite_wal_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace mxr::server {
namespace {

// The buffer of one WAL file, shared by every connection's handle on it
// (each connection opens the WAL itself; they find each other by path).
struct WalShared {
    std::mutex mutex;
    std::vector<unsigned char> bytes;  // appended, not yet in the file
    sqlite3_int64 start = 0;           // the file offset of bytes[0]
    sqlite3_file* owner = nullptr;     // the base file of the handle that appended them (open while they wait)
    int failed = SQLITE_OK;            // sticky: the first failed write of the buffer
    int handles = 0;                   // under g_registryMutex
};

std::mutex g_registryMutex;
std::map<std::string, std::unique_ptr<WalShared>>& registry() {
    static std::map<std::string, std::unique_ptr<WalShared>> walFiles;
    return walFiles;
}

struct WalFile {
    sqlite3_file base;   // pMethods = &kWalMethods
    WalShared* shared;   // owned by the registry while a handle is open
    const char* path;    // SQLite's name for the file, valid until xClose
    sqlite3_file* real;  // the base VFS's file, placed right after this struct
    bool writable;       // opened read-write: it can write the buffer out itself
};

WalFile* W(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
sqlite3_file* R(sqlite3_file* f) { return W(f)->real; }

// SQLite's unix VFS masks each write(2) it makes to 17 bits of length
// (seekAndWriteFd: nBuf &= 0x1ffff), so a write of a multiple of 128 KiB
// writes nothing and reports the disk full. The buffer goes out in pieces
// that fit: 124 KiB, whole pages.
constexpr int kFlushPiece = 124 * 1024;

// Writes the buffer out (under s.mutex), through the calling handle's own
// descriptor when it can write (another thread may be using the owner's),
// else the owner's. A failure is kept: the buffered frames are lost, and
// SQLite believes them written.
int flushLocked(WalShared& s, WalFile* caller) {
    sqlite3_file* via = caller->writable ? caller->real : s.owner;
    int rc = SQLITE_OK;
    for (std::size_t done = 0; done < s.bytes.size() && rc == SQLITE_OK; done += kFlushPiece) {
        const int n = static_cast<int>(std::min<std::size_t>(kFlushPiece, s.bytes.size() - done));
        rc = via->pMethods->xWrite(via, s.bytes.data() + done, n, s.start + static_cast<sqlite3_int64>(done));
    }
    s.bytes.clear();
    if (rc != SQLITE_OK && s.failed == SQLITE_OK) s.failed = rc;
    return rc;
}

// The error a handle reports once the buffer could not be written.
int failedAs(const WalShared& s, int ioerr) { return s.failed == SQLITE_OK ? SQLITE_OK : ioerr; }

int walClose(sqlite3_file* f) {
    WalFile* w = W(f);
    {
        std::lock_guard lock(w->shared->mutex);
        if (w->shared->owner == w->real) {
            flushLocked(*w->shared, w);
            w->shared->owner = nullptr;
        }
    }
    {
        std::lock_guard lock(g_registryMutex);
        if (--w->shared->handles == 0) registry().erase(w->path);
    }
    return w->real->pMethods->xClose(w->real);
}

int walRead(sqlite3_file* f, void* out, int n, sqlite3_int64 offset) {
    WalShared& s = *W(f)->shared;
    {
        std::lock_guard lock(s.mutex);
        if (int rc = failedAs(s, SQLITE_IOERR_READ)) return rc;
        const auto end = s.start + static_cast<sqlite3_int64>(s.bytes.size());
        if (!s.bytes.empty() && offset < end && offset + n > s.start) {
            if (flushLocked(s, W(f)) != SQLITE_OK) return SQLITE_IOERR_READ;
        }
    }
    // Outside the lock: what a reader reads was committed, and the writer
    // never rewrites a committed frame while a reader may need it (SQLite's
    // own rule for the WAL, buffer or not).
    return R(f)->pMethods->xRead(R(f), out, n, offset);
}

int walWrite(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
    WalShared& s = *W(f)->shared;
    std::lock_guard lock(s.mutex);
    if (int rc = failedAs(s, SQLITE_IOERR_WRITE)) return rc;
    const bool follows = s.owner == R(f) && offset == s.start + static_cast<sqlite3_int64>(s.bytes.size());
    if (!s.bytes.empty() && !follows) {
        if (flushLocked(s, W(f)) != SQLITE_OK) return SQLITE_IOERR_WRITE;
    }
    if (s.bytes.empty()) {
        s.start = offset;
        s.owner = R(f);
    }
    const auto* p = static_cast<const unsigned char*>(data);
    s.bytes.insert(s.bytes.end(), p, p + n);
    if (s.bytes.size() >= kWalBufferFlushBytes && flushLocked(s, W(f)) != SQLITE_OK) return SQLITE_IOERR_WRITE;
    return SQLITE_OK;
}

// Writes the buffer out, then runs `op` on the base file, all under the lock.
template <typename Op>
int afterFlush(sqlite3_file* f, int ioerr, Op op) {
    WalShared& s = *W(f)->shared;
    std::lock_guard lock(s.mutex);
    if (failedAs(s, ioerr) != SQLITE_OK || flushLocked(s, W(f)) != SQLITE_OK) return ioerr;
    return op(R(f));
}

int walTruncate(sqlite3_file* f, sqlite3_int64 size) {
    return afterFlush(f, SQLITE_IOERR_TRUNCATE, [&](sqlite3_file* r) { return r->pMethods->xTruncate(r, size); });
}
int walSync(sqlite3_file* f, int flags) {
    // The fsync itself runs outside the lock: the writer keeps appending the
    // next group meanwhile, as it did without the buffer.
    const int rc = afterFlush(f, SQLITE_IOERR_FSYNC, [](sqlite3_file*) { return SQLITE_OK; });
    if (rc != SQLITE_OK) return rc;
    return R(f)->pMethods->xSync(R(f), flags);
}
int walFileSize(sqlite3_file* f, sqlite3_int64* size) {
    return afterFlush(f, SQLITE_IOERR_FSTAT, [&](sqlite3_file* r) { return r->pMethods->xFileSize(r, size); });
}
int walLock(sqlite3_file* f, int l) { return R(f)->pMethods->xLock(R(f), l); }
int walUnlock(sqlite3_file* f, int l) { return R(f)->pMethods->xUnlock(R(f), l); }
int walCheckReservedLock(sqlite3_file* f, int* out) { return R(f)->pMethods->xCheckReservedLock(R(f), out); }
int walFileControl(sqlite3_file* f, int op, void* arg) { return R(f)->pMethods->xFileControl(R(f), op, arg); }
int walSectorSize(sqlite3_file* f) { return R(f)->pMethods->xSectorSize(R(f)); }
int walDeviceCharacteristics(sqlite3_file* f) { return R(f)->pMethods->xDeviceCharacteristics(R(f)); }

// Version 1: SQLite maps and shares memory only for the database file.
const sqlite3_io_methods kWalMethods = {1,          walClose,     walRead,          walWrite,
                                        walTruncate, walSync,     walFileSize,      walLock,
                                        walUnlock,  walCheckReservedLock, walFileControl, walSectorSize,
                                        walDeviceCharacteristics};

sqlite3_vfs* baseOf(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int vfsOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* outFlags) {
    sqlite3_vfs* base = baseOf(vfs);
    // Every file but a WAL is the base VFS's own file, in place: its methods,
    // its shared memory and its memory map, with nothing in between.
    if (!(flags & SQLITE_OPEN_WAL) || !name) return base->xOpen(base, name, f, flags, outFlags);
    WalFile* w = W(f);
    std::memset(w, 0, sizeof(WalFile));
    w->real = reinterpret_cast<sqlite3_file*>(w + 1);
    const int rc = base->xOpen(base, name, w->real, flags, outFlags);
    if (rc != SQLITE_OK || !w->real->pMethods) {
        // SQLite calls xClose only when pMethods is set; close the base's
        // half-opened file here instead.
        if (w->real->pMethods) w->real->pMethods->xClose(w->real);
        return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
    }
    w->path = name;
    w->writable = (*(outFlags ? outFlags : &flags) & SQLITE_OPEN_READWRITE) != 0;
    {
        std::lock_guard lock(g_registryMutex);
        auto& slot = registry()[name];
        if (!slot) slot = std::make_unique<WalShared>();
        ++slot->handles;
        w->shared = slot.get();
    }
    w->base.pMethods = &kWalMethods;
    return SQLITE_OK;
}

int vfsDelete(sqlite3_vfs* vfs, const char* name, int syncDir) {
    {
        // A WAL is deleted once everything in it is in the database: what is
        // still buffered for it will never be read.
        std::lock_guard lock(g_registryMutex);
        auto it = registry().find(name);
        if (it != registry().end()) {
            std::lock_guard walLock(it->second->mutex);
            it->second->bytes.clear();
        }
    }
    return baseOf(vfs)->xDelete(baseOf(vfs), name, syncDir);
}
int vfsAccess(sqlite3_vfs* v, const char* n, int fl, int* o) { return baseOf(v)->xAccess(baseOf(v), n, fl, o); }
int vfsFullPathname(sqlite3_vfs* v, const char* n, int sz, char* o) {
    return baseOf(v)->xFullPathname(baseOf(v), n, sz, o);
}
void* vfsDlOpen(sqlite3_vfs* v, const char* n) { return baseOf(v)->xDlOpen(baseOf(v), n); }
void vfsDlError(sqlite3_vfs* v, int n, char* m) { baseOf(v)->xDlError(baseOf(v), n, m); }
void (*vfsDlSym(sqlite3_vfs* v, void* h, const char* s))(void) { return baseOf(v)->xDlSym(baseOf(v), h, s); }
void vfsDlClose(sqlite3_vfs* v, void* h) { baseOf(v)->xDlClose(baseOf(v), h); }
int vfsRandomness(sqlite3_vfs* v, int n, char* o) { return baseOf(v)->xRandomness(baseOf(v), n, o); }
int vfsSleep(sqlite3_vfs* v, int us) { return baseOf(v)->xSleep(baseOf(v), us); }
int vfsCurrentTime(sqlite3_vfs* v, double* t) { return baseOf(v)->xCurrentTime(baseOf(v), t); }
int vfsGetLastError(sqlite3_vfs* v, int n, char* m) { return baseOf(v)->xGetLastError(baseOf(v), n, m); }
int vfsCurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* t) {
    if (baseOf(v)->iVersion >= 2 && baseOf(v)->xCurrentTimeInt64) return baseOf(v)->xCurrentTimeInt64(baseOf(v), t);
    double days = 0;
    const int rc = baseOf(v)->xCurrentTime(baseOf(v), &days);
    *t = static_cast<sqlite3_int64>(days * 86400000.0);
    return rc;
}

struct Registered {
    std::string name;
    sqlite3_vfs vfs{};
};

}  // namespace

Result<std::string> walBufferVfs(const std::string& baseName) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<Registered>> registered;  // never unregistered
    std::lock_guard lock(mutex);
    if (auto it = registered.find(baseName); it != registered.end()) return it->second->name;
    sqlite3_vfs* base = sqlite3_vfs_find(baseName.empty() ? nullptr : baseName.c_str());
    if (!base) return makeError(ErrorCode::kUnavailable, strCat("no SQLite VFS named ", baseName));
    auto r = std::make_unique<Registered>();
    r->name = strCat("mxr-walbuf:", base->zName);
    sqlite3_vfs& v = r->vfs;
    v.iVersion = 2;
    v.szOsFile = static_cast<int>(sizeof(WalFile)) + base->szOsFile;
    v.mxPathname = base->mxPathname;
    v.zName = r->name.c_str();
    v.pAppData = base;
    v.xOpen = vfsOpen;
    v.xDelete = vfsDelete;
    v.xAccess = vfsAccess;
    v.xFullPathname = vfsFullPathname;
    v.xDlOpen = vfsDlOpen;
    v.xDlError = vfsDlError;
    v.xDlSym = vfsDlSym;
    v.xDlClose = vfsDlClose;
    v.xRandomness = vfsRandomness;
    v.xSleep = vfsSleep;
    v.xCurrentTime = vfsCurrentTime;
    v.xGetLastError = vfsGetLastError;
    v.xCurrentTimeInt64 = vfsCurrentTimeInt64;
    if (const int rc = sqlite3_vfs_register(&v, 0); rc != SQLITE_OK) {
        return makeError(ErrorCode::kUnknown, strCat("registering the SQLite VFS ", r->name, ": ", sqlite3_errstr(rc)));
    }
    std::string name = r->name;
    registered.emplace(baseName, std::move(r));
    return name;
}

}  // namespace mxr::server
