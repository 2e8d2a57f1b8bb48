// How `weir run` ends, on each real target (PostgreSQL, MariaDB, SQLite): the exit code and
// summary of a run interrupted by SIGINT/SIGTERM (130/143, INTERRUPTED), of a run that sent
// rows to the dead letters (3, naming where they went) or passed `max_errors` (1, the
// offending batch not committed), and `mode: replace`, whose reruns never duplicate and whose
// interrupted or killed runs leave the table's old rows in place.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <regex>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

// One kind of target: how to reach it and fill a source table of {rows} rows (id, name) there.
struct Target {
  const char* name;
  const char* url_variable;  // null: a SQLite file in the test's directory
  const char* fill_sql;      // names {table} and {rows}
  const char* password_variable;
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

const Target kPostgres{"Postgres", "WEIR_TEST_PG_URL",
                       "INSERT INTO {table} SELECT g, 'name ' || g FROM generate_series(1, {rows}) g",
                       "WEIR_TEST_PG_PASSWORD"};
const Target kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL",
                      "INSERT INTO {table} SELECT seq, CONCAT('name ', seq) FROM seq_1_to_{rows}",
                      "WEIR_TEST_MYSQL_PASSWORD"};
const Target kSqlite{"Sqlite", nullptr,
                     "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {rows}) "
                     "INSERT INTO {table} SELECT x, 'name ' || x FROM s",
                     nullptr};

// A source read slowly (about 1,000 rows a second, streamed) from PostgreSQL, so that a run
// is surely mid-way when it is signalled.
constexpr const char* kSlowQuery =
    "SELECT g AS id, 'name ' || g || pg_sleep(0.001)::text AS name FROM generate_series(1, 100000) g";

