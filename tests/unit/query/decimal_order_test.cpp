// Exact decimals in weir query's embedded SQLite (src/query/decimal_order.hpp): the
// weir_decimal collation and the exact sum().
#include "query/decimal_order.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

namespace weir::query {
namespace {

struct Db {
  Db() {
    sqlite3_open(":memory:", &db);
    register_decimal_functions(db);
  }
  ~Db() { sqlite3_close(db); }
  // The rows of `sql`, each cell as text ("NULL" for NULL), joined by commas and newlines.
  std::string rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        auto* text = sqlite3_column_text(stmt, i);
        out += (i ? "," : "") + (text ? std::string(reinterpret_cast<const char*>(text)) : std::string("NULL"));
      }
      out += "\n";
    }
    if (rc != SQLITE_DONE) out += std::string("error: ") + sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    return out;
  }
  sqlite3* db = nullptr;
};

TEST(QueryDecimalOrder, CompareByNumericValueBeforeText) {
  EXPECT_EQ(compare_decimal_text("1.50", "1.5"), 0);
  EXPECT_LT(compare_decimal_text("9.99", "10"), 0);
  EXPECT_LT(compare_decimal_text("-10", "-9.5"), 0);
  EXPECT_GT(compare_decimal_text("18446744073709551615", "18446744073709551614"), 0);
  EXPECT_LT(compare_decimal_text("99999999999999999999", "abc"), 0);
}

TEST(QueryDecimalOrder, ColumnsSortGroupAndCompareByValue) {
  Db d;
  d.rows("CREATE TABLE t(x DECIMAL_TEXT COLLATE weir_decimal)");
  d.rows("INSERT INTO t VALUES ('10.00'), ('9.5'), ('18446744073709551615'), ('-1'), ('9.50'), (NULL)");
  EXPECT_EQ(d.rows("SELECT x FROM t ORDER BY x"), "NULL\n-1\n9.5\n9.50\n10.00\n18446744073709551615\n");
  EXPECT_EQ(d.rows("SELECT count(*) FROM t WHERE x > 9.6"), "2\n");
  EXPECT_EQ(d.rows("SELECT count(DISTINCT x), max(x) FROM t"), "4,18446744073709551615\n");
}

TEST(QueryDecimalOrder, SumIsExact) {
  Db d;
  d.rows("CREATE TABLE t(x DECIMAL_TEXT COLLATE weir_decimal, i INTEGER, r REAL)");
  d.rows("WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 100) "
         "INSERT INTO t SELECT '0.10', k, 0.1 FROM n");
  EXPECT_EQ(d.rows("SELECT sum(x), sum(i), typeof(sum(i)) FROM t"), "10.0,5050,integer\n");
  EXPECT_EQ(d.rows("SELECT sum(x) FROM (SELECT '18446744073709551615' AS x UNION ALL SELECT '1')"),
            "18446744073709551616\n");
  EXPECT_EQ(d.rows("SELECT sum(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1)"), "error: integer overflow");
  EXPECT_EQ(d.rows("SELECT sum(NULL)"), "NULL\n");
  // A window frame moving on takes values out again.
  EXPECT_EQ(d.rows("SELECT sum(x) OVER (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM "
                   "(SELECT '0.10' AS x UNION ALL SELECT '0.20' UNION ALL SELECT '0.30')"),
            "0.1\n0.3\n0.5\n");
}

// A REAL (or text that is no number) makes the sum a double, as SQLite's: the exact values'
// sum is rounded once and added to the others', so ten 0.10s stay 1 where adding each as a
// double gives 0.9999999999999999.
TEST(QueryDecimalOrder, SumWithARealRoundsTheExactPartOnce) {
  Db d;
  d.rows("CREATE TABLE t(x)");
  d.rows("WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 10) INSERT INTO t SELECT '0.10' FROM n");
  EXPECT_EQ(d.rows("SELECT sum(x) FROM t"), "1.0\n");
  d.rows("INSERT INTO t VALUES (0.5)");
  EXPECT_EQ(d.rows("SELECT sum(x), typeof(sum(x)) FROM t"), "1.5,real\n");
  d.rows("INSERT INTO t VALUES ('abc'), (2)");  // text that is no number counts as SQLite reads it: 0
  EXPECT_EQ(d.rows("SELECT sum(x) FROM t"), "3.5\n");
  EXPECT_EQ(d.rows("SELECT sum(x) FROM (SELECT 0.25 AS x UNION ALL SELECT 0.5)"), "0.75\n");
  // A window frame takes exact values and REALs out again.
  EXPECT_EQ(d.rows("SELECT sum(x) OVER (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM "
                   "(SELECT '0.10' AS x UNION ALL SELECT 0.5 UNION ALL SELECT '0.20' UNION ALL SELECT 3)"),
            "0.1\n0.6\n0.7\n3.2\n");
}

}  // namespace
}  // namespace weir::query
