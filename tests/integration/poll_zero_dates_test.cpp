// sql_poll reading MariaDB zero dates (`0000-00-00`, `0000-00-00 00:00:00`, stored with a
// sql_mode that allows them): by default the run fails in one line naming the input, the row
// by its cursor columns and the column; with `on_bad_value: null` each value is passed on as
// NULL, named in a warning line (a row's several such values in one), and counted in the
// run's summary — with a cursor or without (the row then named by its number in the run). `weir sync --mode incremental` reads with
// sql_poll: its --on-bad-value null names and counts each value the same way.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

class PollZeroDates : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = test::open_target("WEIR_TEST_MYSQL_URL", dir_, "src.db");
    if (!source) GTEST_SKIP() << test::no_server_reason("WEIR_TEST_MYSQL_URL");
    db_ = std::move(source->connection);
    source_url_ = source->yaml_url;
    table_ = "zd_" + test::unique_suffix();
    db_->execute("SET SESSION sql_mode = ''");
    db_->execute(fmt::format("CREATE TABLE {} (id INT NOT NULL PRIMARY KEY, d DATE NULL, at DATETIME NULL)", table_));
    db_->execute(fmt::format("INSERT INTO {} VALUES (1, '2024-01-02', '2024-01-02 03:04:05'), "
                             "(2, '0000-00-00', '2024-01-02 03:04:05'), (3, '2024-02-29', '0000-00-00 00:00:00'), "
                             "(4, NULL, '2024-05-06 07:08:09'), (5, '0000-00-00', '0000-00-00 00:00:00')",
                             table_));
  }

  void TearDown() override {
    if (db_) db_->execute("DROP TABLE IF EXISTS " + table_);
  }

  // `input` is the sql_poll's options after its connection.
  test::CommandResult run(const std::string& input) {
    test::write_file(dir_.file("p.yaml"), fmt::format(R"(connections:
  src: {}
  dst: "sqlite:dst.db"
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, {} }}
    output: {{ sql_write: {{ connection: dst, table: dst, create_table: true, mode: upsert, key: [id] }} }}
)",
                                                      source_url_, input));
    return test::run_weir({"run", "--once", "--progress", "0s", dir_.file("p.yaml")}, dir_.path().string());
  }

  std::string with_cursor(const std::string& more = "") {
    return fmt::format("query: \"SELECT id, d, at FROM {} WHERE {{{{cursor}}}} ORDER BY id\", cursor: {{ columns: "
                       "[id] }}{}",
                       table_, more);
  }

  std::string target_rows() {
    return test::scalar(*test::open_sqlite(dir_.file("dst.db")),
                        "SELECT group_concat(id || ':' || coalesce(d, 'NULL') || ':' || coalesce(at, 'NULL'), ' ') "
                        "FROM (SELECT * FROM dst ORDER BY id)");
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> db_;
  std::string source_url_, table_;
};

constexpr const char* kZeroDate =
    "the server returned a zero date (0000-00-00); add ?zero_dates=null to the connection URL to read such dates as "
    "NULL";

TEST_F(PollZeroDates, ByDefaultTheRunFailsInOneLineNamingTheRowAndColumn) {
  auto r = run(with_cursor());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: reading from connection `src` (mysql://")));
  EXPECT_THAT(r.err, HasSubstr(fmt::format(" from the cursor's start: the row (id)=(2): column `d`: {}\n", kZeroDate)));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 0 rows, wrote 0 rows in"));
}

TEST_F(PollZeroDates, NullPassesNullOnNamingEachValueAndCountsThem) {
  auto r = run(with_cursor(", on_bad_value: null, page_size: 2"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: the row (id)=(2): column `d`: {}: NULL passed "
                                           "on instead (on_bad_value: null)\n",
                                           kZeroDate)));
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: the row (id)=(3): column `at`: {}: NULL "
                                           "passed on instead (on_bad_value: null)\n",
                                           kZeroDate)));
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: the row (id)=(5): column `d`: {0}; column "
                                           "`at`: {0}: NULL passed on instead (on_bad_value: null)\n",
                                           kZeroDate)));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 5 rows, wrote 5 rows, 4 values written as NULL in"));
  EXPECT_EQ(target_rows(), "1:2024-01-02:2024-01-02 03:04:05 2:NULL:2024-01-02 03:04:05 3:2024-02-29:NULL "
                           "4:NULL:2024-05-06 07:08:09 5:NULL:NULL");
}

TEST_F(PollZeroDates, WithoutACursorTheRowIsNamedByItsNumberInTheRun) {
  const std::string query = fmt::format("query: \"SELECT id, d, at FROM {} ORDER BY id\"", table_);
  auto r = run(query);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format(": row 2 of the run: column `d`: {}\n", kZeroDate)));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = run(query + ", on_bad_value: null");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: row 2 of the run: column `d`: {}: NULL passed "
                                           "on instead (on_bad_value: null)\n",
                                           kZeroDate)));
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: row 3 of the run: column `at`: {}: NULL "
                                           "passed on instead (on_bad_value: null)\n",
                                           kZeroDate)));
  EXPECT_THAT(r.err, HasSubstr(fmt::format("pipelines.p.input.sql_poll: row 5 of the run: column `d`: {0}; column "
                                           "`at`: {0}: NULL passed on instead (on_bad_value: null)\n",
                                           kZeroDate)));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 5 rows, wrote 5 rows, 4 values written as NULL in"));
  EXPECT_EQ(target_rows(), "1:2024-01-02:2024-01-02 03:04:05 2:NULL:2024-01-02 03:04:05 3:2024-02-29:NULL "
                           "4:NULL:2024-05-06 07:08:09 5:NULL:NULL");
}

TEST_F(PollZeroDates, AnIncrementalSyncNamesAndCountsEachValue) {
  test::write_file(dir_.file("weir.yaml"), fmt::format("connections:\n  src: {}\n  lite: \"sqlite:lite.db\"\n",
                                                       source_url_));
  const std::vector<std::string> args = {"sync", "--progress", "0s", "src." + table_, "--to", "lite", "--mode",
                                         "incremental", "--cursor", "id"};
  auto r = test::run_weir(args, dir_.path().string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format("the row (id)=(2): column `d`: {}\n", kZeroDate)));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  std::vector<std::string> lenient = args;
  lenient.insert(lenient.end(), {"--on-bad-value", "null", "--verify", "--format", "json"});
  r = test::run_weir(lenient, dir_.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format("table `{}`: the row (id)=(2): column `d`: {}: NULL passed on instead "
                                           "(on_bad_value: null)\n",
                                           table_, kZeroDate)));
  EXPECT_THAT(r.err, HasSubstr(fmt::format("table `{}`: the row (id)=(3): column `at`: {}: NULL passed on instead "
                                           "(on_bad_value: null)\n",
                                           table_, kZeroDate)));
  EXPECT_THAT(r.err, HasSubstr(fmt::format("table `{0}`: the row (id)=(5): column `d`: {1}; column `at`: {1}: NULL "
                                           "passed on instead (on_bad_value: null)\n",
                                           table_, kZeroDate)));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"values_nulled\":4,"));
  EXPECT_THAT(r.out, HasSubstr("\"matches\":true"));
}

}  // namespace
}  // namespace weir
