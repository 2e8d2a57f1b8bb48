// `weir query "SQL"` over tables of one connection runs the statement there whole, and gives
// what SQLite gives over the virtual tables: text in byte order, NULLs first ascending, booleans
// as 0/1, dates compared as weir writes them; a statement whose meaning could differ keeps the
// virtual tables, and one the database refuses falls back to them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "db/connections.hpp"
#include "db/sqlite/decimal_sum.hpp"
#include "query/cross_query.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using test::run_weir;
using Rows = std::vector<std::vector<std::string>>;

Rows read_all(query::CrossQuery& q) {
  Rows rows;
  auto cursor = q.run();
  Batch batch;
  while (cursor->next(batch, 100))
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      rows.emplace_back();
      for (std::size_t c = 0; c < batch.width(); ++c)
        rows.back().push_back(batch.at(r, c).is_null() ? "NULL" : batch.at(r, c).to_text());
    }
  cursor.reset();
  q.finish();
  return rows;
}

// The same number at any scale (PostgreSQL's sum keeps 2 decimals, SQLite's exact sum none).
bool same_cell(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto x = db::sqlite::ExactDecimal::parse(a), y = db::sqlite::ExactDecimal::parse(b);
  return x && y && x->compare(*y) == 0;
}

std::string text(const Rows& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + row[c];
    out += '\n';
  }
  return out;
}

class QueryWhole : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(pg_url, "WEIR_TEST_PG_URL");
    WEIR_SERVER_URL_OR_SKIP(my_url, "WEIR_TEST_MYSQL_URL");
    pg_url_ = *pg_url;
    my_url_ = *my_url;
    s_ = test::unique_suffix();
    pg_ = db::connect(db::resolve_connection(pg_url_, nullptr));
    pg_->execute_script(fmt::format(
        "CREATE SCHEMA wq_{0};"
        "CREATE TABLE wq_{0}.sales (id int PRIMARY KEY, region text, amount numeric(12,2), sold date, ts timestamp, "
        "flag boolean, note varchar(20));"
        "INSERT INTO wq_{0}.sales VALUES (1, 'apple', 10.50, '2026-01-01', '2026-01-02 00:00:00', true, 'x'),"
        "(2, 'Banana', NULL, '2026-01-02', '2026-01-02 10:00:00', false, 'Y'), (3, 'banana', 20.00, NULL, NULL, NULL, NULL),"
        "(4, NULL, 5.25, '2026-01-03', '2026-01-03 00:00:00', true, 'z'), (5, 'Cherry', NULL, '2026-01-02', NULL, false, 'Z'),"
        "(6, 'apple', 30.00, '2026-01-05', '2026-01-01 23:59:59', true, NULL);"
        "CREATE TABLE wq_{0}.regions (name text, manager text);"
        "INSERT INTO wq_{0}.regions VALUES ('apple', 'Ann'), ('banana', 'Bob'), ('BANANA', 'Bea');",
        s_));
    lite_ = test::open_sqlite(dir_.file("lite.db"));
    lite_->execute_script("CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'b'), (2, 'B'), (3, NULL);"
                          "CREATE TABLE dated (id INTEGER, d DATE); INSERT INTO dated VALUES (1, '2026-01-01');");
    config_ = dir_.file("weir.yaml");
    test::write_file(config_, fmt::format("connections:\n  pg: \"{}\"\n  my: \"{}\"\n  lite: \"sqlite:{}\"\n", pg_url_,
                                          my_url_, dir_.file("lite.db")));
    connections_ = {[](std::string_view n) { return n == "pg" || n == "my" || n == "lite"; },
                    [this](std::string_view n) {
                      return db::resolve_connection(n == "pg" ? pg_url_ : n == "my" ? my_url_ : "sqlite:" + dir_.file("lite.db"), nullptr);
                    }};
  }

  void TearDown() override {
    if (pg_) pg_->execute_script(fmt::format("DROP SCHEMA IF EXISTS wq_{} CASCADE", s_));
  }

  std::string named(std::string sql) const {
    for (std::size_t at; (at = sql.find("{s}")) != std::string::npos;) sql.replace(at, 3, fmt::format("pg.wq_{}", s_));
    return sql;
  }

  // Runs `sql` whole (it must) and on the virtual tables: the same rows; returns them.
  Rows whole_and_on_sqlite(const std::string& sql) {
    SCOPED_TRACE(sql);
    query::CrossQuery whole(named(sql), connections_);
    EXPECT_EQ(whole.runs_whole_on(), std::optional<std::string>("pg"));
    Rows a = read_all(whole);
    EXPECT_EQ(whole.plan().front(), "the whole statement runs on `pg`");
    query::CrossQuery vtab(named(sql), connections_);
    vtab.keep_on_sqlite();
    Rows b = read_all(vtab);
    EXPECT_EQ(a.size(), b.size()) << text(a) << "---\n" << text(b);
    for (std::size_t r = 0; r < std::min(a.size(), b.size()); ++r)
      for (std::size_t c = 0; c < std::min(a[r].size(), b[r].size()); ++c)
        EXPECT_TRUE(same_cell(a[r][c], b[r][c])) << "row " << r << " column " << c << ": " << a[r][c] << " vs " << b[r][c];
    return a;
  }

  test::CommandResult weir(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", config_, "query"});
    return run_weir(args);
  }

  test::TempDir dir_;
  std::string s_, pg_url_, my_url_, config_;
  std::unique_ptr<db::Connection> pg_, lite_;
  query::Connections connections_;
};

