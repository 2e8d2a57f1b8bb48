// decimal_sum (src/db/sqlite/decimal_sum.cpp): exact sums over decimal text and REALs.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "db/sqlite/decimal_sum.hpp"

namespace weir::db::sqlite {
namespace {

std::string sum(const std::string& values) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  register_decimal_sum(db);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = "WITH t(v) AS (VALUES " + values + ") SELECT decimal_sum(v) FROM t";
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out;
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    out = text ? text : "NULL";
  } else {
    out = std::string("error: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST(DecimalSum, RealsSumAsTheirDecimals) {
  std::string values;
  for (int i = 0; i < 527; ++i) values += (i ? ", " : "") + std::string(i % 2 ? "(0.99)" : "(1.98)");
  EXPECT_EQ(sum(values), "783.09");  // 264 × 1.98 + 263 × 0.99, where sum() is off in the 12th digit
}

TEST(DecimalSum, ExactTextOfAnySize) {
  EXPECT_EQ(sum("('1234567890123456789012345678.0123456789'), ('0.000000000000000000000000000001')"),
            "1234567890123456789012345678.012345678900000000000000000001");
  EXPECT_EQ(sum("('18446744073709551615'), (1)"), "18446744073709551616");
  EXPECT_EQ(sum("('-0.50'), (0.25), ('1e-3'), ('2E+2')"), "199.751");
  EXPECT_EQ(sum("('-1.5'), (1.5)"), "0.0");
}

// Short values (up to 18 digits) add up as one 128-bit integer: a value with more fractional
// digits, a long value and a running sum near the integer's range all hand over exactly.
TEST(DecimalSum, ShortValuesSumExactlyAcrossScalesAndMagnitudes) {
  EXPECT_EQ(sum("('1.5'), (2), ('0.125'), ('-3.25')"), "0.375");
  EXPECT_EQ(sum("('1.5'), ('1234567890123456789012.5'), ('0.25'), (-1)"), "1234567890123456789013.25");
  std::string values = "('0.000000000000000001')";
  for (int i = 0; i < 20; ++i) values += ", ('999999999999999999')";
  EXPECT_EQ(sum(values), "19999999999999999980.000000000000000001");
  EXPECT_EQ(sum("('-0.00')"), "0.00");
  EXPECT_EQ(sum("(0.1), (0.2), (-1.25), (1e300), (-1e300), (1e-7)"), "-0.9499999");
  EXPECT_EQ(sum("('-999999999999999999'), ('-0.5'), (9223372036854775807)"), "8223372036854775807.5");
}

TEST(DecimalSum, NullsAreSkippedAndNoRowsIsNull) {
  EXPECT_EQ(sum("(NULL), (2)"), "2");
  EXPECT_EQ(sum("(NULL)"), "NULL");
}

TEST(DecimalSum, TextThatIsNoNumberIsAnError) {
  EXPECT_EQ(sum("('1'), ('abc')"), "error: decimal_sum: `abc` is not a number");
}

}  // namespace
}  // namespace weir::db::sqlite
