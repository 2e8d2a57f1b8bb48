// Comparing values across types, canonical lookup keys, and reading fields into JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "pipeline/field_path.hpp"
#include "pipeline/value_order.hpp"
#include "support/filter_support.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
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

TEST(FieldPath, ParsesRecordPaths) {
  std::string problem;
  auto p = parse_field_path("record.customer.address.city", problem);
  ASSERT_TRUE(p) << problem;
  EXPECT_EQ(p->column, "customer");
  EXPECT_EQ(p->keys, (std::vector<std::string>{"address", "city"}));
  EXPECT_EQ(p->to_string(), "record.customer.address.city");
  EXPECT_FALSE(parse_field_path("row.x", problem));
  EXPECT_EQ(problem, "unknown root `row`: fields are written record.<name>");
  EXPECT_FALSE(parse_field_path("record", problem));
  EXPECT_FALSE(parse_field_path("", problem));
  EXPECT_EQ(problem, "empty field path");
  EXPECT_FALSE(parse_field_path("record.a-b", problem));
  EXPECT_EQ(problem, "`a-b` is not a field name (letters, digits, _ and $)");
}

TEST(FieldPath, ReaderReadsColumnsAndJson) {
  Schema schema(std::vector<Column>{test::column("id", Type::int64), test::column("doc", Type::json), test::column("text", Type::text)});
  std::vector<Value> row{Value(7), Value(Json{R"({"a":{"b":[1,2]},"n":12345678901234567890,"f":1.5,"s":"x","t":true})"}),
                         Value(R"({"k":"v"})")};
  std::string problem;
  auto reader = [&](const std::string& path) { return FieldReader(*parse_field_path(path, problem), schema); };
  Value scratch;
  EXPECT_EQ(reader("record.id").read(row, scratch), Value(7));
  EXPECT_FALSE(reader("record.id").nested());
  EXPECT_EQ(reader("record.doc.a.b").read(row, scratch), Value(Json{"[1,2]"}));
  EXPECT_EQ(reader("record.doc.a").read(row, scratch), Value(Json{R"({"b":[1,2]})"}));
  EXPECT_EQ(reader("record.doc.n").read(row, scratch), Value(Decimal{"12345678901234567890"}));
  EXPECT_EQ(reader("record.doc.f").read(row, scratch), Value(1.5));
  EXPECT_EQ(reader("record.doc.s").read(row, scratch), Value("x"));
  EXPECT_EQ(reader("record.doc.t").read(row, scratch), Value(true));
  EXPECT_TRUE(reader("record.doc.zz").read(row, scratch).is_null());
  EXPECT_EQ(reader("record.text.k").read(row, scratch), Value("v")) << "text holding JSON is read too";
  EXPECT_TRUE(reader("record.id.k").read(row, scratch).is_null());
  EXPECT_EQ(reader("record.ID").column(), 0u) << "columns match case-insensitively, like SQL";
  EXPECT_THROW(reader("record.nope"), Error);
}

}  // namespace
}  // namespace weir::pipeline
