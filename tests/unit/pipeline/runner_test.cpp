// Running pipelines end to end on SQLite files: the real database, no mocks.
#include <gtest/gtest.h>

#include <atomic>
#include <stop_token>
#include <thread>

#include "core/yaml_document.hpp"
#include "pipeline/runner.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline {
namespace {

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto src = open("src.db");
    src->execute_script(
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount NUMERIC(10,2), "
        "placed_at DATETIME);"
        "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 12345) "
        "INSERT INTO orders SELECT x, 'Zoë ' || x, x * 1.25, datetime(1700000000 + x, 'unixepoch') FROM s;");
  }

  std::unique_ptr<db::Connection> open(const std::string& file) { return test::open_sqlite(dir_.file(file)); }

  std::vector<PipelineStats> run(const std::string& pipelines) {
    std::string yaml = "connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\npipelines:\n" + pipelines;
    test::write_file(dir_.file("p.yaml"), yaml);
    Project project = load_project(dir_.file("p.yaml"));
    return run_all(project);
  }

  // Runs `pipelines` as a project file of its own, `file`, stopped by `stop`.
  std::vector<PipelineStats> run_project(const std::string& file, const std::string& pipelines,
                                         std::stop_token stop) {
    std::string yaml = "connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\npipelines:\n" + pipelines;
    test::write_file(dir_.file(file), yaml);
    Project project = load_project(dir_.file(file));
    return run_all(project, RunnerOptions{.run = {.once = false, .stop = std::move(stop)}});
  }

  static std::string copy_into(const std::string& table) {
    return "  copy:\n    input: { sql_poll: { connection: src, query: \"SELECT id FROM orders\", page_size: 1000 } }\n"
           "    output: { sql_write: { connection: dst, table: " + table + ", create_table: true } }\n";
  }

  std::string scalar(const std::string& file, const std::string& sql) {
    auto c = open(file);
    auto cursor = c->query(sql);
    Batch b;
    cursor->next(b, 1);
    return b.at(0, 0).to_text();
  }

  test::TempDir dir_;
};

// A filter with a bug: it passes every record on twice.
class Doubling final : public Filter {
 public:
  void open(const RunOptions&) override {}
  void process(const Batch& in, Batch& out, DeadLetterSink&) override {
    out.reset(in.schema_ptr());
    for (std::size_t r = 0; r < in.rows(); ++r)
      for (int twice = 0; twice < 2; ++twice) out.append_row(in.row(r));
  }
};

TEST_F(RunnerTest, RowsThatDoNotAddUpFailTheRunAsABug) {
  test::write_file(dir_.file("p.yaml"), "connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\npipelines:\n" +
                                            copy_into("doubled"));
  Project project = load_project(dir_.file("p.yaml"));
  project.pipelines.at(0).filters.push_back(std::make_unique<Doubling>());
  auto stats = run_all(project);
  ASSERT_EQ(stats.size(), 1u);
  // The created table keeps the source's key: each second copy is rejected as a duplicate.
  EXPECT_EQ(stats[0].error, "pipeline copy: the rows do not add up (read 12345 = written 12345 + dead-lettered 12345 "
                            "+ filtered 0 + skipped 0): a bug in weir, please report it");
  EXPECT_EQ(scalar(".weir/state.db", "SELECT status || ' ' || rows_read || ' ' || written || ' ' || dead_lettered FROM "
                                     "weir_runs"),
            "failed 12345 12345 12345");
}

TEST_F(RunnerTest, CopiesEveryRowAndCreatesTheTable) {
  auto stats = run(R"(  copy:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders ORDER BY id", page_size: 1000 } }
    output: { sql_write: { connection: dst, table: orders, create_table: true, key: [id], batch: { rows: 5000 } } }
)");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].error, "");
  EXPECT_EQ(stats[0].rows_read, 12345u);
  EXPECT_EQ(stats[0].rows_written, 12345u);
  EXPECT_EQ(stats[0].rows_rejected, 0u);  // no row reaches the output twice
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) || ':' || sum(id) || ':' || max(customer) FROM orders"),
            scalar("src.db", "SELECT count(*) || ':' || sum(id) || ':' || max(customer) FROM orders"));
  auto dst = open("dst.db");
  auto info = dst->describe_table(db::TableRef{"", "orders"});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(info->columns[3].native_type, "TIMESTAMP");
}