class PipelineExits : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    const Target& target = GetParam();
    // The interrupted cases read their slow source from PostgreSQL, whatever the target.
    pg_url_ = test::server_url("WEIR_TEST_PG_URL");
    if (!pg_url_) GTEST_SKIP() << test::no_server_reason("WEIR_TEST_PG_URL");
    auto opened = test::open_target(target.url_variable, dir_, "target.db");
    if (!opened) GTEST_SKIP() << test::no_server_reason(target.url_variable);
    url_ = opened->url;
    yaml_url_ = opened->yaml_url;
    db_ = std::move(opened->connection);
    std::string suffix = test::unique_suffix();
    src_ = "px_src_" + suffix;
    dst_ = "px_dst_" + suffix;
    letters_ = "px_letters_" + suffix;
  }

  void TearDown() override {
    if (!db_) return;
    for (const std::string& table : {src_, dst_, letters_}) db_->execute("DROP TABLE IF EXISTS " + table);
  }

  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }

  // The source holds rows 1..rows; the target rejects every id divisible by 27 (a CHECK) and
  // holds three old rows (ids -1, -2, -3) that no run writes.
  void make_tables(int rows) {
    db_->execute("CREATE TABLE " + src_ + " (id bigint PRIMARY KEY, name varchar(40))");
    if (rows > 0)
      db_->execute(fmt::format(fmt::runtime(GetParam().fill_sql), fmt::arg("table", src_), fmt::arg("rows", rows)));
    db_->execute("CREATE TABLE " + dst_ + " (id bigint PRIMARY KEY, name varchar(40), CHECK (id % 27 <> 0))");
    db_->execute("INSERT INTO " + dst_ + " VALUES (-1, 'old a'), (-2, 'old b'), (-3, 'old c')");
  }

  // The target's rows in short: "count:sum(id)".
  std::string target_rows() {
    return scalar("SELECT COUNT(*) FROM " + dst_) + ":" + scalar("SELECT SUM(id) FROM " + dst_);
  }

  // A pipeline `copy` from `query` on `source` into the target, plain (no cursor).
  std::string project(const std::string& source, const std::string& query, const std::string& mode, int rows_per_batch,
                      const std::string& extra = "") {
    std::string yaml = "connections:\n  src: " + source + "\n  dst: " + yaml_url_ + "\n"
                       "pipelines:\n  copy:\n    input:\n      sql_poll:\n        connection: src\n"
                       "        query: \"" + query + "\"\n        page_size: 100\n" + extra_input_ +
                       "    output:\n      sql_write:\n        connection: dst\n        table: " + dst_ + "\n"
                       "        mode: " + mode + "\n        key: [id]\n        batch: { rows: " +
                       std::to_string(rows_per_batch) + " }\n"
                       "    dead_letter: { connection: dst, table: " + letters_ + " }\n" + extra;
    std::string file = dir_.file("pipeline.yaml");
    test::write_file(file, yaml);
    return file;
  }

  // The same from the source table in the target's database.
  std::string local_project(const std::string& query, const std::string& mode, int rows_per_batch,
                            const std::string& extra = "") {
    return project(yaml_url_, query, mode, rows_per_batch, extra);
  }

  std::string slow_project(const std::string& mode) {
    return project("\"${WEIR_TEST_PG_URL}\"", kSlowQuery, mode, 100);
  }

  test::CommandResult run_once(const std::string& file) {
    return test::run_weir({"run", "--once", "--progress", "0s", file}, dir_.path().string());
  }

  // Starts `weir run` on `file`, waits until its progress says it read `rows` rows (so that
  // batches are in the target's open transaction), then sends `signal`; returns the exit code.
  int signal_mid_run(const std::string& file, int signal, int rows = 1500) {
    test::Background weir({"run", "--progress", "100ms", file}, dir_.path().string());
    std::regex progress(R"(pipeline copy: read (\d+))");
    auto deadline = std::chrono::steady_clock::now() + 60s;
    int read = 0;
    while (read < rows && weir.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      std::string err = weir.err();
      for (std::sregex_iterator it(err.begin(), err.end(), progress), end; it != end; ++it)
        read = std::max(read, std::stoi((*it)[1]));
    }
    EXPECT_TRUE(weir.running()) << "the run ended before it could be interrupted: " << weir.err();
    EXPECT_GE(read, rows) << weir.err();
    weir.signal(signal);
    int code = weir.wait();
    out_ = weir.out();
    err_ = weir.err();
    return code;
  }

  void expect_no_password(const std::string& text) {
    const char* variable = GetParam().password_variable;
    if (!variable || !std::getenv(variable)) return;
    EXPECT_EQ(text.find(std::getenv(variable)), std::string::npos) << "the password leaked: " << text;
  }

  std::optional<std::string> pg_url_;
  std::string url_, yaml_url_, extra_input_;
  std::unique_ptr<db::Connection> db_;
  std::string src_, dst_, letters_, out_, err_;
  test::TempDir dir_;
};

// 2,500 rows, 92 of them rejected: each run leaves exactly the 2,408 good rows, however often
// it runs, the old rows gone, the rejected ones in the dead letters each time.
TEST_P(PipelineExits, ReplaceRerunGivesTheSameRows) {
  make_tables(2500);
  std::string file = local_project("SELECT * FROM " + src_ + " ORDER BY id", "replace", 1000, "    max_errors: 100\n");
  for (int run = 1; run <= 2; ++run) {
    auto r = run_once(file);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("read 2500 rows, wrote 2408 rows, 92 to dead letters"), std::string::npos) << r.out;
    // ids 1..2500 less the multiples of 27 (27 * (1 + … + 92))
    EXPECT_EQ(target_rows(), "2408:" + std::to_string(2500 * 2501 / 2 - 27 * 92 * 93 / 2));
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM " + letters_ + " WHERE error_kind = 'check'"), std::to_string(92 * run));
  }
}

// A source without rows replaces the table's rows by none.
TEST_P(PipelineExits, ReplaceFromAnEmptySourceEmptiesTheTable) {
  make_tables(0);
  auto r = run_once(local_project("SELECT * FROM " + src_, "replace", 1000));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM " + dst_), "0");
}

TEST_P(PipelineExits, ReplaceInterruptedBySigintKeepsTheOldRowsAndExits130) {
  make_tables(0);
  EXPECT_EQ(signal_mid_run(slow_project("replace"), SIGINT), 130) << err_;
  EXPECT_NE(out_.find(", INTERRUPTED"), std::string::npos) << out_;
  EXPECT_NE(err_.find("keeps its old rows"), std::string::npos) << err_;
  EXPECT_EQ(target_rows(), "3:-6");
}

