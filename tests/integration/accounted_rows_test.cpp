// Every row accounted for (issue 17, item 2), on SQLite, PostgreSQL and MariaDB targets: 100,000
// rows of which 37, scattered, break the target's CHECK constraint give exactly 37 dead letters
// holding the rows' values, 99,963 rows committed, a summary whose accounting line adds up and a
// run journal row with the same figures; a rerun adds nothing. With `max_errors: 10` the run
// stops at the batch holding the 11th bad row: none of that batch is committed, rows or letters.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

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
    auto source = test::open_sqlite(dir_.file("src.db"));
    source->execute_script(fmt::format("CREATE TABLE src(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                                       "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {}) "
                                       "INSERT INTO src SELECT x, CASE WHEN {} THEN -x ELSE x END FROM s;",
                                       kRows, kBad));
  }

  void TearDown() override {
    if (!db_) return;
    db_->execute("DROP TABLE IF EXISTS " + table_);
    db_->execute("DROP TABLE IF EXISTS " + letters_table());
  }

  std::string letters_table() const { return "acc_letters_" + suffix_; }
  // Its own name: the checkpoint, the lock and the journal rows are keyed by it on a shared server.
  std::string file_name() const { return "p_" + suffix_ + ".yaml"; }

  test::CommandResult run(const std::string& pipeline_options) {
    test::write_file(dir_.file(file_name()), fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: {}
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "SELECT id, v FROM src WHERE {{{{cursor}}}} ORDER BY id",
                   cursor: {{ columns: [id] }}, page_size: 1000 }}
    output: {{ sql_write: {{ connection: dst, table: {}, batch: {{ rows: 5000 }} }} }}
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

const Target kTargets[] = {{"Sqlite", nullptr}, {"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}};

INSTANTIATE_TEST_SUITE_P(Targets, AccountedRows, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