TEST_F(RunnerTest, UpsertTwiceLeavesOneRowPerKey) {
  std::string p = R"(  up:
    input: { sql_poll: { connection: src, query: "SELECT id, amount FROM orders" } }
    output: { sql_write: { connection: dst, table: totals, mode: upsert, key: [id], create_table: true } }
)";
  run(p);
  open("src.db")->execute("UPDATE orders SET amount = 0 WHERE id = 7");
  auto stats = run(p);
  EXPECT_EQ(stats[0].error, "");
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) FROM totals"), "12345");
  EXPECT_EQ(scalar("dst.db", "SELECT amount FROM totals WHERE id = 7"), "0");
}

TEST_F(RunnerTest, ColumnMappingRenamesAndSelects) {
  auto stats = run(R"(  m:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders" } }
    output: { sql_write: { connection: dst, table: slim, create_table: true, columns: { order_id: id, who: customer } } }
)");
  EXPECT_EQ(stats[0].error, "");
  EXPECT_EQ(scalar("dst.db", "SELECT group_concat(name) FROM pragma_table_info('slim')"), "order_id,who");
  EXPECT_EQ(scalar("dst.db", "SELECT who FROM slim WHERE order_id = 3"), "Zoë 3");
}

TEST_F(RunnerTest, MappingToAMissingFieldFailsWithoutWriting) {
  auto stats = run(R"(  m:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders" } }
    output: { sql_write: { connection: dst, table: slim, create_table: true, columns: { who: custmer } } }
)");
  EXPECT_EQ(stats[0].error, "pipelines.m.output.sql_write.columns.who: the input has no field `custmer` (did you "
                            "mean `customer`?)");
  EXPECT_EQ(stats[0].rows_written, 0u);
}

TEST_F(RunnerTest, ARejectedRowGoesToTheDeadLettersAndTheRestCommits) {
  // The target's unique key rejects the 6000th row: its batch is rolled back, written again
  // in halves until the bad row is alone, and that row lands in the dead-letter table.
  open("dst.db")->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, tag TEXT UNIQUE);");
  auto stats = run(R"(  f:
    input:
      sql_poll: { connection: src, query: "SELECT id, CASE WHEN id = 6000 THEN 'dup' WHEN id = 5999 THEN 'dup' ELSE 'x' || id END AS tag FROM orders ORDER BY id" }
    output: { sql_write: { connection: dst, table: t, batch: { rows: 5000 } } }
    dead_letter: { connection: dst }
)");
  EXPECT_EQ(stats[0].error, "");
  EXPECT_EQ(stats[0].rows_written, 12344u);
  EXPECT_EQ(stats[0].rows_rejected, 1u);
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) FROM t"), "12344");
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) FROM t WHERE id = 6000"), "0");
  EXPECT_EQ(scalar("dst.db", "SELECT error_kind || ' ' || record FROM weir_dead_letters"),
            "unique {\"id\":6000,\"tag\":\"dup\"}");
  EXPECT_NE(scalar("dst.db", "SELECT error_message FROM weir_dead_letters").find("UNIQUE constraint failed"),
            std::string::npos);
}

TEST_F(RunnerTest, AnUnknownTargetTableStopsThePipelineWithoutWriting) {
  auto stats = run(R"(  f:
    input: { sql_poll: { connection: src, query: "SELECT id FROM orders" } }
    output: { sql_write: { connection: dst, table: missing } }
)");
  EXPECT_NE(stats[0].error.find("missing"), std::string::npos) << stats[0].error;
  EXPECT_EQ(stats[0].rows_written, 0u);
}

TEST_F(RunnerTest, FailingQueryReportsTheConnection) {
  auto stats = run(R"(  q:
    input: { sql_poll: { connection: src, query: "SELECT * FROM ordres" } }
    output: { sql_write: { connection: dst, table: t, create_table: true } }
)");
  EXPECT_NE(stats[0].error.find("no such table: ordres"), std::string::npos) << stats[0].error;
  EXPECT_NE(stats[0].error.find("connection `src`"), std::string::npos) << stats[0].error;
}

