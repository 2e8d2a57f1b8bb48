// Finding the remote tables of a weir query statement and rewriting it (src/query/table_names.hpp).
#include "query/table_names.hpp"

#include <gtest/gtest.h>

#include "weir/error.hpp"

namespace weir::query {
namespace {

bool known(std::string_view name) { return name == "pg" || name == "my" || name == "lite"; }

std::vector<std::string> labels(std::string_view sql) {
  std::vector<std::string> out;
  for (const TableName& n : find_remote_tables(sql, known)) out.push_back(n.label());
  return out;
}

std::string rewritten(std::string_view sql) {
  auto names = find_remote_tables(sql, known);
  int i = 0;
  return rewrite_tables(sql, names, [&](const TableName&) { return "v" + std::to_string(++i); });
}

TEST(QueryTableNames, FindsTablesInFromJoinAndCommaLists) {
  EXPECT_EQ(labels("SELECT * FROM pg.public.orders o JOIN my.customers c ON c.id = o.cid, lite.t"),
            (std::vector<std::string>{"pg.public.orders", "my.customers", "lite.t"}));
  EXPECT_EQ(labels("SELECT (SELECT max(x) FROM my.t WHERE y IN (SELECT y FROM pg.u)) FROM lite.v"),
            (std::vector<std::string>{"my.t", "pg.u", "lite.v"}));
}

TEST(QueryTableNames, LeavesColumnsStringsCommentsAndLocalTablesAlone) {
  // pg.x is a column of alias pg here; strings and comments hold no table.
  EXPECT_TRUE(labels("SELECT pg.x, 'FROM my.t' FROM t AS pg -- FROM my.t\n WHERE a = 1").empty());
  EXPECT_TRUE(labels("SELECT * FROM main.t, temp.u").empty());
  EXPECT_TRUE(labels("SELECT * FROM cte WHERE x IN (1, 2)").empty());
}

TEST(QueryTableNames, QuotedPartsAreUnquoted) {
  auto names = find_remote_tables(R"(SELECT * FROM "pg"."Sales"."Order ""x""")", known);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].table.schema, "Sales");
  EXPECT_EQ(names[0].table.name, "Order \"x\"");
}

TEST(QueryTableNames, UnknownConnectionIsNamedWithItsColumn) {
  try {
    find_remote_tables("SELECT * FROM nope.public.t", known);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "no connection `nope` in the config file (table `nope.public.t` at column 15)");
  }
}

TEST(QueryTableNames, RewriteKeepsAliasesAndAddsOneWhereNoneIsGiven) {
  EXPECT_EQ(rewritten("SELECT orders.id FROM pg.public.orders WHERE orders.id > 1"),
            "SELECT orders.id FROM v1 AS \"orders\" WHERE orders.id > 1");
  EXPECT_EQ(rewritten("SELECT o.id FROM pg.orders o JOIN my.c AS c ON c.id = o.id"),
            "SELECT o.id FROM v1 o JOIN v2 AS c ON c.id = o.id");
}

}  // namespace
}  // namespace weir::query
