// A statement of one connection rewritten to run there whole (src/query/whole_statement.hpp):
// SQLite's NULL placement and byte order written out, and what could mean otherwise refused.
#include "query/whole_statement.hpp"

#include <gtest/gtest.h>

#include "db/mysql/dialect.hpp"
#include "db/postgres/dialect.hpp"
#include "weir/db/driver.hpp"

namespace weir::query {
namespace {

Column col(std::string name, Type type, std::string native) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.native_type = std::move(native);
  return c;
}

const std::vector<Column> kSales{col("id", Type::int64, "integer"), col("region", Type::text, "text"),
                                 col("ts", Type::timestamp, "timestamp without time zone"),
                                 col("flag", Type::boolean, "boolean")};

WholeStatement on_pg(const std::string& sql) {
  static const db::postgres::PgDialect pg;
  auto names = find_remote_tables(sql, [](std::string_view c) { return c == "pg"; });
  std::vector<const std::vector<Column>*> columns(names.size(), &kSales);
  return whole_statement(sql, names, columns, pg);
}

const std::string kTable =
    "(SELECT \"id\", \"region\" COLLATE \"C\" AS \"region\", \"ts\", \"flag\" FROM \"public\".\"sales\")";

TEST(QueryWholeStatement, OrderTermsGetSqlitesNullPlacement) {
  EXPECT_EQ(on_pg("SELECT region FROM pg.public.sales s ORDER BY region, id DESC LIMIT 3").sql,
            "SELECT region FROM " + kTable + " s ORDER BY region NULLS FIRST, id DESC NULLS LAST LIMIT 3");
  // Given ones are kept; a window's ORDER BY gets them too; a subquery's ends at its parenthesis.
  EXPECT_EQ(on_pg("SELECT row_number() OVER (PARTITION BY flag ORDER BY ts DESC) AS n FROM pg.public.sales "
                  "ORDER BY id NULLS LAST")
                .sql,
            "SELECT row_number() OVER (PARTITION BY flag ORDER BY ts DESC NULLS LAST) AS n FROM " + kTable +
                " AS \"sales\" ORDER BY id NULLS LAST");
  EXPECT_EQ(on_pg("SELECT id FROM pg.public.sales a WHERE id IN (SELECT id FROM pg.public.sales b ORDER BY ts LIMIT 2)").sql,
            "SELECT id FROM " + kTable + " a WHERE id IN (SELECT id FROM " + kTable + " b ORDER BY ts NULLS FIRST LIMIT 2)");
}

TEST(QueryWholeStatement, DatesMustBeWrittenAsWeirWritesTheColumn) {
  EXPECT_TRUE(on_pg("SELECT id FROM pg.public.sales WHERE ts >= '2026-01-02 00:00:00'").sql);
  EXPECT_TRUE(on_pg("SELECT id FROM pg.public.sales WHERE ts BETWEEN '2026-01-02 00:00:00' AND '2026-01-03 00:00:00'").sql);
  WholeStatement date_text = on_pg("SELECT id FROM pg.public.sales WHERE ts > '2026-01-02'");
  EXPECT_FALSE(date_text.sql);
  EXPECT_EQ(date_text.why_not, "'2026-01-02' is not written as weir writes a timestamp ('2026-01-31 10:00:00')");
  EXPECT_FALSE(on_pg("SELECT id FROM pg.public.sales WHERE ts IN ('2026-01-02', '2026-01-03 00:00:00')").sql);
  EXPECT_FALSE(on_pg("SELECT '2026-01-02' AS d FROM pg.public.sales").sql);
  EXPECT_EQ(on_pg("SELECT id FROM pg.public.sales WHERE flag = 'true'").why_not, "it compares 'true' with a boolean");
}

TEST(QueryWholeStatement, WhatMeansOtherwiseKeepsTheVirtualTables) {
  EXPECT_EQ(on_pg("SELECT id FROM pg.public.sales WHERE region LIKE 'a%'").why_not, "it uses LIKE");
  EXPECT_EQ(on_pg("SELECT id * 2 AS d FROM pg.public.sales").why_not,
            "it uses `*` (SQLite's arithmetic differs from the database's)");
  EXPECT_EQ(on_pg("SELECT lower(region) AS r FROM pg.public.sales").why_not, "it calls lower()");
  EXPECT_EQ(on_pg("SELECT [id] FROM pg.public.sales").why_not, "it quotes a name as [id]");
  // count(*), SELECT *, t.* and negative numbers are no arithmetic.
  EXPECT_TRUE(on_pg("SELECT count(*) AS n, min(id) AS m FROM pg.public.sales WHERE id > -5").sql);
  EXPECT_TRUE(on_pg("SELECT s.*, * FROM pg.public.sales s").sql);
  // Comments go: PostgreSQL nests /* */, SQLite does not.
  EXPECT_EQ(on_pg("SELECT id /* a /* b */ FROM pg.public.sales s").sql, "SELECT id FROM " + kTable + " s");
  std::vector<Column> with_char{col("c", Type::text, "character(3)")};
  auto names = find_remote_tables("SELECT c FROM pg.t", [](std::string_view c) { return c == "pg"; });
  db::postgres::PgDialect pg;
  EXPECT_EQ(whole_statement("SELECT c FROM pg.t", names, {&with_char}, pg).why_not,
            "column `c` of `pg.t` is a character(3)");
  db::mysql::MyDialect my;
  EXPECT_EQ(whole_statement("SELECT c FROM pg.t", names, {&with_char}, my).why_not,
            "mysql compares text under its collations");
}

}  // namespace
}  // namespace weir::query