// The end of the input's run reaches the output through the filter stage too: mode: replace
// commits there, so the table ends with exactly the run's rows, its old ones gone.
TEST_F(RunnerTest, ReplaceThroughAFilterCommitsTheRunsRowsOnly) {
  auto dst = open("dst.db");
  dst->execute_script("CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, doubled NUMERIC);"
                      "INSERT INTO orders VALUES (-1, 'old', 0), (99999, 'old', 0);");
  auto stats = run(R"(  copy:
    input: { sql_poll: { connection: src, query: "SELECT id, customer FROM orders ORDER BY id", page_size: 1000 } }
    filters:
      - sql_call:
          connection: src
          queries: [ { sql: "SELECT amount * 2 AS doubled FROM orders WHERE id = {{record.id}}" } ]
    output: { sql_write: { connection: dst, table: orders, mode: replace, batch: { rows: 5000 } } }
)");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].error, "");
  EXPECT_FALSE(stats[0].interrupted);
  EXPECT_EQ(stats[0].rows_written, 12345u);
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) || ':' || min(id) || ':' || max(id) || ':' || sum(doubled) FROM orders"),
            "12345:1:12345:" + scalar("src.db", "SELECT sum(amount * 2) FROM orders"));
}

TEST_F(RunnerTest, PipelinesRunConcurrentlyAndIndependently) {
  auto stats = run(R"(  one:
    input: { sql_poll: { connection: src, query: "SELECT id FROM orders" } }
    output: { sql_write: { connection: dst, table: one, create_table: true } }
  two:
    input: { sql_poll: { connection: src, query: "SELECT id FROM orders WHERE id <= 10" } }
    output: { sql_write: { connection: dst, table: two, create_table: true } }
)");
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].rows_written + stats[1].rows_written, 12355u);
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) FROM two"), "10");
}

// Stopping is per run: one process runs many (weir serve, the MCP server), and stopping one
// leaves the others be.
TEST_F(RunnerTest, AStoppedRunEndsAloneWhileAnotherReadsEveryRow) {
  std::stop_source stopped, running;
  stopped.request_stop();  // before it starts: it reads nothing
  std::vector<PipelineStats> a, b;
  std::thread first([&] { a = run_project("a.yaml", copy_into("a"), stopped.get_token()); });
  std::thread second([&] { b = run_project("b.yaml", copy_into("b"), running.get_token()); });
  first.join();
  second.join();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].error, "");
  EXPECT_TRUE(a[0].interrupted);
  EXPECT_EQ(a[0].rows_read, 0u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].error, "");
  EXPECT_FALSE(b[0].interrupted);
  EXPECT_EQ(b[0].rows_read, 12345u);
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) || ':' || sum(id) FROM b"), "12345:76205685");
}

TEST_F(RunnerTest, AScheduledRunGoesOnUntilItsOwnTokenStopsIt) {
  std::stop_source scheduled;
  std::atomic<bool> scheduled_ended{false};
  std::vector<PipelineStats> s;
  std::thread polling([&] {
    s = run_project("s.yaml", R"(  poll:
    input:
      sql_poll:
        connection: src
        query: "SELECT id FROM orders WHERE {{cursor}} ORDER BY id"
        cursor: { columns: [id] }
        schedule: "* * * * * *"
    output: { sql_write: { connection: dst, table: polled, create_table: true } }
)",
                    scheduled.get_token());
    scheduled_ended = true;
  });
  std::vector<PipelineStats> b = run_project("b.yaml", copy_into("b"), std::stop_token{});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].error, "");
  EXPECT_FALSE(b[0].interrupted);
  EXPECT_EQ(b[0].rows_written, 12345u);
  EXPECT_FALSE(scheduled_ended) << "a scheduled run ends only when stopped";
  scheduled.request_stop();
  polling.join();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].error, "");
}

