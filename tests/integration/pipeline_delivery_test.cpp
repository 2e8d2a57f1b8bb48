// Pipelines on real servers: what users rely on when they trust weir with their data —
// nothing lost, nothing repeated, whatever happens to the process or the servers.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

class PipelineDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = test::server_url("WEIR_TEST_PG_URL");
    if (!url) GTEST_SKIP() << "no PostgreSQL";
    url_ = *url;
    db::ConnectionConfig config;
    config.url = Url::parse(url_);
    pg_ = db::connect(config);
    suffix_ = std::to_string(std::rand() % 1000000);
    src_ = "pd_src_" + suffix_;
    dst_ = "pd_dst_" + suffix_;
  }

  void TearDown() override {
    if (pg_) pg_->execute_script("DROP TABLE IF EXISTS " + src_ + ", " + dst_ + " CASCADE");
  }

  // A source with the types that break naive copies: exact decimals, timestamps, text in
  // several scripts, NULLs, JSON.
  void make_source(int rows) {
    pg_->execute_script(
        "CREATE TABLE " + src_ +
        " (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, amount numeric(14,2), name text, doc jsonb);"
        "INSERT INTO " + src_ +
        " SELECT g, timestamp '2024-01-01' + g * interval '1 second', (g * 1.25)::numeric(14,2),"
        " CASE WHEN g % 7 = 0 THEN NULL ELSE 'Zoë ' || g || ' 東京' END, jsonb_build_object('n', g)"
        " FROM generate_series(1, " + std::to_string(rows) + ") g;"
        "CREATE INDEX ON " + src_ + " (updated_at, id);");
  }

  void make_target() {
    pg_->execute_script("CREATE TABLE " + dst_ +
                        " (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, amount numeric(14,2), name text,"
                        " doc jsonb)");
  }

  std::string scalar(const std::string& sql) {
    auto cursor = pg_->query(sql);
    Batch b;
    if (!cursor->next(b, 1) || b.empty()) return "";
    return b.at(0, 0).to_text();
  }

  // Row count and an md5 over every column of every row, in key order.
  std::string fingerprint(const std::string& table) {
    return scalar("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '') FROM " + table +
                  " t");
  }

  std::string project(const std::string& mode, const std::string& state_line, int page = 1000) {
    std::string yaml = "connections:\n  src: \"${WEIR_TEST_PG_URL}\"\n  dst: \"${WEIR_TEST_PG_URL}\"\n"
                       "pipelines:\n  copy:\n    input:\n      sql_poll:\n        connection: src\n"
                       "        query: \"SELECT * FROM " + src_ + " WHERE {{cursor}} ORDER BY updated_at, id\"\n"
                       "        cursor: { columns: [updated_at, id] }\n"
                       "        page_size: " + std::to_string(page) + "\n"
                       "    output:\n      sql_write:\n        connection: dst\n        table: " + dst_ + "\n"
                       "        mode: " + mode + "\n        key: [id]\n        batch: { rows: " +
                       std::to_string(page) + " }\n" + state_line;
    std::string file = dir_.file("pipeline.yaml");
    test::write_file(file, yaml);
    return file;
  }

  // Starts `weir run`, waits until some rows are in the target, then does `act` to it.
  template <class Act>
  int interrupt_mid_run(const std::string& file, Act act) {
    test::Background weir({"run", "--progress", "0s", file}, dir_.path().string());
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (scalar("SELECT count(*) FROM " + dst_) == "0" && std::chrono::steady_clock::now() < deadline &&
           weir.running())
      std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(weir.running()) << "the run ended before it could be interrupted: " << weir.err();
    act(weir);
    int code = weir.wait();
    last_err_ = weir.err();
    return code;
  }

  test::CommandResult run_once(const std::string& file) {
    return test::run_weir({"run", "--once", "--progress", "0s", file}, dir_.path().string());
  }

  std::string url_;
  std::unique_ptr<db::Connection> pg_;
  std::string suffix_, src_, dst_, last_err_;
  test::TempDir dir_;
};

constexpr int kRows = 100'000;

TEST_F(PipelineDelivery, KillNineThenRestartUpsertEndsIdentical) {
  make_source(kRows);
  make_target();
  std::string file = project("upsert", "");
  int code = interrupt_mid_run(file, [](test::Background& w) { w.signal(SIGKILL); });
  EXPECT_EQ(code, 128 + SIGKILL);
  std::string partial = scalar("SELECT count(*) FROM " + dst_);
  EXPECT_LT(std::stoi(partial), kRows) << "killed mid-run";
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
}

TEST_F(PipelineDelivery, KillNineThenRestartInsertWithStateInTargetIsExactlyOnce) {
  make_source(kRows);
  make_target();
  // Insert mode would fail on a repeated row (primary key): exactly-once or an error.
  std::string file = project("insert", "    state: { connection: dst }\n");
  int code = interrupt_mid_run(file, [](test::Background& w) { w.signal(SIGKILL); });
  EXPECT_EQ(code, 128 + SIGKILL);
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("dead letters"), std::string::npos) << r.out;
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
  EXPECT_EQ(scalar("SELECT count(*) FROM weir_dead_letters"), "0");
  pg_->execute("DELETE FROM weir_state WHERE pipeline = 'copy'");
}

