// Which values a decimal column of a given scale would round (src/db/common/column_rounding.cpp).
#include <gtest/gtest.h>

#include <limits>

#include "db/common/column_rounding.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

TEST(ColumnRounding, OnlyNonzeroDigitsBeyondTheScaleCount) {
  EXPECT_TRUE(exceeds_scale(Value(Decimal{"1.005"}), 2));
  EXPECT_TRUE(exceeds_scale(Value(Decimal{"-0.001"}), 2));
  EXPECT_FALSE(exceeds_scale(Value(Decimal{"1.00500"}), 3)) << "trailing zeros are no digits lost";
  EXPECT_FALSE(exceeds_scale(Value(Decimal{"12.3400"}), 2));
  EXPECT_FALSE(exceeds_scale(Value(Decimal{"0.000"}), 0));
  EXPECT_FALSE(exceeds_scale(Value(Decimal{"18446744073709551615"}), 0));
  EXPECT_TRUE(exceeds_scale(Value(Decimal{"1e-3"}), 2));
  EXPECT_FALSE(exceeds_scale(Value(Decimal{"1.5E+1"}), 0));
  EXPECT_TRUE(exceeds_scale(Value(Decimal{"1.25e1"}), 0));
  // A negative scale keeps tens, hundreds …: numeric(5,-2) stores 123 as 100.
  EXPECT_TRUE(exceeds_scale(Value(std::int64_t{123}), -2));
  EXPECT_FALSE(exceeds_scale(Value(std::int64_t{1200}), -2));
  // Doubles as their shortest text, and the text of numbers, too.
  EXPECT_TRUE(exceeds_scale(Value(0.125), 2));
  EXPECT_FALSE(exceeds_scale(Value(0.5), 2));
  EXPECT_TRUE(exceeds_scale(Value(0.1 + 0.2), 2)) << "0.30000000000000004";
  EXPECT_TRUE(exceeds_scale(Value("2.999"), 2));
  // What is no number is the database's to judge.
  EXPECT_FALSE(exceeds_scale(Value("abc"), 2));
  EXPECT_FALSE(exceeds_scale(Value(std::numeric_limits<double>::quiet_NaN()), 2));
  EXPECT_FALSE(exceeds_scale(Value(), 2));
  EXPECT_FALSE(exceeds_scale(Value(true), 0));
}

TEST(ColumnRounding, NumbersCompareByValue) {
  EXPECT_TRUE(same_number("1.50", "1.5"));
  EXPECT_TRUE(same_number("-0.0120", "-1.2e-2"));
  EXPECT_TRUE(same_number("1200", "1.2E+3"));
  EXPECT_TRUE(same_number("0.000", "-0"));
  EXPECT_FALSE(same_number("12345678901234567890.5", "12345678901234567000"));
  EXPECT_FALSE(same_number("1.5", "-1.5"));
  EXPECT_FALSE(same_number("NaN", "NaN")) << "no number";
  EXPECT_TRUE(is_number("2e3"));
  EXPECT_FALSE(is_number(" 1"));
  EXPECT_FALSE(is_number("0x10"));
}

TEST(ColumnRounding, CheckNamesTheColumnRowAndType) {
  Schema schema({Column{"id", Type::int64, "integer"}, Column{"price", Type::decimal, "numeric(5,2)"}});
  Batch batch(std::make_shared<const Schema>(schema));
  for (const char* price : {"1.50", "2.345"}) {
    auto row = batch.append_row();
    row[0] = Value(std::int64_t{1});
    row[1] = Value(Decimal{price});
  }
  std::vector<std::string> columns{"id", "price"};
  ScaleLimits limits{std::nullopt, ScaleLimit{2, "numeric(5,2)"}};
  try {
    check_scales(batch, limits, columns);
    FAIL() << "2.345 passed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    EXPECT_EQ(std::string(e.what()), "column `price`, row 2 of the batch: 2.345 has more decimal places than "
                                     "numeric(5,2) keeps (2); it would be stored rounded");
  }
  check_scales(batch, {}, columns);  // no limits known: nothing to check
  Column described{"price", Type::decimal, "numeric(5,2)"};
  described.precision = 5;
  described.scale = 2;
  EXPECT_EQ(scale_limits(std::vector<Column>{described}, columns)[1]->type, "numeric(5,2)");
  EXPECT_FALSE(scale_limits(std::vector<Column>{described}, columns)[0]);
  EXPECT_FALSE(scale_limit(Column{"any", Type::decimal, "numeric"})) << "no precision: no rounding";
}

}  // namespace
}  // namespace weir::db
