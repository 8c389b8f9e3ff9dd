#pragma once
// A SQLite VFS that gathers the write-ahead log's appends into one write.
// Private to server/.
//
// SQLite writes each WAL frame with two calls (its 24-byte header, then the
// page), so a group commit of 50 goals made about 250 pwrite(2) calls, the
// writer thread's largest cost (a third of its CPU; a system call is dear on
// a virtual machine). Over this VFS, appends to a WAL file are copied into
// one buffer per WAL, and written to the file in order with one call when
// the bytes are needed:
//   - before the file is synced (xSync): the store's syncer makes every
//     acknowledged write durable that way, and a checkpoint syncs the WAL
//     before it copies it into the database;
//   - before any connection reads bytes still in the buffer (a reader that
//     sees a commit before the syncer wrote it out), and before the file's
//     size is asked, it is truncated or it closes;
//   - before a write that does not follow the buffered bytes, and when the
//     buffer passes kWalBufferFlushBytes.
// What reaches the disk, in what order, and what an fsync covers are as
// without the buffer; only the number of system calls changes. Every other
// file (the database, journals, temporary files) is the base VFS's own.
// Only connections through this VFS see the buffered bytes: use it over a
// VFS that keeps other processes out (the store's unix-excl).
//
// A failed write of the buffer is sticky for that WAL: every later read,
// write and sync of it fails (SQLITE_IOERR), because SQLite already counts
// the lost frames as written and would read stale bytes for them. The store
// refuses writes after a failed sync anyway (fail-stop); reads that need the
// WAL fail until a restart, whose recovery drops the frames never written
// (none of them was acknowledged).
//
// Thread: the VFS and its files may be used from any threads, as SQLite's
// own; one mutex per WAL file guards its buffer.
#include <cstddef>
#include <string>

#include "engine/core/result.h"

namespace mxr::server {

inline constexpr std::size_t kWalBufferFlushBytes = std::size_t{2} << 20;

// Registers (once per base) the buffering VFS over the VFS named `base`
// ("" = SQLite's default) and returns its name, "mxr-walbuf:<base>".
Result<std::string> walBufferVfs(const std::string& base);

}  // namespace mxr::server
