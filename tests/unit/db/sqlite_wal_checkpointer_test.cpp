// The WAL checkpoints of a SQLite bulk writer (src/db/sqlite/wal_checkpointer.cpp): they run
// on a thread of their own, not inside the writer's commits, the log stays bounded, and the
// database ends whole. What runs where is seen through a VFS that records the threads writing
// to the database file (sqlite_recording_vfs.hpp): in WAL mode only checkpoints write there.
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
#include "support/sqlite_recording_vfs.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::db {
namespace {

using sqlite::WalCheckpointer;

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
    Batch batch(test::schema_of({{"id", Type::int64}, {"payload", Type::text}}));
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
  test::RecordingVfs vfs;
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
