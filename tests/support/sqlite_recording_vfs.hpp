// A SQLite VFS for tests that watch what SQLite does with its files: while it lives it is the
// default VFS, forwards everything to the real one and notes which threads write to main
// database files, how many statement journals are opened, and each write and sync of a
// database file or write-ahead log, in order.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace weir::test {

class RecordingVfs {
 public:
  RecordingVfs() : real_(sqlite3_vfs_find(nullptr)) {
    vfs_ = *real_;
    vfs_.zName = "weir-test-recording";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &open;
    methods_ = {};
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~RecordingVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(real_, 1);
  }
  RecordingVfs(const RecordingVfs&) = delete;
  RecordingVfs& operator=(const RecordingVfs&) = delete;

  std::set<std::thread::id> database_writers() {
    std::lock_guard lock(mutex_);
    return writers_;
  }
  // Statement journals opened: SQLite opens one once a statement's journal outgrows memory.
  int statement_journals() const noexcept { return statement_journals_; }
  // Syncs of write-ahead logs: with synchronous=FULL, one per commit.
  int log_syncs() const noexcept { return log_syncs_; }
  // Writes and syncs of database files and logs, in order, each with its file's path.
  struct Event {
    std::string file;
    bool sync;  // else a write
  };
  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
    RecordingVfs* vfs;
    int flags;
    const char* name;  // SQLite keeps it valid until xClose
    bool watched() const noexcept { return name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)); }
    void note(bool sync) {
      if (!watched()) return;
      std::lock_guard lock(vfs->mutex_);
      vfs->events_.push_back({name, sync});
    }
  };
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static int open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
    auto* self = static_cast<RecordingVfs*>(vfs->pAppData);
    auto* f = reinterpret_cast<File*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->vfs = self;
    f->flags = flags;
    f->name = name;
    if (flags & SQLITE_OPEN_SUBJOURNAL) ++self->statement_journals_;
    int rc = self->real_->xOpen(self->real_, name, f->real, flags, out);
    if (!f->real->pMethods) {
      f->base.pMethods = nullptr;
      return rc;
    }
    std::call_once(self->methods_made_, [&] { self->make_methods(*f->real->pMethods); });
    f->base.pMethods = &self->methods_;
    return rc;
  }

  void make_methods(const sqlite3_io_methods& m) {
    methods_.iVersion = std::min(m.iVersion, 3);
    methods_.xClose = [](sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); };
    methods_.xRead = [](sqlite3_file* f, void* p, int n, sqlite3_int64 at) {
      return real(f)->pMethods->xRead(real(f), p, n, at);
    };
    methods_.xWrite = [](sqlite3_file* f, const void* p, int n, sqlite3_int64 at) {
      auto* file = reinterpret_cast<File*>(f);
      if (file->flags & SQLITE_OPEN_MAIN_DB) {
        std::lock_guard lock(file->vfs->mutex_);
        file->vfs->writers_.insert(std::this_thread::get_id());
      }
      file->note(false);
      return real(f)->pMethods->xWrite(real(f), p, n, at);
    };
    methods_.xTruncate = [](sqlite3_file* f, sqlite3_int64 n) { return real(f)->pMethods->xTruncate(real(f), n); };
    methods_.xSync = [](sqlite3_file* f, int flags) {
      auto* file = reinterpret_cast<File*>(f);
      if (file->flags & SQLITE_OPEN_WAL) ++file->vfs->log_syncs_;
      file->note(true);
      return real(f)->pMethods->xSync(real(f), flags);
    };
    methods_.xFileSize = [](sqlite3_file* f, sqlite3_int64* n) { return real(f)->pMethods->xFileSize(real(f), n); };
    methods_.xLock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); };
    methods_.xUnlock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); };
    methods_.xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return real(f)->pMethods->xCheckReservedLock(real(f), out);
    };
    methods_.xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return real(f)->pMethods->xFileControl(real(f), op, arg);
    };
    methods_.xSectorSize = [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); };
    methods_.xDeviceCharacteristics = [](sqlite3_file* f) {
      return real(f)->pMethods->xDeviceCharacteristics(real(f));
    };
    methods_.xShmMap = [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
      return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
    };
    methods_.xShmLock = [](sqlite3_file* f, int at, int n, int flags) {
      return real(f)->pMethods->xShmLock(real(f), at, n, flags);
    };
    methods_.xShmBarrier = [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); };
    methods_.xShmUnmap = [](sqlite3_file* f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); };
    methods_.xFetch = [](sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
      return real(f)->pMethods->xFetch(real(f), at, n, out);
    };
    methods_.xUnfetch = [](sqlite3_file* f, sqlite3_int64 at, void* p) {
      return real(f)->pMethods->xUnfetch(real(f), at, p);
    };
  }

  sqlite3_vfs* real_;
  sqlite3_vfs vfs_;
  sqlite3_io_methods methods_;
  std::once_flag methods_made_;
  std::mutex mutex_;
  std::set<std::thread::id> writers_;
  std::vector<Event> events_;
  std::atomic<int> statement_journals_{0};
  std::atomic<int> log_syncs_{0};
};

}  // namespace weir::test
