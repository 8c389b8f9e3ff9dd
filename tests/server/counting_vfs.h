#pragma once
// A SQLite VFS shim for durability tests: forwards everything to the default
// VFS, counts xSync and xWrite calls on WAL and database files, can fail
// either on WAL files, and can hold syncs at a gate so a test can observe
// what happens while an fsync is in progress.
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace mxr::server::test {

class CountingVfs {
public:
    static constexpr const char* kName = "mxr-counting";
    // Registers the shim once per process (SQLite's VFS list is global) and
    // returns it.
    static CountingVfs& instance();

    std::atomic<int> walSyncs{0};
    std::atomic<int> dbSyncs{0};
    std::atomic<int> dbSyncsOnWriter{0};  // of those, on the store's writer thread (a checkpoint in a commit)
    // While set, xSync on a WAL file fails with SQLITE_IOERR_FSYNC (a disk
    // that lost the data it was asked to make durable).
    std::atomic<bool> failWalSyncs{false};
    std::atomic<int> walWrites{0};
    std::atomic<int> dbWrites{0};  // xWrite on database files: in WAL mode, a checkpoint's page copies
    // While set, xWrite on a WAL file fails with SQLITE_IOERR_WRITE (a disk
    // that failed to take the bytes, EIO).
    std::atomic<bool> failWalWrites{false};

    // While closed, xSync on a WAL file waits (after counting syncsEntered).
    void closeGate();
    void openGate();
    // Blocks until at least n WAL syncs have entered the gate since
    // closeGate(); false if that does not happen within 10 s (no fsync at all
    // is a failure, not a hang).
    bool waitForBlockedSyncs(int n);

    // Called from the VFS.
    void onWalSync();

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_closed = false;
    int m_blocked = 0;
};

}  // namespace mxr::server::test