TEST_F(QueryWhole, OneConnectionsStatementRunsThereWithSqlitesAnswer) {
  // Byte order ('B' < 'C' < 'a' < 'b'), the NULL group first.
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT region, count(*) AS n, sum(amount) AS total FROM {s}.sales "
                                     "GROUP BY region ORDER BY region")),
            "NULL,1,5.25\nBanana,1,NULL\nCherry,1,NULL\napple,2,40.50\nbanana,1,20.00\n");
  // Descending: NULLs last, as SQLite puts them.
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT id FROM {s}.sales ORDER BY amount DESC, id LIMIT 5")), "6\n3\n1\n4\n2\n");
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT id FROM {s}.sales WHERE region > 'B' AND region < 'b' ORDER BY id")),
            "1\n2\n5\n6\n");
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT s.id, r.manager FROM {s}.sales s LEFT JOIN {s}.regions r "
                                     "ON r.name = s.region ORDER BY s.id, r.manager")),
            "1,Ann\n2,NULL\n3,Bob\n4,NULL\n5,NULL\n6,Ann\n");
  // A boolean column stays one; a comparison is SQLite's 0 or 1.
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT id, flag, amount > 10 AS big FROM {s}.sales WHERE flag ORDER BY id")),
            "1,true,1\n4,true,0\n6,true,1\n");
  // NULLs first inside a window's ORDER BY too.
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT id, row_number() OVER (ORDER BY amount, id) AS rn FROM {s}.sales ORDER BY id")),
            "1,4\n2,1\n3,5\n4,3\n5,2\n6,6\n");
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT count(*) AS n FROM {s}.sales WHERE sold >= '2026-01-02'")), "4\n");
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT max(region) AS hi, min(note) AS lo FROM {s}.sales")), "banana,Y\n");
  EXPECT_EQ(text(whole_and_on_sqlite("SELECT id FROM {s}.sales WHERE id IN (SELECT id FROM {s}.sales "
                                     "WHERE amount IS NULL) ORDER BY id DESC NULLS FIRST")),
            "5\n2\n");
}