// Every row read is accounted for once the run ends: written, not found, dead-lettered (by a
// filter or the output) or skipped.
TEST_F(RunnerTest, EveryRowReadIsWrittenNotFoundDeadLetteredOrSkipped) {
  open("src.db")->execute_script(
      "CREATE TABLE payloads(id INTEGER PRIMARY KEY, doc TEXT);"
      "INSERT INTO payloads SELECT id, CASE id WHEN 3 THEN 'not json' WHEN 5 THEN 'also not json' "
      "ELSE json_object('tier', 't' || id) END FROM orders WHERE id <= 20;");
  open("dst.db")->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, tier TEXT); INSERT INTO t VALUES (1, 'old');");
  auto stats = run(R"(  f:
    input: { sql_poll: { connection: src, query: "SELECT id, doc FROM payloads ORDER BY id" } }
    filters:
      - sql_call:
          connection: src
          when: "record.id != 5"
          queries: [{ sql: "SELECT json_extract({{record.doc}}, '$.tier') AS tier", on_error: dead_letter }]
      - sql_call:
          connection: src
          queries: [{ sql: "SELECT json_extract({{record.doc}}, '$.tier') AS again", on_error: skip }]
    output: { sql_write: { connection: dst, table: t, columns: { id: id, tier: tier } } }
    dead_letter: { connection: dst }
)");
  EXPECT_EQ(stats[0].error, "");
  EXPECT_EQ(stats[0].rows_read, 20u);
  EXPECT_EQ(stats[0].rows_written, 17u);
  EXPECT_EQ(stats[0].written, (db::WriteCounts{.inserted = 17}));
  EXPECT_EQ(stats[0].dead_letters, 2u) << "id 3 by the filter, id 1 (already there) by the output";
  EXPECT_EQ(stats[0].rows_rejected, 1u) << "id 1, by the output";
  EXPECT_EQ(stats[0].rows_skipped, 1u) << "id 5";
  EXPECT_EQ(describe_outcome(stats[0]), "wrote 17 rows, 2 to dead letters, 1 skipped");
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) FROM weir_dead_letters"), "2");
}

TEST_F(RunnerTest, UpdatesAndDeletesCountTheKeysNotFound) {
  open("dst.db")->execute_script(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, amount NUMERIC);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 5000) INSERT INTO t SELECT x, 0 FROM s;");
  auto update = run(R"(  u:
    input: { sql_poll: { connection: src, query: "SELECT id, amount FROM orders WHERE id <= 5001" } }
    output: { sql_write: { connection: dst, table: t, mode: update, key: [id] } }
)");
  EXPECT_EQ(update[0].error, "");
  EXPECT_EQ(update[0].rows_read, 5001u);
  EXPECT_EQ(update[0].rows_written, 5000u);
  EXPECT_EQ(update[0].written, (db::WriteCounts{.updated = 5000, .not_found = 1}));
  EXPECT_EQ(describe_outcome(update[0]), "wrote 5000 rows (updated 5000), 1 not found");
  auto remove = run(R"(  d:
    input: { sql_poll: { connection: src, query: "SELECT id FROM orders WHERE id > 4990 AND id <= 5010" } }
    output: { sql_write: { connection: dst, table: t, mode: delete, key: [id] } }
)");
  EXPECT_EQ(remove[0].written, (db::WriteCounts{.deleted = 10, .not_found = 10}));
  EXPECT_EQ(describe_outcome(remove[0]), "wrote 10 rows (deleted 10), 10 not found");
  EXPECT_EQ(scalar("dst.db", "SELECT count(*) FROM t"), "4990");
}

TEST(DescribeOutcome, ShowsTheSplitOnlyWhenSomeRowsWereNotInserts) {
  PipelineStats s;
  s.written = {.inserted = 3};
  s.rows_written = 3;
  EXPECT_EQ(describe_outcome(s), "wrote 3 rows");
  s.written = {.upserted = 3};  // upserts that did not say whether they inserted or updated
  EXPECT_EQ(describe_outcome(s), "wrote 3 rows");
  s.written = {.inserted = 2, .updated = 1, .unchanged = 1, .not_found = 4};
  s.rows_written = 4;
  s.dead_letters = 5;
  s.rows_skipped = 6;
  EXPECT_EQ(describe_outcome(s), "wrote 4 rows (inserted 2, updated 1, unchanged 1), 4 not found, 5 to dead letters, 6 skipped");
}

}  // namespace
}  // namespace weir::pipeline
