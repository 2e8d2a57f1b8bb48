// Errors that say where (issue 17, item 5): each line a pipeline prints about a problem names
// the pipeline and the stage (YAML path), and where they matter the table, the column, the
// row's key and the cursor position. The lines are pinned whole, for a representative set: a
// value a PostgreSQL column cannot take, a constraint violation, a lookup that fails with
// on_error: fail, and a cursor column the query does not return.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "log_lines.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

using test::lines_with;

class ErrorLines : public ::testing::Test {
 protected:
  // The target's server (the connection `pg` of the pipeline, whichever it is).
  virtual const char* url_variable() const { return "WEIR_TEST_PG_URL"; }

  void SetUp() override {
    auto target = test::open_target(url_variable(), dir_, "unused.db");
    if (!target) GTEST_SKIP() << test::no_server_reason(url_variable());
    db_ = std::move(target->connection);
    pg_url_ = target->yaml_url;
    pg_shown_ = Url::parse(target->url).to_string();
    table_ = "el_" + test::unique_suffix();
    db_->execute(fmt::format("CREATE TABLE {} (id INTEGER PRIMARY KEY, code VARCHAR(3) NOT NULL, "
                             "v INTEGER NOT NULL, CONSTRAINT {}_v CHECK (v >= 0))",
                             table_, table_));
  }

  void TearDown() override {
    if (db_) db_->execute("DROP TABLE IF EXISTS " + table_);
  }

  // A pipeline `p` from a SQLite table src(id, code, v) holding `rows`, into the PostgreSQL
  // table, with `filters` and `cursor` (the sql_poll options after its query).
  test::CommandResult run(const std::string& rows, const std::string& query = "SELECT id, code, v FROM src",
                          const std::string& filters = "") {
    auto source = test::open_sqlite(dir_.file("src.db"));
    source->execute_script("DROP TABLE IF EXISTS src; CREATE TABLE src(id INTEGER PRIMARY KEY, code TEXT, v INTEGER);"
                           "INSERT INTO src VALUES " + rows);
    test::write_file(dir_.file("p.yaml"), fmt::format(R"(connections:
  src: "sqlite:src.db"
  pg: {}
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "{} WHERE {{{{cursor}}}} ORDER BY id", cursor: {{ columns: [id] }} }}
{}    output: {{ sql_write: {{ connection: pg, table: {} }} }}
    dead_letter: {{ connection: pg, table: {}_letters }}
)",
                                                     pg_url_, query, filters, table_, table_));
    return test::run_weir({"run", "--once", "--reset", "--progress", "0s", dir_.file("p.yaml")},
                          dir_.path().string());
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> db_;
  std::string pg_url_, pg_shown_, table_;  // pg_shown_: the URL as weir shows it, password masked
};

