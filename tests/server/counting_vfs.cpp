#include "counting_vfs.h"

#include <pthread.h>

#include <string_view>

#include <sqlite3.h>

#include <chrono>
#include <cstring>

namespace mxr::server::test {
namespace {

struct ShimFile {
    sqlite3_file base;
    sqlite3_file* real;
    bool wal;
    bool db;
};

sqlite3_vfs* realVfs() { return sqlite3_vfs_find(nullptr); }
sqlite3_file* R(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }

int xClose(sqlite3_file* f) { return R(f)->pMethods ? R(f)->pMethods->xClose(R(f)) : SQLITE_OK; }
int xRead(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return R(f)->pMethods->xRead(R(f), b, n, o); }
int xWrite(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    if (reinterpret_cast<ShimFile*>(f)->wal) {
        ++CountingVfs::instance().walWrites;
        if (CountingVfs::instance().failWalWrites) return SQLITE_IOERR_WRITE;
    }
    if (reinterpret_cast<ShimFile*>(f)->db) ++CountingVfs::instance().dbWrites;
    return R(f)->pMethods->xWrite(R(f), b, n, o);
}
int xTruncate(sqlite3_file* f, sqlite3_int64 s) { return R(f)->pMethods->xTruncate(R(f), s); }
int xSync(sqlite3_file* f, int flags) {
    auto* s = reinterpret_cast<ShimFile*>(f);
    if (s->wal) {
        CountingVfs::instance().onWalSync();
        if (CountingVfs::instance().failWalSyncs) return SQLITE_IOERR_FSYNC;
    }
    if (s->db) {
        ++CountingVfs::instance().dbSyncs;
        char name[16] = {};
        pthread_getname_np(pthread_self(), name, sizeof name);
        if (std::string_view(name) == "mxr-writer") ++CountingVfs::instance().dbSyncsOnWriter;
    }
    return s->real->pMethods->xSync(s->real, flags);
}
int xFileSize(sqlite3_file* f, sqlite3_int64* s) { return R(f)->pMethods->xFileSize(R(f), s); }
int xLock(sqlite3_file* f, int l) { return R(f)->pMethods->xLock(R(f), l); }
int xUnlock(sqlite3_file* f, int l) { return R(f)->pMethods->xUnlock(R(f), l); }
int xCheckReservedLock(sqlite3_file* f, int* o) { return R(f)->pMethods->xCheckReservedLock(R(f), o); }
int xFileControl(sqlite3_file* f, int op, void* a) { return R(f)->pMethods->xFileControl(R(f), op, a); }
int xSectorSize(sqlite3_file* f) { return R(f)->pMethods->xSectorSize(R(f)); }
int xDeviceCharacteristics(sqlite3_file* f) { return R(f)->pMethods->xDeviceCharacteristics(R(f)); }
int xShmMap(sqlite3_file* f, int i, int sz, int e, void volatile** p) { return R(f)->pMethods->xShmMap(R(f), i, sz, e, p); }
int xShmLock(sqlite3_file* f, int o, int n, int fl) { return R(f)->pMethods->xShmLock(R(f), o, n, fl); }
void xShmBarrier(sqlite3_file* f) { R(f)->pMethods->xShmBarrier(R(f)); }
int xShmUnmap(sqlite3_file* f, int d) { return R(f)->pMethods->xShmUnmap(R(f), d); }
int xFetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) { return R(f)->pMethods->xFetch(R(f), o, n, p); }
int xUnfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return R(f)->pMethods->xUnfetch(R(f), o, p); }