TEST_F(QueryWhole, StatementsWhoseMeaningCouldDifferKeepTheVirtualTables) {
  for (const char* sql : {
           "SELECT count(*) AS n FROM {s}.sales WHERE region LIKE 'a%'",       // ASCII case folding in SQLite
           "SELECT sum(amount * 2) AS n FROM {s}.sales",                       // REAL arithmetic in SQLite
           "SELECT lower(region) AS r FROM {s}.sales",                         // another function
           "SELECT count(*) AS n FROM {s}.sales WHERE ts > '2026-01-02'",      // a timestamp against a date's text
           "SELECT count(*) AS n FROM {s}.sales WHERE flag = 'true'",          // SQLite's booleans are 0 and 1
           "SELECT count(*) AS n FROM {s}.sales s JOIN lite.t ON t.id = s.id",  // two connections
       }) {
    SCOPED_TRACE(sql);
    query::CrossQuery q(named(sql), connections_);
    EXPECT_EQ(q.runs_whole_on(), std::nullopt);
  }
  // SQLite compares the text: midnight of 2026-01-02 is after the text '2026-01-02'.
  query::CrossQuery ts(named("SELECT count(*) AS n FROM {s}.sales WHERE ts > '2026-01-02'"), connections_);
  EXPECT_EQ(text(read_all(ts)), "3\n");
  EXPECT_NE(ts.plan().back().find("not run whole on `pg`: '2026-01-02' is not written as weir writes a timestamp"),
            std::string::npos)
      << ts.plan().back();
}

TEST_F(QueryWhole, AStatementTheDatabaseRefusesRunsOnSqlite) {
  // PostgreSQL cannot read 'x' as an integer; SQLite finds no row equal to it.
  query::CrossQuery q(named("SELECT count(*) AS n FROM {s}.sales WHERE id = 'x'"), connections_);
  ASSERT_EQ(q.runs_whole_on(), std::optional<std::string>("pg"));
  EXPECT_EQ(text(read_all(q)), "0\n");
  EXPECT_NE(q.plan().back().find("not run whole on `pg`: `pg` refused it"), std::string::npos) << q.plan().back();
}

TEST_F(QueryWhole, ExplainAndStatsSayTheStatementRanWhole) {
  auto r = weir({named("SELECT region, count(*) AS n FROM {s}.sales GROUP BY region ORDER BY region DESC"), "--explain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("plan:\n  the whole statement runs on `pg`\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("pg: SELECT region, count(*) AS n FROM (SELECT \"id\", \"region\" COLLATE \"C\" AS "
                                   "\"region\", \"amount\", \"sold\", \"ts\", \"flag\", \"note\" COLLATE "
                                   "\"C\" AS \"note\" FROM \"wq_{}\".\"sales\") AS \"sales\" GROUP BY region ORDER BY "
                                   "region DESC NULLS LAST\n  sent 1 time\n",
                                   s_)),
            std::string::npos)
      << r.out;
  auto stats = weir({named("SELECT count(*) AS n FROM {s}.sales"), "-f", "csv", "--stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(stats.out, "n\n6\n");
  EXPECT_NE(stats.err.find(fmt::format("pg.wq_{}.sales: 1 row fetched in 1 query", s_)), std::string::npos) << stats.err;
}

TEST_F(QueryWhole, ASqliteFilesStatementRunsThereWhenItsTypesPassUnchanged) {
  query::CrossQuery q("SELECT name, count(*) AS n FROM lite.t GROUP BY name ORDER BY name", connections_);
  EXPECT_EQ(q.runs_whole_on(), std::optional<std::string>("lite"));
  EXPECT_EQ(text(read_all(q)), "NULL,1\nB,1\nb,1\n");
  query::CrossQuery dated("SELECT count(*) AS n FROM lite.dated WHERE d = '2026-01-01'", connections_);
  EXPECT_EQ(dated.runs_whole_on(), std::nullopt) << "a date column: the virtual table reads it as weir's dates";
  EXPECT_EQ(text(read_all(dated)), "1\n");
}

}  // namespace
}  // namespace weir