TEST_F(ErrorLines, AValueAColumnCannotTakeNamesTheTableTheColumnTheKeyAndThePosition) {
  auto r = run("(1, 'abc', 1), (2, 'abcd', 2), (3, 'xyz', 3)");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  db_->execute("DROP TABLE IF EXISTS " + table_ + "_letters");
  auto warnings = lines_with(r.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << r.err;
  EXPECT_EQ(warnings[0], fmt::format("warning pipelines.p.output.sql_write: table `{0}` rejected the row with key id=2 "
                                     "(source position {{\"id\":2}}): copying into `{0}` (COPY {0}, line 1, column code): "
                                     "value too long for type character varying(3) [SQLSTATE 22001]; it goes "
                                     "to the dead letters, as do later rejected rows (counted in the progress lines "
                                     "and the summary)",
                                     table_));
}

TEST_F(ErrorLines, AConstraintViolationNamesTheTableTheKeyAndThePosition) {
  auto r = run("(1, 'abc', 1), (2, 'def', -2), (3, 'xyz', 3)");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  db_->execute("DROP TABLE IF EXISTS " + table_ + "_letters");
  auto warnings = lines_with(r.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << r.err;
  EXPECT_EQ(warnings[0], fmt::format("warning pipelines.p.output.sql_write: table `{0}` rejected the row with key id=2 "
                                     "(source position {{\"id\":2}}): check `{0}_v` (v >= 0) refuses column `v` = -2: "
                                     "copying into `{0}` (COPY {0}, line 1): new row for "
                                     "relation \"{0}\" "
                                     "violates check constraint \"{0}_v\" (Failing row contains (2, def, -2).) "
                                     "[SQLSTATE 23514]; it goes to the dead letters, as do later rejected rows "
                                     "(counted in the progress lines and the summary)",
                                     table_));
}

TEST_F(ErrorLines, AFailedLookupNamesTheQueryTheKeyAndThePosition) {
  auto r = run("(1, 'abc', 1), (2, 'def', 0), (3, 'xyz', 3)", "SELECT id, code, v FROM src",
               "    filters:\n      - sql_call:\n          connection: pg\n          queries:\n"
               "            - sql: \"SELECT 6 / {{record.v}} AS ratio\"\n              on_error: fail\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto errors = lines_with(r.err, "failed");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_EQ(errors[0], fmt::format("weir: pipeline p failed: {}:12:15: pipelines.p.filters[0].sql_call.queries[0]: "
                                   "looking up record.v=0 (source position {{\"id\":2}}): pipelines.p.filters[0]."
                                   "sql_call: lookup on connection `pg` ({}): running query: division by zero "
                                   "[SQLSTATE 22012]",
                                   dir_.file("p.yaml"), pg_shown_));
}

TEST_F(ErrorLines, ACursorColumnTheQueryLacksNamesTheCursorAndWhereItStood) {
  auto r = run("(1, 'abc', 1), (2, 'def', 2)", "SELECT code, v FROM src");
  EXPECT_NE(r.exit_code, 0) << r.err;
  auto errors = lines_with(r.err, "failed");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_EQ(errors[0], "weir: pipeline p failed: " + dir_.file("p.yaml") +
                           ": pipelines.p.input.sql_poll.cursor from the cursor's start: cursor column `id` is not "
                           "among the query's columns (code, v)");
}

// The same pipeline into MariaDB, whose message names only the CHECK ("CONSTRAINT `t_v` failed
// for `db`.`t`"): weir names the column its condition reads, from the catalog.
class ErrorLinesMariadb : public ErrorLines {
 protected:
  const char* url_variable() const override { return "WEIR_TEST_MYSQL_URL"; }
};

TEST_F(ErrorLinesMariadb, ACheckConstraintViolationNamesTheColumnItsConditionReads) {
  auto r = run("(1, 'abc', 1), (2, 'def', -2), (3, 'xyz', 3)");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string database = test::scalar(*db_, "SELECT DATABASE()");
  db_->execute("DROP TABLE IF EXISTS " + table_ + "_letters");
  auto warnings = lines_with(r.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << r.err;
  EXPECT_EQ(warnings[0], fmt::format("warning pipelines.p.output.sql_write: table `{0}` rejected the row with key id=2 "
                                     "(source position {{\"id\":2}}): check `{0}_v` (`v` >= 0) refuses column `v` = -2: "
                                     "writing rows 1\u2013" "1 of the batch to `{0}`: running statement: CONSTRAINT "
                                     "`{0}_v` failed for `{1}`.`{0}` [errno 4025, SQLSTATE 23000]; it goes to the "
                                     "dead letters, as do later rejected rows (counted in the progress lines and the "
                                     "summary)",
                                     table_, database));
  EXPECT_EQ(test::scalar(*db_, "SELECT count(*) FROM " + table_), "2") << "the rows around it were written";
}

// Rows of a query handed to sql_apply, which applies changes: one line, the stage named once.
TEST(ErrorLinesSqlApply, RowsWithoutASourceTableNameTheStageOnce) {
  test::TempDir dir;
  auto db = test::open_sqlite(dir.file("src.db"));
  db->execute_script("CREATE TABLE src(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO src VALUES (1, 'a');"
                     "CREATE TABLE dst(id INTEGER PRIMARY KEY, v TEXT);");
  test::write_file(dir.file("p.yaml"), R"(connections:
  db: "sqlite:src.db"
pipelines:
  p:
    input: { sql_poll: { connection: db, query: "SELECT id, v FROM src" } }
    output: { sql_apply: { connection: db } }
)");
  auto r = test::run_weir({"run", "--once", "--progress", "0s", dir.file("p.yaml")}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto errors = lines_with(r.err, "weir: pipeline p failed");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_EQ(errors[0], "weir: pipeline p failed: " + dir.file("p.yaml") +
                           ": pipelines.p.output.sql_apply applying changes: the input's rows name no source table; "
                           "sql_apply applies changes of tables (such as postgres_cdc's), use sql_write for rows");
}

}  // namespace
}  // namespace weir
