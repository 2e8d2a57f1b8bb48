// Which lookups are rewritten into one `IN (…)` query, and how.
#include <gtest/gtest.h>

#include <string>

#include "db/mysql/dialect.hpp"
#include "db/postgres/dialect.hpp"
#include "lookup/sql_batch.hpp"

namespace weir::lookup {
namespace {

const db::postgres::PgDialect kPg;
const db::mysql::MyDialect kMy;

// The rewritten SQL for `count` keys, or "no: <reason>".
std::string plan(const std::string& sql, std::size_t count = 3, const db::Dialect& dialect = kPg) {
  std::string why;
  auto p = BatchPlan::make(SqlTemplate::parse(sql, "q"), why);
  if (!p) return "no: " + why;
  EXPECT_TRUE(why.empty());
  return p->render(dialect, count);
}

bool batchable(const std::string& sql) { return plan(sql).rfind("no: ", 0) != 0; }

TEST(SqlBatch, TheSimpleLookupGetsAKeyColumnAndAnInList) {
  EXPECT_EQ(plan("SELECT name AS customer_name, tier FROM customers WHERE id = {{record.customer_id}}"),
            "SELECT name AS customer_name, tier, id AS weir_lookup_key FROM customers WHERE id IN ($1, $2, $3)");
  EXPECT_EQ(plan("SELECT name FROM customers WHERE id = {{record.customer_id}}", 2, kMy),
            "SELECT name, id AS weir_lookup_key FROM customers WHERE id IN (?, ?)");
  EXPECT_EQ(plan("SELECT * FROM customers WHERE id = {{record.id}};", 1),
            "SELECT *, id AS weir_lookup_key FROM customers WHERE id IN ($1)");
}

TEST(SqlBatch, OtherConditionsAndJoinsStay) {
  EXPECT_EQ(plan("SELECT c.name, r.label FROM customers c JOIN regions r ON r.id = c.region_id "
                 "WHERE c.active AND c.id = {{record.customer_id}} AND r.code <> 'X'",
                 2),
            "SELECT c.name, r.label, c.id AS weir_lookup_key FROM customers c JOIN regions r ON r.id = c.region_id "
            "WHERE c.active AND c.id IN ($1, $2) AND r.code <> 'X'");
  EXPECT_EQ(plan("SELECT \"Name\" FROM \"Cust\" WHERE \"Cust\".\"Id\" = {{record.id}}", 1),
            "SELECT \"Name\", \"Cust\".\"Id\" AS weir_lookup_key FROM \"Cust\" WHERE \"Cust\".\"Id\" IN ($1)");
  EXPECT_EQ(plan("SELECT name FROM t WHERE {{record.id}} = t.id AND x IN (SELECT y FROM u WHERE z = 1)", 1),
            "SELECT name, t.id AS weir_lookup_key FROM t WHERE t.id IN ($1) AND x IN (SELECT y FROM u WHERE z = 1)");
  EXPECT_EQ(plan("SELECT upper(name) AS n, (SELECT 1) AS one FROM t WHERE\n  id = {{record.id}} -- the key\n", 1),
            "SELECT upper(name) AS n, (SELECT 1) AS one, id AS weir_lookup_key FROM t WHERE\n  id IN ($1)");
}

// A preload reads every key: the key's condition becomes `1 = 1`, the others stay.
TEST(SqlBatch, EveryKeyAtOnceLeavesTheKeysConditionOut) {
  auto all = [](const std::string& sql) {
    std::string why;
    return BatchPlan::make(SqlTemplate::parse(sql, "q"), why)->render_all();
  };
  EXPECT_EQ(all("SELECT name FROM customers WHERE id = {{record.customer_id}}"),
            "SELECT name, id AS weir_lookup_key FROM customers WHERE 1 = 1");
  EXPECT_EQ(all("SELECT c.name FROM customers c WHERE c.active AND {{record.id}} = c.id AND c.region <> 'X'"),
            "SELECT c.name, c.id AS weir_lookup_key FROM customers c WHERE c.active AND 1 = 1 AND c.region <> 'X'");
}

TEST(SqlBatch, WhatCannotBeRewrittenWithConfidenceIsNot) {
  EXPECT_EQ(plan("SELECT a FROM t WHERE x = {{record.x}} AND y = {{record.y}}"),
            "no: has 2 templates (batching needs exactly one)");
  EXPECT_EQ(plan("SELECT 1"), "no: has 0 templates (batching needs exactly one)");
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} LIMIT 1"), "no: uses LIMIT");
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} ORDER BY a"), "no: uses ORDER");
  EXPECT_EQ(plan("SELECT k FROM t WHERE id = {{record.id}} GROUP BY k"), "no: uses GROUP");
  EXPECT_EQ(plan("SELECT count(*) FROM orders WHERE customer_id = {{record.id}}"), "no: calls the aggregate COUNT()");
  EXPECT_EQ(plan("SELECT string_agg(x, ',') FROM t WHERE id = {{record.id}}"), "no: calls the aggregate STRING_AGG()");
  EXPECT_EQ(plan("SELECT DISTINCT a FROM t WHERE id = {{record.id}}"), "no: uses DISTINCT");
  EXPECT_EQ(plan("SELECT a, row_number() OVER () FROM t WHERE id = {{record.id}}"), "no: uses OVER");
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} UNION SELECT b FROM u"), "no: uses UNION");
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} FOR UPDATE"), "no: uses FOR");
  EXPECT_EQ(plan("WITH c AS (SELECT 1) SELECT a FROM t WHERE id = {{record.id}}"), "no: is not a plain SELECT");
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}}; DELETE FROM t"), "no: has several statements");
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} OR b = 1"), "no: uses OR in WHERE");
  EXPECT_EQ(plan("SELECT a FROM t WHERE x BETWEEN 1 AND id = {{record.id}}"), "no: uses BETWEEN in WHERE");
  EXPECT_EQ(plan("SELECT {{record.id}} AS a FROM t WHERE b = 1"),
            "no: the template is not compared with `=` to a column as a condition of WHERE joined by AND");
  const std::string not_a_column_condition =
      "no: the template is not compared with `=` to a column as a condition of WHERE joined by AND";
  EXPECT_EQ(plan("SELECT a FROM t WHERE id > {{record.id}}"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t WHERE lower(email) = {{record.e}}"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} + 1"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t WHERE NOT id = {{record.id}}"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t WHERE (id = {{record.id}})"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t WHERE x IN (SELECT y FROM u WHERE u.k = {{record.k}})"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t WHERE id = {{record.id}} COLLATE \"C\""), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t JOIN u ON u.k = {{record.k}} WHERE b = 1"), not_a_column_condition);
  EXPECT_EQ(plan("SELECT a FROM t"), "no: has 0 templates (batching needs exactly one)");
  EXPECT_EQ(plan("SELECT {{record.id}}"), "no: is not of the form SELECT … FROM … WHERE …");
  EXPECT_EQ(plan("SELECT a AS weir_lookup_key FROM t WHERE id = {{record.id}}"),
            "no: already uses the name weir_lookup_key");
}

TEST(SqlBatch, KeywordsInsideLiteralsDoNotCount) {
  EXPECT_TRUE(batchable("SELECT 'LIMIT 1 OR ORDER BY' AS note FROM t WHERE id = {{record.id}} AND s = 'a OR b'"));
  EXPECT_TRUE(batchable("SELECT \"order\", \"count\" FROM t WHERE id = {{record.id}}"));
  EXPECT_TRUE(batchable("SELECT count FROM t WHERE id = {{record.id}}")) << "a column named count is no call";
}

}  // namespace
}  // namespace weir::lookup
