// A SQLite VFS that hands a write-ahead log's frames to the kernel a transaction at a time.
//
// SQLite writes each WAL frame with two pwrite() calls, its 24-byte header and then its page:
// a 1,000,000-row SQLite copy (37,000 pages of 4 KiB) made 74,000 of them on the writer's
// thread, each taking the page cache's locks for a few bytes. This VFS wraps the default one and
// keeps a log's consecutive writes in a buffer (kBufferBytes), written in 64 KiB calls when it
// fills, when the header of the frame that commits a transaction is written and when that
// frame's page is: before SQLite publishes the commit in the shared wal-index, so every other
// connection reading the log (and a recovery after a crash) finds the frames it is told of, and
// a failed write fails the commit, as it would have without the buffer.
// Anything else done with the log (a read, a sync, its size, truncating it, closing it, a write
// elsewhere) writes the buffer first. The frames of a transaction not yet committed are all a
// crash can lose with them, as SQLite's own recovery would discard them anyway. Files other
// than write-ahead logs are the default VFS's own.
#pragma once

struct sqlite3_vfs;

namespace weir::db::sqlite {

// The VFS's name, for sqlite3_open_v2(), registered (not as the default) on first use.
const char* wal_buffer_vfs();

}  // namespace weir::db::sqlite
