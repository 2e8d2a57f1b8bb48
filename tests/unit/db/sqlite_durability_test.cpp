// How a SQLite target's bulk writes reach the disk: streamed inserts keep no statement journal,
// and commits deferred by defer_durability(true) (synchronous=NORMAL in WAL mode) sync the log only
// when make_durable() asks, unless the URL sets `synchronous`. Seen through a VFS that records
// what SQLite does with its files (sqlite_recording_vfs.hpp).
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.hpp"
#include "support/sqlite_recording_vfs.hpp"
#include "weir/db/driver.hpp"

namespace weir::db {
namespace {

std::unique_ptr<Connection> open(const std::string& url) {
  return connect(ConnectionConfig{.name = "test", .url = Url::parse(url), .init_script = {}});
}

class SqliteDurability : public ::testing::Test {
 protected:
  // Commits `transactions` transactions of one small row each (no checkpoint runs).
  static void commit_rows(Connection& c, int transactions) {
    for (int i = 0; i < transactions; ++i) {
      Transaction tx(c);
      c.execute("INSERT INTO t (payload) VALUES ('x')");
      tx.commit();
    }
  }

  test::RecordingVfs vfs;  // first: connections keep the VFS they opened with
  test::TempDir dir;
  std::string url = "sqlite:" + dir.file("a.db");
};

// Before: the batch table's INSERT … SELECT kept a statement journal, and a transaction of many
// batches larger than the page cache (2 MiB) copied the pages of its earlier batches into it as
// the cache spilled — into a temporary file, four pages of five of a large copy.
TEST_F(SqliteDurability, StreamedInsertsOpenNoStatementJournal) {
  auto c = open(url);
  c->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  WriteSpec spec{.table = TableRef{"", "t"}, .columns = {"id", "payload"}, .mode = WriteMode::insert, .key = {}};
  auto writer = c->bulk_writer(spec);
  Batch batch(test::schema_of({{"id", Type::int64}, {"payload", Type::text}}));
  Transaction tx(*c);
  for (int b = 0; b < 20; ++b) {  // 20 × 500 rows of 400 bytes: about 5 MB
    batch.clear();
    for (int r = 0; r < 500; ++r) {
      auto row = batch.append_row();
      row[0] = Value(std::int64_t{b * 500 + r + 1});
      row[1] = Value(std::string(400, static_cast<char>('a' + r % 26)));
    }
    writer->write(batch);
  }
  tx.commit();
  EXPECT_EQ(vfs.statement_journals(), 0);
  EXPECT_EQ(test::scalar(*c, "SELECT count(*) || ' ' || sum(length(payload)) FROM t"), "10000 4000000");
}

// Deferred, commits return without syncing the log; make_durable() syncs it once, and only
// when something was committed since. No longer deferred (sql_write gives its connection back
// to the pool), each commit syncs it again.
TEST_F(SqliteDurability, DeferredCommitsSyncTheLogWhenMadeDurable) {
  auto c = open(url);
  c->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  c->defer_durability(true);
  commit_rows(*c, 1);  // starts the log: SQLite syncs its header
  EXPECT_EQ(test::scalar(*c, "PRAGMA synchronous"), "1") << "normal";
  const int syncs = vfs.log_syncs();
  commit_rows(*c, 5);
  EXPECT_EQ(vfs.log_syncs(), syncs) << "the commits waited for the disk";
  c->make_durable();
  EXPECT_EQ(vfs.log_syncs(), syncs + 1);
  c->make_durable();
  EXPECT_EQ(vfs.log_syncs(), syncs + 1) << "nothing was committed since";
  auto events = vfs.events();
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().sync) << "a write to " << events.back().file << " came after the sync";
  c->defer_durability(false);
  commit_rows(*c, 2);
  EXPECT_EQ(test::scalar(*c, "PRAGMA synchronous"), "2") << "full";
  EXPECT_EQ(vfs.log_syncs(), syncs + 3);
}

// A URL that sets `synchronous` is obeyed on every commit; so is any journal mode but WAL's.
TEST_F(SqliteDurability, SynchronousFromTheUrlIsKeptForEveryCommit) {
  for (const std::string options : {"?synchronous=full", "?journal_mode=delete"}) {
    auto c = open(url + options);
    c->execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    c->defer_durability(true);
    commit_rows(*c, 1);
    EXPECT_EQ(test::scalar(*c, "PRAGMA synchronous"), "2") << options;
    if (options == "?synchronous=full") {
      const int syncs = vfs.log_syncs();
      commit_rows(*c, 5);
      EXPECT_EQ(vfs.log_syncs(), syncs + 5) << options;
    }
  }
}

}  // namespace
}  // namespace weir::db
