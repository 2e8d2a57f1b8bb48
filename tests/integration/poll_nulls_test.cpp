// sql_poll's rows whose cursor column is NULL, on PostgreSQL, MariaDB and SQLite: `nulls: skip`
// leaves them unread but counts them (summary, accounting line, warning); `nulls: first` reads
// them before the others, and each later run reads the NULL rows added since, once.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

struct Source {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file
};

void PrintTo(const Source& s, std::ostream* os) { *os << s.name; }

class PollNulls : public ::testing::TestWithParam<Source> {
 protected:
  void SetUp() override {
    auto source = test::open_target(GetParam().url_variable, dir_, "src.db");
    if (!source) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    db_ = std::move(source->connection);
    source_url_ = source->yaml_url;
    table_ = "nulls_" + test::unique_suffix();
    db_->execute(fmt::format("CREATE TABLE {} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NULL)", table_));
    db_->execute(fmt::format("INSERT INTO {} VALUES (1, 10), (2, NULL), (3, 20), (4, NULL), (5, 30), (6, NULL)",
                             table_));
  }

  void TearDown() override {
    if (db_) db_->execute("DROP TABLE IF EXISTS " + table_);
  }

  // Polls the table ordered by `columns` (its cursor), with `options` in the cursor.
  void write_project(const std::string& options, const std::string& columns = "v, id") {
    test::write_file(dir_.file("p.yaml"), fmt::format(R"(connections:
  src: {}
  dst: "sqlite:dst.db"
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "SELECT id, v FROM {} WHERE {{{{cursor}}}} ORDER BY {}",
                   cursor: {{ columns: [{}]{} }}, page_size: 2 }}
    output: {{ sql_write: {{ connection: dst, table: dst, create_table: true, mode: upsert, key: [id] }} }}
)",
                                                      source_url_, table_, columns, columns, options));
  }

  test::CommandResult run() {
    return test::run_weir({"run", "--once", "--progress", "0s", dir_.file("p.yaml")}, dir_.path().string());
  }

  std::string target_ids() {
    return test::scalar(*test::open_sqlite(dir_.file("dst.db")), "SELECT group_concat(id, ',') FROM (SELECT id FROM "
                                                                  "dst ORDER BY id)");
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> db_;
  std::string source_url_, table_;
};

TEST_P(PollNulls, SkipLeavesThemUnreadAndCountsThemEveryRun) {
  write_project("");  // skip is the default
  auto first = run();
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_THAT(first.out, HasSubstr("pipeline p: read 6 rows, wrote 3 rows, 3 skipped in"));
  EXPECT_THAT(first.out, HasSubstr("pipeline p: read 6 = written 3 + dead-lettered 0 + filtered 0 + skipped 3"));
  EXPECT_THAT(first.err, HasSubstr("pipelines.p.input.sql_poll.cursor: 3 row(s) have a NULL cursor column (v,id) "
                                   "and were skipped (`nulls: skip`)"));
  EXPECT_EQ(target_ids(), "1,3,5");
  auto again = run();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("pipeline p: read 3 = written 0 + dead-lettered 0 + filtered 0 + skipped 3"));
}

TEST_P(PollNulls, FirstReadsThemBeforeTheOthersAndLaterOnesOnce) {
  write_project(", nulls: first");
  auto first = run();
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_THAT(first.out, HasSubstr("pipeline p: read 6 = written 6 + dead-lettered 0 + filtered 0 + skipped 0"));
  EXPECT_EQ(target_ids(), "1,2,3,4,5,6");

  db_->execute(fmt::format("INSERT INTO {} VALUES (7, NULL), (8, 40)", table_));
  auto second = run();
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_THAT(second.out, HasSubstr("pipeline p: read 2 = written 2 + dead-lettered 0 + filtered 0 + skipped 0"));
  EXPECT_EQ(target_ids(), "1,2,3,4,5,6,7,8");

  auto third = run();
  EXPECT_EQ(third.exit_code, 0) << third.out << third.err;
  EXPECT_THAT(third.out, HasSubstr("pipeline p: read 0 = written 0 + dead-lettered 0 + filtered 0 + skipped 0"));
}

TEST_P(PollNulls, FirstNeedsASecondCursorColumn) {
  write_project(", nulls: first", "v");
  auto r = run();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("pipelines.p.input.sql_poll.cursor: nulls: first needs a second cursor column"));
}

const Source kSources[] = {{"Sqlite", nullptr}, {"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}};

INSTANTIATE_TEST_SUITE_P(Sources, PollNulls, ::testing::ValuesIn(kSources),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