TEST_P(PipelineExits, ReplaceInterruptedBySigtermKeepsTheOldRowsAndExits143) {
  make_tables(0);
  EXPECT_EQ(signal_mid_run(slow_project("replace"), SIGTERM), 143) << err_;
  EXPECT_NE(out_.find(", INTERRUPTED"), std::string::npos) << out_;
  EXPECT_EQ(target_rows(), "3:-6");
}

TEST_P(PipelineExits, ReplaceKilledKeepsTheOldRows) {
  make_tables(0);
  EXPECT_EQ(signal_mid_run(slow_project("replace"), SIGKILL), 128 + SIGKILL) << err_;
  EXPECT_EQ(target_rows(), "3:-6");
}

// The reported case: a plain insert copy stopped by Ctrl-C said it was complete and exited 0.
TEST_P(PipelineExits, PlainCopyInterruptedBySigintSaysSoAndExits130) {
  make_tables(0);
  EXPECT_EQ(signal_mid_run(slow_project("insert"), SIGINT), 130) << err_;
  EXPECT_NE(out_.find(", INTERRUPTED"), std::string::npos) << out_;
  EXPECT_EQ(err_.find("FAILED"), std::string::npos) << err_;
}

// A scheduled service stopped between its runs, its last run committed, stops cleanly: exit 0.
// In mode: replace each scheduled run commits at its own end.
TEST_P(PipelineExits, ScheduledServiceStoppedBetweenRunsExitsZero) {
  make_tables(250);
  extra_input_ = "        schedule: \"@daily\"\n";
  std::string file = local_project("SELECT * FROM " + src_ + " ORDER BY id", "replace", 100, "    max_errors: 9\n");
  test::Background weir({"run", "--progress", "0s", file}, dir_.path().string());
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (scalar("SELECT COUNT(*) FROM " + dst_) != "241" && weir.running() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(weir.running()) << weir.err();
  EXPECT_EQ(target_rows(), "241:" + std::to_string(250 * 251 / 2 - 27 * 9 * 10 / 2));
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 0) << weir.err();
  EXPECT_EQ(weir.out().find("INTERRUPTED"), std::string::npos) << weir.out();
}

// 100 rows, 3 rejected, no max_errors: exit 3, and the summary says where the letters are.
TEST_P(PipelineExits, RejectedRowsExitThreeAndNameTheDeadLetterTable) {
  make_tables(100);
  auto r = run_once(local_project("SELECT * FROM " + src_ + " ORDER BY id", "insert", 1000));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.out.find("read 100 rows, wrote 97 rows, 3 to dead letters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dead letters in table `" + letters_ + "` on connection `dst` ("), std::string::npos) << r.out;
  expect_no_password(r.out + r.err);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM " + letters_), "3");
}

TEST_P(PipelineExits, RejectedRowsWithinMaxErrorsExitZero) {
  make_tables(100);
  auto r = run_once(local_project("SELECT * FROM " + src_ + " ORDER BY id", "insert", 1000, "    max_errors: 3\n"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 97 rows, 3 to dead letters"), std::string::npos) << r.out;
}

// 1,000 rows in batches of 100, every 27th rejected, max_errors: 10. The letters add up to 3,
// 7, then 11 in the third batch (ids 201-300): that batch rolls back, the run stops with
// exit 1, and exactly the first two batches stay: 193 rows and their 7 letters.
TEST_P(PipelineExits, PassingMaxErrorsStopsBeforeTheOffendingBatchCommits) {
  make_tables(1000);
  db_->execute("DELETE FROM " + dst_);
  auto r = run_once(local_project("SELECT * FROM " + src_ + " ORDER BY id", "insert", 100, "    max_errors: 10\n"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find(", FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("max_errors: 11 records went to the dead letters, more than the limit of 10"),
            std::string::npos) << r.err;
  EXPECT_EQ(target_rows(), "193:" + std::to_string(200 * 201 / 2 - 27 * 7 * 8 / 2));
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM " + letters_), "7");
}

INSTANTIATE_TEST_SUITE_P(Targets, PipelineExits, ::testing::Values(kPostgres, kMariadb, kSqlite),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
