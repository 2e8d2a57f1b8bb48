// One pool per connection for a run: every module, the state store and the dead letters lease
// from the pool of the connection they name, so the pools' metrics are the connections the run
// really opened and used. On SQLite files: the real database, no mocks.
#include <gtest/gtest.h>

#include "pipeline/runner.hpp"
#include "support/test_support.hpp"

namespace weir::pipeline {
namespace {

const db::PoolMetrics& metrics_of(const std::vector<std::pair<std::string, db::PoolMetrics>>& all,
                                  const std::string& name) {
  for (const auto& [connection, metrics] : all)
    if (connection.starts_with("connection `" + name + "`")) return metrics;
  throw Error(ErrorKind::internal, "no pool for connection " + name);
}

TEST(PoolMetrics, APipelineRunUsesOnePoolPerConnectionAndItsMetricsSayWhatItDid) {
  test::TempDir dir;
  test::open_sqlite(dir.file("src.db"))
      ->execute_script("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                       "INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');");
  // The lookups read the same file under a connection name of their own, so each pool is used
  // by one thread and its numbers do not depend on timing.
  test::write_file(dir.file("p.yaml"),
                   "connections:\n"
                   "  src: \"sqlite:src.db\"\n"
                   "  lookups: \"sqlite:src.db\"\n"
                   "  dst: \"sqlite:dst.db\"\n"
                   "pipelines:\n"
                   "  p:\n"
                   "    input: { sql_poll: { connection: src, query: \"SELECT id, name FROM items ORDER BY id\" } }\n"
                   "    filters:\n"
                   "      - sql_call: { connection: lookups, queries: [{ sql: \"SELECT upper(name) AS shout FROM "
                   "items WHERE id = {{record.id}}\" }] }\n"
                   "    output: { sql_write: { connection: dst, table: out, create_table: true } }\n"
                   "    state: { connection: dst }\n");
  Project project = load_project(dir.file("p.yaml"));
  EXPECT_EQ(project.pools->metrics().size(), 3u) << "one pool per connection, state and dead letters in dst's";
  for (const auto& [connection, m] : project.pools->metrics()) EXPECT_EQ(m.created, 0u) << "validating connects nothing";

  std::vector<PipelineStats> stats = run_all(project);
  ASSERT_EQ(stats.size(), 1u);
  ASSERT_EQ(stats[0].error, "");
  EXPECT_EQ(stats[0].rows_written, 3u);
  EXPECT_EQ(test::scalar(*test::open_sqlite(dir.file("dst.db")),
                         "SELECT group_concat(shout, ',') FROM (SELECT shout FROM out ORDER BY id)"),
            "ONE,TWO,THREE");

  auto all = project.pools->metrics();
  // sql_poll: one page, read on one lease.
  const db::PoolMetrics& src = metrics_of(all, "src");
  EXPECT_EQ(src.created, 1u);
  EXPECT_EQ(src.acquired, 1u);
  // sql_call: reaching the database at open, describing the query's columns, and one batched
  // lookup of the three keys — three leases of one connection.
  const db::PoolMetrics& lookups = metrics_of(all, "lookups");
  EXPECT_EQ(lookups.created, 1u);
  EXPECT_EQ(lookups.acquired, 3u);
  // dst: the run journal records the run's start, the state store loads the checkpoint, then
  // sql_write leases the same connection for the run, saving the checkpoint in its transaction
  // (no lease of the state store's own), and the journal records the run's end.
  const db::PoolMetrics& dst = metrics_of(all, "dst");
  EXPECT_EQ(dst.created, 1u);
  EXPECT_EQ(dst.acquired, 4u);
  for (const db::PoolMetrics* m : {&src, &lookups, &dst}) {
    EXPECT_EQ(m->open, 1u);
    EXPECT_EQ(m->idle, 1u) << "every lease was given back at the end of the run";
    EXPECT_EQ(m->in_use, 0u);
    EXPECT_EQ(m->closed, 0u);
    EXPECT_EQ(m->waits, 0u);
    EXPECT_EQ(m->retries, 0u);
    EXPECT_TRUE(m->errors.empty());
  }
}

}  // namespace
}  // namespace weir::pipeline
