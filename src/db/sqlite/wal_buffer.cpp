#include "db/sqlite/wal_buffer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace weir::db::sqlite {
namespace {

constexpr const char* kName = "weir-wal-buffer";
// Room for two frames of the largest pages (64 KiB), written out in calls of at most
// kWriteBytes: SQLite's unix VFS writes at most 128 KiB - 1 bytes per call (a longer write is
// cut short, which it reports as a full disk).
constexpr sqlite3_int64 kBufferBytes = sqlite3_int64{128} << 10;
constexpr sqlite3_int64 kWriteBytes = sqlite3_int64{64} << 10;
// The log's layout (https://sqlite.org/fileformat2.html#walformat): a 32-byte header holding
// the page size, then frames of a 24-byte header and a page; a frame header's second field is
// non-zero only in the frame that commits a transaction.
constexpr sqlite3_int64 kLogHeaderBytes = 32;
constexpr sqlite3_int64 kFrameHeaderBytes = 24;
// Room for the default VFS's file object (the unix VFS's takes about 120 bytes).
constexpr int kReservedBytes = 4096;

std::uint32_t big_endian(const void* at) {
  const auto* p = static_cast<const unsigned char*>(at);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// The VFS that does the work: the default one when the file is opened (a test may have put its
// own in front of SQLite's).
sqlite3_vfs* base() { return sqlite3_vfs_find(nullptr); }

// A write-ahead log opened through this VFS; SQLite allocates it (szOsFile) and the default
// VFS's file object follows it. Plain data: SQLite neither constructs nor destroys it.
struct Log {
  sqlite3_file file;
  sqlite3_file* real;
  unsigned char* buffer;     // kBufferBytes, from sqlite3_malloc64 on first use
  sqlite3_int64 start;       // the log offset of buffer[0]
  sqlite3_int64 length;      // bytes buffered
  sqlite3_int64 commit_end;  // where the frame that commits ends, once its header is written; 0: none
  sqlite3_int64 page_size;   // from the log's header; 0: unknown, so nothing is buffered
  bool header_read;          // the header of a log found on disk was looked at
};

Log& log_of(sqlite3_file* f) { return *reinterpret_cast<Log*>(f); }
sqlite3_file* real(sqlite3_file* f) { return log_of(f).real; }

int flush(Log& log) {
  int rc = SQLITE_OK;
  for (sqlite3_int64 done = 0; done < log.length && rc == SQLITE_OK; done += kWriteBytes) {
    const auto n = static_cast<int>(std::min(kWriteBytes, log.length - done));
    rc = log.real->pMethods->xWrite(log.real, log.buffer + done, n, log.start + done);
  }
  log.length = 0;  // written or failed: a failed commit's frames are never written later
  return rc;
}

// The page size a log header states, or 0 when it is not one.
sqlite3_int64 page_size_of(const void* header) {
  const std::uint32_t magic = big_endian(header);
  const std::uint32_t size = big_endian(static_cast<const unsigned char*>(header) + 8);
  const bool valid = (magic == 0x377f0682 || magic == 0x377f0683) && size >= 512 && size <= 65536 &&
                     (size & (size - 1)) == 0;
  return valid ? size : 0;
}

// A log that existed before this connection wrote to it: its header states the page size.
void read_header(Log& log) {
  log.header_read = true;
  unsigned char header[kLogHeaderBytes];
  if (log.real->pMethods->xRead(log.real, header, sizeof header, 0) == SQLITE_OK) log.page_size = page_size_of(header);
}

// Whether a write of `n` bytes at `at` is one SQLite makes of a log whose page size is known:
// its header, a frame's header, its page, or a whole frame. In `commits`, whether it holds the
// header of a frame that commits; `frame_at` is where that frame starts.
bool is_log_write(const Log& log, const void* data, int n, sqlite3_int64 at, bool& commits, sqlite3_int64& frame_at) {
  commits = false;
  if (log.page_size == 0) return false;
  if (at == 0 && n == kLogHeaderBytes) return true;
  const sqlite3_int64 frame = kFrameHeaderBytes + log.page_size;
  if (at < kLogHeaderBytes) return false;
  const sqlite3_int64 into = (at - kLogHeaderBytes) % frame;
  frame_at = at - into;
  if (into == kFrameHeaderBytes) return n == log.page_size;
  if (into != 0 || (n != kFrameHeaderBytes && n != frame)) return false;
  commits = big_endian(static_cast<const unsigned char*>(data) + 4) != 0;
  return true;
}

bool has_buffer(Log& log) {
  if (!log.buffer) log.buffer = static_cast<unsigned char*>(sqlite3_malloc64(kBufferBytes));
  return log.buffer != nullptr;
}

int log_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
  Log& log = log_of(f);
  if (at == 0 && n == kLogHeaderBytes) {  // the log starts (again)
    log.page_size = page_size_of(data);
    log.commit_end = 0;
  }
  if (log.page_size == 0 && !log.header_read && log.length == 0) read_header(log);
  bool commits = false;
  sqlite3_int64 frame_at = 0;
  const bool buffered = is_log_write(log, data, n, at, commits, frame_at) && has_buffer(log);
  const bool fits = log.length == 0 || (at >= log.start && at <= log.start + log.length &&
                                        at + n - log.start <= kBufferBytes);
  if (!buffered || !fits) {
    if (int rc = flush(log); rc != SQLITE_OK) return rc;
  }
  if (!buffered) {
    if (log.commit_end != 0 && at + n >= log.commit_end) log.commit_end = 0;  // written below, unbuffered
    return log.real->pMethods->xWrite(log.real, data, n, at);
  }
  if (log.length == 0) log.start = at;
  std::memcpy(log.buffer + (at - log.start), data, static_cast<std::size_t>(n));
  log.length = std::max(log.length, at + n - log.start);
  // The header of the frame that commits goes to the kernel at once, with the frames before it
  // (SQLite may write it last, rewriting the checksums of frames written twice), and so does
  // its page: all before SQLite tells other connections of the commit in the wal-index.
  if (commits) {
    log.commit_end = frame_at + kFrameHeaderBytes + log.page_size;
    return flush(log);
  }
  if (log.commit_end != 0 && at + n >= log.commit_end) {
    log.commit_end = 0;
    return flush(log);
  }
  return SQLITE_OK;
}

int log_close(sqlite3_file* f) {
  Log& log = log_of(f);
  const int flushed = flush(log);
  const int closed = log.real->pMethods->xClose(log.real);
  sqlite3_free(log.buffer);
  log.buffer = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

// Everything but a write sees the log as written: the buffer goes first.
template <auto Method, class... Args>
int flushed_then(sqlite3_file* f, Args... args) {
  if (int rc = flush(log_of(f)); rc != SQLITE_OK) return rc;
  return (real(f)->pMethods->*Method)(real(f), args...);
}

const sqlite3_io_methods& log_methods() {
  using M = sqlite3_io_methods;
  static const M methods = [] {
    M m{};
    m.iVersion = 1;  // SQLite maps and locks the database file, never its log
    m.xClose = &log_close;
    m.xRead = &flushed_then<&M::xRead, void*, int, sqlite3_int64>;
    m.xWrite = &log_write;
    m.xTruncate = &flushed_then<&M::xTruncate, sqlite3_int64>;
    m.xSync = &flushed_then<&M::xSync, int>;
    m.xFileSize = &flushed_then<&M::xFileSize, sqlite3_int64*>;
    m.xLock = [](sqlite3_file* f, int lock) { return real(f)->pMethods->xLock(real(f), lock); };
    m.xUnlock = [](sqlite3_file* f, int lock) { return real(f)->pMethods->xUnlock(real(f), lock); };
    m.xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return real(f)->pMethods->xCheckReservedLock(real(f), out);
    };
    m.xFileControl = &flushed_then<&M::xFileControl, int, void*>;
    m.xSectorSize = [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); };
    m.xDeviceCharacteristics = [](sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); };
    return m;
  }();
  return methods;
}

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* vfs = base();
  if (vfs->szOsFile > kReservedBytes) return SQLITE_CANTOPEN;
  if (!(flags & SQLITE_OPEN_WAL)) return vfs->xOpen(vfs, name, file, flags, out_flags);  // the default's own
  auto* log = reinterpret_cast<Log*>(file);
  *log = Log{};
  log->real = reinterpret_cast<sqlite3_file*>(log + 1);
  const int rc = vfs->xOpen(vfs, name, log->real, flags, out_flags);
  log->file.pMethods = log->real->pMethods ? &log_methods() : nullptr;  // nullptr: nothing to close
  return rc;
}

