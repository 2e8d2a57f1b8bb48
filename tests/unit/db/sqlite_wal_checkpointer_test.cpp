// The WAL checkpoints of a SQLite bulk writer (src/db/sqlite/wal_checkpointer.cpp): they run
// on a thread of their own, not inside the writer's commits, the log stays bounded, and the
// database ends whole. What runs where is seen through a VFS that records the threads writing
// to the database file: in WAL mode only checkpoints write there.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "db/sqlite/wal_checkpointer.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::db {
namespace {

using sqlite::WalCheckpointer;

// The default VFS while it lives: forwards everything to the real one, noting which threads
// write to main database files.
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
  std::set<std::thread::id> database_writers() {
    std::lock_guard lock(mutex_);
    return writers_;
  }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
    RecordingVfs* vfs;
    bool main_db;
  };
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static int open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
    auto* self = static_cast<RecordingVfs*>(vfs->pAppData);
    auto* f = reinterpret_cast<File*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->vfs = self;
    f->main_db = flags & SQLITE_OPEN_MAIN_DB;
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
      if (file->main_db) {
        std::lock_guard lock(file->vfs->mutex_);
        file->vfs->writers_.insert(std::this_thread::get_id());
      }
      return real(f)->pMethods->xWrite(real(f), p, n, at);
    };
    methods_.xTruncate = [](sqlite3_file* f, sqlite3_int64 n) { return real(f)->pMethods->xTruncate(real(f), n); };
    methods_.xSync = [](sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); };
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
};

// Makes `file` a WAL database of 512-byte pages with table t: a few megabytes fill the log.
void make_small_page_database(const std::string& file) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA page_size = 512; PRAGMA journal_mode = wal; "
                              "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
}

std::unique_ptr<Connection> open(const std::string& url) {
  return connect(ConnectionConfig{.name = "test", .url = Url::parse(url), .init_script = {}});
}

class SqliteWalCheckpointer : public ::testing::Test {
 protected:
  // Writes `batches` transactions of `rows` rows of 400 bytes (about a page each) through a
  // bulk writer, calling `after_commit` after each.
  void write(Connection& c, int batches, int rows, const std::function<void()>& after_commit = [] {}) {
    WriteSpec spec{.table = TableRef{"", "t"}, .columns = {"id", "payload"}, .mode = WriteMode::insert, .key = {}};
    auto writer = c.bulk_writer(spec);
    Column id, payload;
    id.name = "id";
    id.type = Type::int64;
    payload.name = "payload";
    payload.type = Type::text;
    Batch batch(std::make_shared<const Schema>(std::vector<Column>{id, payload}));
    for (int b = 0; b < batches; ++b) {
      batch.clear();
      for (int r = 0; r < rows; ++r) {
        auto row = batch.append_row();
        row[0] = Value(std::int64_t{next_id_++});
        row[1] = Value(std::string(400, static_cast<char>('a' + next_id_ % 26)));
      }
      Transaction tx(c);
      writer->write(batch);
      tx.commit();
      after_commit();
    }
  }

  test::TempDir dir;
  std::string file = dir.file("a.db");
  std::int64_t next_id_ = 1;
};

// Before: SQLite ran each checkpoint inside the commit that took the log past 1000 pages, on
// the writer's thread, which waited for it.
TEST_F(SqliteWalCheckpointer, ABulkWritersCheckpointsRunOffItsThread) {
  make_small_page_database(file);
  RecordingVfs vfs;
  auto c = open("sqlite:" + file);
  write(*c, 3, 2 * WalCheckpointer::kCheckpointPages);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (vfs.database_writers().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto writers = vfs.database_writers();
  ASSERT_FALSE(writers.empty()) << "no checkpoint wrote to the database file within 30 s";
  EXPECT_EQ(writers.count(std::this_thread::get_id()), 0u) << "the writer's own thread checkpointed";
  c.reset();
  auto check = open("sqlite:" + file);
  EXPECT_EQ(test::scalar(*check, "SELECT count(*) FROM t"), std::to_string(6 * WalCheckpointer::kCheckpointPages));
}

// A writer that never pauses does not let the log start over while a checkpoint runs beside
// it: its commits wait once the log passes kWalLimitPages, so it stays bounded.
TEST_F(SqliteWalCheckpointer, TheLogStaysBoundedUnderAWriterThatNeverPauses) {
  make_small_page_database(file);
  auto c = open("sqlite:" + file);
  const std::string wal = file + "-wal";
  const int rows_per_batch = 1500;  // rows of about one page each: more pages than a checkpoint asks for
  const auto frame = 512 + 24;
  const std::uintmax_t bound = std::uintmax_t(WalCheckpointer::kWalLimitPages + 2 * rows_per_batch + 100) * frame;
  std::uintmax_t largest = 0;
  write(*c, 40, rows_per_batch, [&] { largest = std::max(largest, std::filesystem::file_size(wal)); });
  EXPECT_LE(largest, bound) << "pages: " << largest / frame;
  EXPECT_GT(largest, std::uintmax_t(rows_per_batch) * frame) << "the log was used";
  EXPECT_EQ(test::scalar(*c, "SELECT count(*) || ' ' || sum(length(payload)) FROM t"),
            std::to_string(40 * rows_per_batch) + " " + std::to_string(40 * rows_per_batch * 400));
  c.reset();
  EXPECT_FALSE(std::filesystem::exists(wal)) << "closing the last connection checkpoints and removes the log";
}

// Not a WAL database (journal_mode=delete, or in memory): no checkpointer, nothing changes.
TEST_F(SqliteWalCheckpointer, OtherJournalModesWriteAsBefore) {
  for (const std::string& url : {"sqlite:" + file + "?journal_mode=delete", std::string("sqlite::memory:")}) {
    auto c = open(url);
    c->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    write(*c, 2, 1500);
    EXPECT_EQ(test::scalar(*c, "SELECT count(*) FROM t"), "3000") << url;
    EXPECT_FALSE(std::filesystem::exists(file + "-wal")) << url;
    next_id_ = 1;
  }
}

}  // namespace
}  // namespace weir::db