TEST_F(PipelineDelivery, SigtermDrainsCheckpointsAndExitsZero) {
  make_source(kRows);
  make_target();
  std::string file = project("insert", "    state: { connection: dst }\n");
  int code = interrupt_mid_run(file, [](test::Background& w) { w.signal(SIGTERM); });
  EXPECT_EQ(code, 0) << last_err_;
  EXPECT_NE(last_err_.find("stopping"), std::string::npos) << last_err_;
  int drained = std::stoi(scalar("SELECT count(*) FROM " + dst_));
  EXPECT_GT(drained, 0);
  EXPECT_LT(drained, kRows);
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read " + std::to_string(kRows - drained) + " rows"), std::string::npos)
      << "the second run starts where the first committed: " << r.out;
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
  pg_->execute("DELETE FROM weir_state WHERE pipeline = 'copy'");
}

TEST_F(PipelineDelivery, ServerRestartMidRunCompletesAfterReconnecting) {
  const char* bin = std::getenv("WEIR_TEST_PG_BIN");
  const char* data = std::getenv("WEIR_TEST_PG_DATA");
  const char* log = std::getenv("WEIR_TEST_PG_LOG");
  ASSERT_TRUE(bin && data && log) << "the harness exports WEIR_TEST_PG_BIN, _DATA and _LOG";
  make_source(kRows);
  make_target();
  std::string file = project("upsert", "");
  int code = interrupt_mid_run(file, [&](test::Background&) {
    auto r = test::run_program({"runuser", "-u", "postgres", "--", std::string(bin) + "/pg_ctl", "-D", data, "-l",
                                log, "-w", "-m", "fast", "restart"},
                               "/");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  });
  EXPECT_EQ(code, 0) << last_err_;
  db::ConnectionConfig config;
  config.url = Url::parse(url_);
  pg_ = db::connect(config);
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
}

TEST_F(PipelineDelivery, IncrementalRunsReadOnlyNewRows) {
  make_source(1000);
  make_target();
  std::string file = project("insert", "", 300);
  auto first = run_once(file);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("read 1000 rows, wrote 1000 rows"), std::string::npos) << first.out;
  pg_->execute_script("INSERT INTO " + src_ +
                      " SELECT g, timestamp '2025-01-01' + g * interval '1 second', g, 'new', NULL"
                      " FROM generate_series(1001, 1500) g");
  auto second = run_once(file);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("read 500 rows, wrote 500 rows"), std::string::npos) << second.out;
  auto third = run_once(file);
  EXPECT_NE(third.out.find("read 0 rows"), std::string::npos) << third.out;
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
}

TEST_F(PipelineDelivery, LagHoldsBackRowsYoungerThanTheWindow) {
  pg_->execute_script("CREATE TABLE " + src_ + " (id bigint PRIMARY KEY, updated_at timestamp NOT NULL);"
                      "INSERT INTO " + src_ + " VALUES (1, now() AT TIME ZONE 'UTC' - interval '2 hours'),"
                      " (2, now() AT TIME ZONE 'UTC' - interval '1 minute');");
  std::string yaml = "connections:\n  pg: \"${WEIR_TEST_PG_URL}\"\npipelines:\n  lagged:\n    input:\n      sql_poll:\n"
                     "        connection: pg\n        query: \"SELECT * FROM " + src_ +
                     " WHERE {{cursor}} ORDER BY updated_at, id\"\n"
                     "        cursor: { columns: [updated_at, id], lag: 1h }\n"
                     "    output:\n      sql_write: { connection: pg, table: " + dst_ + ", create_table: true }\n";
  test::write_file(dir_.file("lag.yaml"), yaml);
  auto r = run_once(dir_.file("lag.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT string_agg(id::text, ',') FROM " + dst_), "1")
      << "the row younger than the lag waits for a later run";
}

TEST_F(PipelineDelivery, RejectedRowsGoToDeadLettersWithTheirKinds) {
  pg_->execute_script("CREATE TABLE " + src_ + "_parent (id int PRIMARY KEY);"
                      "INSERT INTO " + src_ + "_parent SELECT generate_series(1, 10);"
                      "CREATE TABLE " + src_ + " (id int PRIMARY KEY, parent int, code text);"
                      "INSERT INTO " + src_ + " SELECT g, 1 + g % 10, 'c' || g FROM generate_series(1, 1000) g;"
                      "UPDATE " + src_ + " SET parent = 99 WHERE id = 500;"
                      "CREATE TABLE " + dst_ + " (id int PRIMARY KEY, parent int REFERENCES " + src_ +
                      "_parent(id), code text UNIQUE);"
                      "INSERT INTO " + dst_ + " VALUES (0, 1, 'c700');");
  std::string letters = "pd_letters_" + suffix_;
  std::string yaml = "connections:\n  pg: \"${WEIR_TEST_PG_URL}\"\npipelines:\n  dl:\n    input:\n      sql_poll:\n"
                     "        connection: pg\n        query: \"SELECT * FROM " + src_ + " ORDER BY id\"\n"
                     "    output:\n      sql_write: { connection: pg, table: " + dst_ + ", batch: { rows: 5000 } }\n"
                     "    dead_letter: { connection: pg, table: " + letters + " }\n";
  test::write_file(dir_.file("dl.yaml"), yaml);
  auto r = run_once(dir_.file("dl.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 998 rows, 2 to dead letters"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + dst_), "999");
  EXPECT_EQ(scalar("SELECT string_agg(error_kind || ':' || (record::jsonb->>'id'), ',' ORDER BY error_kind) FROM " +
                   letters),
            "foreign_key:500,unique:700");
  EXPECT_NE(scalar("SELECT error_message FROM " + letters + " WHERE error_kind = 'unique'").find("code"),
            std::string::npos);
  pg_->execute_script("DROP TABLE " + letters + "; DROP TABLE " + dst_ + "; DROP TABLE " + src_ + "_parent CASCADE");
}

}  // namespace
}  // namespace weir
