// What a SQLite target's commits promise across a power loss, with the defaults a user gets:
// while rows stream in, sql_write's commits do not wait for the disk (synchronous=NORMAL in
// WAL mode), but the last commit of a run is durable when the run ends, and a checkpoint kept
// in another database is only written once the rows it covers are durable. The syncs are
// seen through a VFS that records each write and sync of the files (sqlite_recording_vfs.hpp);
// a reader keeps the target open throughout, so that closing the writer cannot checkpoint the
// log and sync it on its own.
#include <gtest/gtest.h>

#include "pipeline/runner.hpp"
#include "support/sqlite_recording_vfs.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

class SqliteDurableCommits : public ::testing::Test {
 protected:
  // Copies 3000 rows from src.db into dst.db in batches of 500 (six commits) with `query`;
  // the state in its default place, .weir/state.db.
  void run(const std::string& query, const std::string& cursor = "") {
    test::open_sqlite(dir.file("src.db"))
        ->execute_script(
            "CREATE TABLE src(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 3000) "
            "INSERT INTO src SELECT x, 'name ' || x FROM s;");
    reader->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    test::write_file(dir.file("p.yaml"), R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  copy:
    input: { sql_poll: { connection: src, query: ")" + query + "\", page_size: 100" + cursor + R"( } }
    output: { sql_write: { connection: dst, table: t, batch: { rows: 500 } } }
)");
    pipeline::Project project = pipeline::load_project(dir.file("p.yaml"));
    run_started_ = vfs.events().size();
    auto stats = pipeline::run_all(project).at(0);
    ASSERT_EQ(stats.error, "");
    ASSERT_EQ(test::scalar(*reader, "SELECT count(*) || ' ' || sum(id) FROM t"), "3000 4501500");
  }
  // What the run did to files: the test's own statements before it are left out.
  std::vector<test::RecordingVfs::Event> run_events() {
    auto events = vfs.events();
    events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(run_started_));
    return events;
  }
  // The target's log during the run: its syncs, and whether a write came after the last one.
  int log_syncs(bool* written_after_last_sync) {
    int syncs = 0;
    *written_after_last_sync = false;
    for (const auto& e : run_events()) {
      if (!ends_with(e.file, "dst.db-wal")) continue;
      syncs += e.sync;
      *written_after_last_sync = !e.sync;
    }
    return syncs;
  }

  test::RecordingVfs vfs;  // first: connections keep the VFS they opened with
  test::TempDir dir;
  std::unique_ptr<db::Connection> reader = test::open_sqlite(dir.file("dst.db"));
  std::size_t run_started_ = 0;
};

// Before: each of the six commits synced the log (synchronous=full).
TEST_F(SqliteDurableCommits, StreamedCommitsWaitForTheDiskOnceAtTheEndOfTheRun) {
  run("SELECT * FROM src");
  bool written_after_last_sync = true;
  const int syncs = log_syncs(&written_after_last_sync);
  EXPECT_FALSE(written_after_last_sync) << "the run ended with commits not synced to disk";
  EXPECT_LE(syncs, 2) << "the log's header when it starts, and the end of the run; not each commit";
  EXPECT_GE(syncs, 1);
}

// The checkpoint lives in .weir/state.db, another file: each one is written only once the
// rows it covers are synced, so that a power loss cannot keep a checkpoint past rows it lost.
TEST_F(SqliteDurableCommits, ACheckpointKeptElsewhereWaitsForItsRowsToBeDurable) {
  run("SELECT * FROM src WHERE {{cursor}} ORDER BY id", ", cursor: { columns: [id] }");
  bool rows_unsynced = false;
  int checkpoint_writes = 0;
  for (const auto& e : run_events()) {
    if (ends_with(e.file, "dst.db-wal")) {
      rows_unsynced = !e.sync;
    } else if (e.file.find("state.db") != std::string::npos && !e.sync) {
      ++checkpoint_writes;
      EXPECT_FALSE(rows_unsynced) << "a write to " << e.file << " before the rows' commit was synced";
    }
  }
  EXPECT_GT(checkpoint_writes, 0);
}

}  // namespace
}  // namespace weir