const sqlite3_io_methods kMethods = {3,          xClose,         xRead,       xWrite,     xTruncate,
                                     xSync,      xFileSize,      xLock,       xUnlock,    xCheckReservedLock,
                                     xFileControl, xSectorSize,  xDeviceCharacteristics,  xShmMap,
                                     xShmLock,   xShmBarrier,    xShmUnmap,   xFetch,     xUnfetch};

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* outFlags) {
    auto* s = reinterpret_cast<ShimFile*>(f);
    std::memset(s, 0, sizeof(ShimFile));
    s->real = reinterpret_cast<sqlite3_file*>(s + 1);
    s->wal = (flags & SQLITE_OPEN_WAL) != 0;
    s->db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    const int rc = realVfs()->xOpen(realVfs(), name, s->real, flags, outFlags);
    // SQLite calls xClose only when pMethods is set, so leave it null on failure.
    s->base.pMethods = s->real->pMethods ? &kMethods : nullptr;
    return rc;
}

int xDelete(sqlite3_vfs*, const char* n, int d) { return realVfs()->xDelete(realVfs(), n, d); }
int xAccess(sqlite3_vfs*, const char* n, int fl, int* o) { return realVfs()->xAccess(realVfs(), n, fl, o); }
int xFullPathname(sqlite3_vfs*, const char* n, int sz, char* o) { return realVfs()->xFullPathname(realVfs(), n, sz, o); }
void* xDlOpen(sqlite3_vfs*, const char* n) { return realVfs()->xDlOpen(realVfs(), n); }
void xDlError(sqlite3_vfs*, int n, char* m) { realVfs()->xDlError(realVfs(), n, m); }
void (*xDlSym(sqlite3_vfs*, void* h, const char* s))(void) { return realVfs()->xDlSym(realVfs(), h, s); }
void xDlClose(sqlite3_vfs*, void* h) { realVfs()->xDlClose(realVfs(), h); }
int xRandomness(sqlite3_vfs*, int n, char* o) { return realVfs()->xRandomness(realVfs(), n, o); }
int xSleep(sqlite3_vfs*, int us) { return realVfs()->xSleep(realVfs(), us); }
int xCurrentTime(sqlite3_vfs*, double* t) { return realVfs()->xCurrentTime(realVfs(), t); }
int xGetLastError(sqlite3_vfs*, int n, char* m) { return realVfs()->xGetLastError(realVfs(), n, m); }
int xCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* t) { return realVfs()->xCurrentTimeInt64(realVfs(), t); }

}  // namespace

CountingVfs& CountingVfs::instance() {
    static CountingVfs vfs;
    static sqlite3_vfs shim = [] {
        sqlite3_vfs v{};
        v.iVersion = 2;
        v.szOsFile = static_cast<int>(sizeof(ShimFile)) + realVfs()->szOsFile;
        v.mxPathname = realVfs()->mxPathname;
        v.zName = kName;
        v.xOpen = xOpen;
        v.xDelete = xDelete;
        v.xAccess = xAccess;
        v.xFullPathname = xFullPathname;
        v.xDlOpen = xDlOpen;
        v.xDlError = xDlError;
        v.xDlSym = xDlSym;
        v.xDlClose = xDlClose;
        v.xRandomness = xRandomness;
        v.xSleep = xSleep;
        v.xCurrentTime = xCurrentTime;
        v.xGetLastError = xGetLastError;
        v.xCurrentTimeInt64 = xCurrentTimeInt64;
        return v;
    }();
    static const bool registered = sqlite3_vfs_register(&shim, 0) == SQLITE_OK;
    (void)registered;
    return vfs;
}

void CountingVfs::onWalSync() {
    ++walSyncs;
    std::unique_lock lock(m_mutex);
    ++m_blocked;
    m_cv.notify_all();
    m_cv.wait(lock, [&] { return !m_closed; });
}

void CountingVfs::closeGate() {
    std::lock_guard lock(m_mutex);
    m_closed = true;
    m_blocked = 0;
}

void CountingVfs::openGate() {
    {
        std::lock_guard lock(m_mutex);
        m_closed = false;
    }
    m_cv.notify_all();
}

bool CountingVfs::waitForBlockedSyncs(int n) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, std::chrono::seconds(10), [&] { return m_blocked >= n; });
}

}  // namespace mxr::server::test
