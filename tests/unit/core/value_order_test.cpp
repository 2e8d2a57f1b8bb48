// Comparing values across types and canonical lookup keys.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/value_order.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

int cmp(const Value& a, const Value& b) {
  auto c = compare_values(a, b);
  EXPECT_TRUE(c.has_value()) << a.to_text() << " vs " << b.to_text();
  return c.value_or(99);
}

TEST(ValueOrder, DecimalTextComparesExactly) {
  EXPECT_EQ(compare_decimal_text("12.50", "12.5"), 0);
  EXPECT_EQ(compare_decimal_text("-0", "0.000"), 0);
  EXPECT_EQ(compare_decimal_text("007", "7"), 0);
  EXPECT_EQ(compare_decimal_text("+3", "3"), 0);
  EXPECT_EQ(compare_decimal_text("10", "9.99"), 1);
  EXPECT_EQ(compare_decimal_text("-10", "-9.99"), -1);
  EXPECT_EQ(compare_decimal_text("0.1", "0.10000000000000000000001"), -1);
  EXPECT_EQ(compare_decimal_text("123456789012345678901234567890", "123456789012345678901234567891"), -1);
  EXPECT_EQ(compare_decimal_text(".5", "0.5"), 0);
  EXPECT_EQ(compare_decimal_text("-1", "1"), -1);
  EXPECT_FALSE(compare_decimal_text("1e3", "1000"));
  EXPECT_FALSE(compare_decimal_text("", "0"));
  EXPECT_FALSE(compare_decimal_text("-", "0"));
  EXPECT_FALSE(compare_decimal_text("1.2.3", "0"));
  EXPECT_FALSE(compare_decimal_text(" 1", "1"));
}

TEST(ValueOrder, NumbersAcrossTypes) {
  EXPECT_EQ(cmp(Value(42), Value(Decimal{"42.00"})), 0);
  EXPECT_EQ(cmp(Value(42), Value(42.0)), 0);
  EXPECT_EQ(cmp(Value(0.1), Value(Decimal{"0.1"})), 0);
  EXPECT_EQ(cmp(Value(Decimal{"9007199254740993"}), Value(std::int64_t{9007199254740992})), 1);
  EXPECT_EQ(cmp(Value(-1), Value(0.5)), -1);
  EXPECT_EQ(cmp(Value("12.50"), Value(12.5)), 0) << "a numeral string against a number";
  EXPECT_FALSE(compare_values(Value("abc"), Value(1)));
  EXPECT_FALSE(compare_values(Value(std::nan("")), Value(1.0)));
  EXPECT_FALSE(compare_values(Value(true), Value(1)));
  EXPECT_FALSE(compare_values(Value(), Value()));
}

TEST(ValueOrder, TextBooleansAndTemporals) {
  EXPECT_EQ(cmp(Value("a"), Value("b")), -1);
  EXPECT_EQ(cmp(Value("10"), Value("9")), -1) << "two strings compare as strings";
  EXPECT_EQ(cmp(Value(false), Value(true)), -1);
  EXPECT_EQ(cmp(Value(Date{10}), Value(Date{9})), 1);
  EXPECT_EQ(cmp(Value(Timestamp{5}), Value(Timestamp{5})), 0);
  EXPECT_EQ(cmp(Value(Date{19797}), Value("2024-03-15")), 0);
  EXPECT_EQ(cmp(Value(Json{"{\"a\":1}"}), Value("{\"a\":1}")), 0);
}

TEST(ValueOrder, EqualityTreatsNullAsAValue) {
  EXPECT_TRUE(values_equal(Value(), Value()));
  EXPECT_FALSE(values_equal(Value(), Value(0)));
  EXPECT_FALSE(values_equal(Value("x"), Value(1)));
  EXPECT_TRUE(values_equal(Value(1), Value(Decimal{"1.0"})));
}

TEST(ValueOrder, CanonicalKeysMatchWhatDatabasesReturn) {
  EXPECT_EQ(canonical_key(Value(42)), "42");
  EXPECT_EQ(canonical_key(Value(42.0)), "42");
  EXPECT_EQ(canonical_key(Value(Decimal{"42.00"})), "42");
  EXPECT_EQ(canonical_key(Value(Decimal{"-0.50"})), "-0.5");
  EXPECT_EQ(canonical_key(Value(Decimal{"0.0"})), "0");
  EXPECT_EQ(canonical_key(Value("42")), "42");
  EXPECT_EQ(canonical_key(Value("042")), "042") << "text is not reinterpreted";
  EXPECT_EQ(canonical_key(Value(2.5)), "2.5");
  EXPECT_EQ(canonical_key(Value(Date{0})), "1970-01-01");
}

}  // namespace
}  // namespace weir
