// Every row accounted for (issue 17, item 2), on SQLite, PostgreSQL and MariaDB targets: 100,000
// rows of which 37, scattered, break the target's CHECK constraint give exactly 37 dead letters
// holding the rows' values, 99,963 rows committed, a summary whose accounting line adds up and a
// run journal row with the same figures; a rerun adds nothing. With `max_errors: 10` the run
// stops at the batch holding the 11th bad row: none of that batch is committed, rows or letters;
// likewise with `max_errors: 1%` at the batch that passes 1% of the rows read.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

constexpr int kRows = 100'000;
// The bad rows: id % 2700 = 17 below 99,000, 37 of them (17, 2717, …, 97217).
constexpr const char* kBad = "x % 2700 = 17 AND x < 99000";

class AccountedRows : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    auto target = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!target) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    db_ = std::move(target->connection);
    target_url_ = target->yaml_url;
    suffix_ = test::unique_suffix();
    table_ = "acc_" + suffix_;
    db_->execute(fmt::format("CREATE TABLE {} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NOT NULL, "
                             "CONSTRAINT {}_v CHECK (v >= 0))",
                             table_, table_));
    fill_source(kRows, kBad);
  }

  // The source: rows 1…`rows` (id = x, v = x), the rows where `bad` holds with v = -x, which
  // the target's CHECK rejects.
  void fill_source(int rows, const std::string& bad) {
    auto source = test::open_sqlite(dir_.file("src.db"));
    source->execute_script(fmt::format("DROP TABLE IF EXISTS src;"
                                       "CREATE TABLE src(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                                       "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {}) "
                                       "INSERT INTO src SELECT x, CASE WHEN {} THEN -x ELSE x END FROM s;",
                                       rows, bad));
  }

  void TearDown() override {
    if (!db_) return;
    db_->execute("DROP TABLE IF EXISTS " + table_);
    db_->execute("DROP TABLE IF EXISTS " + letters_table());
  }

  std::string letters_table() const { return "acc_letters_" + suffix_; }
  // Its own name: the checkpoint, the lock and the journal rows are keyed by it on a shared server.
  std::string file_name() const { return "p_" + suffix_ + ".yaml"; }

  // One run of the pipeline with `pipeline_options` added to it. Its batches are of 5,000 rows
  // exactly: a long `interval` never commits fewer on a loaded machine.
  test::CommandResult run(const std::string& pipeline_options) {
    test::write_file(dir_.file(file_name()), fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: {}
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "SELECT id, v FROM src WHERE {{{{cursor}}}} ORDER BY id",
                   cursor: {{ columns: [id] }}, page_size: 1000 }}
    output: {{ sql_write: {{ connection: dst, table: {}, batch: {{ rows: 5000, interval: 1h }} }} }}
    state: {{ connection: dst }}
    dead_letter: {{ connection: dst, table: {} }}
{})",
                                                      target_url_, table_, letters_table(), pipeline_options));
    return test::run_weir({"run", "--once", "--progress", "0s", dir_.file(file_name())}, dir_.path().string());
  }

  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> db_;
  std::string target_url_, suffix_, table_;
};

TEST_P(AccountedRows, ThirtySevenBadRowsAreThirtySevenLettersAndTheRestCommitsOnce) {
  auto r = run("");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;  // completed with dead letters, no max_errors
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 100000 rows, wrote 99963 rows, 37 to dead letters in"));
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 100000 = written 99963 + dead-lettered 37 + filtered 0 + skipped 0"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "99963");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "37");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table() + " WHERE error_kind = 'check'"), "37");
  // The letters hold the rows as read: the first and the last bad one.
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table() + " WHERE record = '{\"id\":17,\"v\":-17}'"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table() + " WHERE record = '{\"id\":97217,\"v\":-97217}'"),
            "1");
  // The run journal holds the same figures.
  const std::string journal = " FROM weir_runs WHERE pipeline = '" + file_name() + "#p'";
  EXPECT_EQ(scalar("SELECT count(*)" + journal), "1");
  EXPECT_EQ(scalar("SELECT status" + journal), "completed");
  EXPECT_EQ(scalar("SELECT rows_read" + journal), "100000");
  EXPECT_EQ(scalar("SELECT written" + journal), "99963");
  EXPECT_EQ(scalar("SELECT dead_lettered" + journal), "37");
  EXPECT_EQ(scalar("SELECT filtered + skipped" + journal), "0");

  auto again = run("");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("pipeline p: read 0 = written 0 + dead-lettered 0 + filtered 0 + skipped 0"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "99963");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "37");
}

TEST_P(AccountedRows, MaxErrorsStopsAtTheBatchOfTheEleventhWithNothingOfItCommitted) {
  auto r = run("    max_errors: 10\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The 11th bad row is 27017, in the batch of rows 25001 to 30000 with the 12th (29717): the
  // limit is checked as that batch would commit, and the five batches before it commit, with
  // their ten letters.
  EXPECT_THAT(r.err, HasSubstr("max_errors: 12 records went to the dead letters, more than the limit of 10 ("));
  EXPECT_THAT(r.err, HasSubstr("rows read); the batch was not committed"));  // read ahead: a count that varies
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "24990");
  EXPECT_EQ(scalar("SELECT max(id) FROM " + table_), "25000");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "10");
}

// `max_errors: 1%` of the rows read: 10,000 rows, 200 of them (2%, one in 25 of the second
// half) rejected. The first batch of 5,000 has no bad row and commits; the second holds all
// 200, which pass 1% of the 10,000 rows read by then (all of them: it is the last batch), so
// none of it is committed, rows or letters. A rerun reads the 5,000 rows left, of which the
// 200 are 4%: within `max_errors: 4%` (the limit is passed only by more), the run completes
// with them as letters.
TEST_P(AccountedRows, MaxErrorsOfOnePercentStopsAtTheBatchThatPassesItWithNothingOfItCommitted) {
  fill_source(10'000, "x > 5000 AND x % 25 = 0");
  auto r = run("    max_errors: 1%\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The error line, whole but for how the connection is described (a server's port varies).
  const std::size_t line = r.err.find("weir: pipeline p failed: ");
  ASSERT_NE(line, std::string::npos) << r.err;
  EXPECT_THAT(r.err.substr(line), StartsWith("weir: pipeline p failed: " + dir_.file(file_name()) +
                                             ": pipelines.p.output.sql_write writing to `" + table_ +
                                             "` on connection `dst` ("));
  EXPECT_THAT(r.err.substr(line), EndsWith("): pipelines.p.max_errors: 200 records went to the dead letters, more than "
                                           "the limit of 1% (10000 rows read); the batch was not committed\n"));
  EXPECT_EQ(std::count(r.err.begin() + static_cast<std::ptrdiff_t>(line), r.err.end(), '\n'), 1) << "one line";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "5000");
  EXPECT_EQ(scalar("SELECT max(id) FROM " + table_), "5000");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "0");

  auto within = run("    max_errors: 4%\n");
  EXPECT_EQ(within.exit_code, 0) << within.out << within.err;
  EXPECT_THAT(within.out,
              HasSubstr("pipeline p: read 5000 = written 4800 + dead-lettered 200 + filtered 0 + skipped 0"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "9800");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "200");
}

const Target kTargets[] = {{"Sqlite", nullptr}, {"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}};

INSTANTIATE_TEST_SUITE_P(Targets, AccountedRows, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
