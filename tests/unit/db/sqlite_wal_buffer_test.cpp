// The write-ahead log buffer (src/db/sqlite/wal_buffer.cpp): a transaction's frames reach the
// log in a few writes, not two per page, and still before another connection can see the
// commit; a rolled-back transaction or a killed writer leaves the database whole. Writes are
// seen through a VFS that records them (sqlite_recording_vfs.hpp).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "support/sqlite_recording_vfs.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::db {
namespace {

// Inserts `rows` rows of 400 bytes (about 10 to a 4 KiB page).
std::string insert_sql(int rows) {
  return fmt::format("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {}) "
                     "INSERT INTO t (payload) SELECT substr(hex(randomblob(200)), 1, 400) FROM s",
                     rows);
}
void insert_rows(Connection& c, int rows) { c.execute(insert_sql(rows)); }

// What a second connection, opened with SQLite's default VFS, sees of table t now.
std::string seen_elsewhere(const std::string& file) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(raw, "SELECT count(*) || ' ' || coalesce(sum(length(payload)), 0) FROM t", -1, &stmt, nullptr) !=
      SQLITE_OK)
    return sqlite3_errmsg(raw);
  std::string out = sqlite3_step(stmt) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))
                                                     : sqlite3_errmsg(raw);
  sqlite3_finalize(stmt);
  return out;
}

std::string rows_of(int rows) { return fmt::format("{} {}", rows, rows * 400); }

class SqliteWalBuffer : public ::testing::Test {
 protected:
  std::unique_ptr<Connection> open() {
    auto c = connect(ConnectionConfig{.name = "test", .url = Url::parse("sqlite:" + file), .init_script = {}});
    c->execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    return c;
  }
  // Runs `write` in a child process on a connection with a 64 KiB page cache and deferred
  // syncs; `write` ends it with SIGKILL.
  void killed_writer(const std::function<void(Connection&)>& write) {
    open().reset();
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto c = connect(ConnectionConfig{
          .name = "test", .url = Url::parse("sqlite:" + file + "?cache_size=64&synchronous=normal"), .init_script = {}});
      write(*c);
      std::_Exit(0);  // not reached
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  // Writes to the log recorded since event `from`.
  int log_writes(std::size_t from) {
    int writes = 0;
    auto events = vfs.events();
    for (std::size_t i = from; i < events.size(); ++i)
      writes += !events[i].sync && events[i].file.ends_with("-wal");
    return writes;
  }

  test::RecordingVfs vfs;  // first: connections keep the VFS they opened with
  test::TempDir dir;
  std::string file = dir.file("a.db");
};

// Before (as SQLite's own VFS still does, on a second file): two writes per page, a frame's
// 24-byte header and then its page — 28 for these 100 rows.
TEST_F(SqliteWalBuffer, ATransactionsFramesReachTheLogInTwoWrites) {
  const std::string plain = dir.file("plain.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(plain.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> own(raw, &sqlite3_close);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::size_t before = vfs.events().size();
  ASSERT_EQ(sqlite3_exec(raw, fmt::format("BEGIN; {}; COMMIT", insert_sql(100)).c_str(), nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_GE(log_writes(before), 20);

  auto c = open();
  before = vfs.events().size();
  {
    Transaction tx(*c);
    c->execute(insert_sql(100));
    tx.commit();
  }
  // The frames up to the header of the one that commits, then its page.
  EXPECT_EQ(log_writes(before), 2);
  EXPECT_EQ(seen_elsewhere(file), rows_of(100));
}

// Each commit is in the log before another connection is told of it, whether its frames fit the
// buffer or fill it several times over; rolled-back frames are never seen.
TEST_F(SqliteWalBuffer, AnotherConnectionSeesEveryCommitAtOnce) {
  auto c = open();
  int committed = 0;
  for (int rows : {1, 7, 300, 3000, 12, 6000, 1}) {
    {
      Transaction rolled_back(*c);
      insert_rows(*c, rows);
    }
    Transaction tx(*c);
    insert_rows(*c, rows);
    tx.commit();
    committed += rows;
    ASSERT_EQ(seen_elsewhere(file), rows_of(committed)) << "after a commit of " << rows << " rows";
  }
  EXPECT_EQ(test::scalar(*c, "PRAGMA integrity_check"), "ok");
}

// A writer killed right after a commit whose pages went to the log twice (the page cache
// spilled, then the same pages changed again: SQLite rewrites the frames' checksums as it
// commits, the commit's header last), with synchronous=NORMAL: no sync writes the buffer out.
// A buffer that kept that rewritten header lost the whole committed transaction ("0 0").
TEST_F(SqliteWalBuffer, AWriterKilledJustAfterACommitKeepsIt) {
  killed_writer([](Connection& c) {
    {
      Transaction tx(c);
      insert_rows(c, 2000);  // 800 KB through a 64 KiB page cache
      c.execute("UPDATE t SET payload = payload || 'x' WHERE id > 1000");
      tx.commit();
    }
    std::raise(SIGKILL);
  });
  EXPECT_EQ(seen_elsewhere(file), fmt::format("2000 {}", 2000 * 400 + 1000));
  EXPECT_EQ(test::scalar(*open(), "PRAGMA integrity_check"), "ok");
}

// Killed inside a transaction whose frames sit in the buffer: the next connection recovers
// every committed row and nothing else.
TEST_F(SqliteWalBuffer, AWriterKilledMidTransactionLosesOnlyThatTransaction) {
  killed_writer([](Connection& c) {
    for (int i = 0; i < 5; ++i) {
      Transaction tx(c);
      insert_rows(c, 500);
      tx.commit();
    }
    c.execute("BEGIN IMMEDIATE");
    insert_rows(c, 2000);
    std::raise(SIGKILL);
  });
  EXPECT_EQ(seen_elsewhere(file), rows_of(2500));
  EXPECT_EQ(test::scalar(*open(), "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace weir::db