sqlite3_vfs make_vfs() {
  static_assert(sizeof(Log) % 8 == 0, "the default VFS's file object follows a Log");
  sqlite3_vfs v{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(Log)) + kReservedBytes;
  v.mxPathname = base()->mxPathname;
  v.zName = kName;
  v.xOpen = &open_file;
  v.xDelete = [](sqlite3_vfs*, const char* name, int sync) { return base()->xDelete(base(), name, sync); };
  v.xAccess = [](sqlite3_vfs*, const char* name, int flags, int* out) {
    return base()->xAccess(base(), name, flags, out);
  };
  v.xFullPathname = [](sqlite3_vfs*, const char* name, int n, char* out) {
    return base()->xFullPathname(base(), name, n, out);
  };
  v.xDlOpen = [](sqlite3_vfs*, const char* name) { return base()->xDlOpen(base(), name); };
  v.xDlError = [](sqlite3_vfs*, int n, char* out) { base()->xDlError(base(), n, out); };
  v.xDlSym = [](sqlite3_vfs*, void* lib, const char* symbol) { return base()->xDlSym(base(), lib, symbol); };
  v.xDlClose = [](sqlite3_vfs*, void* lib) { base()->xDlClose(base(), lib); };
  v.xRandomness = [](sqlite3_vfs*, int n, char* out) { return base()->xRandomness(base(), n, out); };
  v.xSleep = [](sqlite3_vfs*, int micros) { return base()->xSleep(base(), micros); };
  v.xCurrentTime = [](sqlite3_vfs*, double* out) { return base()->xCurrentTime(base(), out); };
  v.xGetLastError = [](sqlite3_vfs*, int n, char* out) { return base()->xGetLastError(base(), n, out); };
  v.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
    sqlite3_vfs* b = base();
    if (b->iVersion >= 2 && b->xCurrentTimeInt64) return b->xCurrentTimeInt64(b, out);
    double days = 0;
    const int rc = b->xCurrentTime(b, &days);
    *out = static_cast<sqlite3_int64>(days * 86400000.0);
    return rc;
  };
  return v;
}

}  // namespace

const char* wal_buffer_vfs() {
  static sqlite3_vfs vfs = make_vfs();
  static const bool registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
  return registered ? kName : nullptr;  // nullptr: the default VFS
}

}  // namespace weir::db::sqlite
