// `when:` conditions: grammar, comparisons across types, NULL rules, nested JSON fields,
// and parse errors with their column.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/expression.hpp"
#include "support/filter_support.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

class ExpressionTest : public ::testing::Test {
 protected:
  ExpressionTest()
      : schema_(std::vector<Column>{test::column("id", Type::int64), test::column("name", Type::text), test::column("total", Type::decimal),
                                    test::column("ratio", Type::float64), test::column("active", Type::boolean), test::column("missing", Type::text),
                                    test::column("customer", Type::json), test::column("day", Type::date)}),
        row_{Value(42), Value("Zoë"), Value(Decimal{"12.50"}), Value(0.25), Value(true), Value(),
             Value(Json{R"({"tier":"gold","score":7,"limit":"100.00","address":{"city":"Oslo"},"tags":[1,2],"none":null})"}),
             Value(Date{19797})} {}  // 2024-03-15

  bool test(const std::string& text) {
    JsonCells json;
    return Expression::parse(text).bind(schema_).test(row_, 0, json);
  }

  static std::string parse_error(const std::string& text) {
    try {
      Expression::parse(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      return e.what();
    }
    return "(no error)";
  }

  Schema schema_;
  std::vector<Value> row_;
};

TEST_F(ExpressionTest, NumbersCompareNumericallyAcrossTypes) {
  EXPECT_TRUE(test("record.id == 42"));
  EXPECT_TRUE(test("record.id > 41 and record.id < 43"));
  EXPECT_TRUE(test("record.id >= 42.0"));
  EXPECT_TRUE(test("record.total == 12.5"));
  EXPECT_TRUE(test("record.total > 12.49"));
  EXPECT_TRUE(test("record.total < 100"));
  EXPECT_TRUE(test("record.ratio == 0.25"));
  EXPECT_TRUE(test("record.ratio < record.total"));
  EXPECT_TRUE(test("record.id > -1"));
  EXPECT_TRUE(test("record.total != 12.51"));
  EXPECT_FALSE(test("record.id < 10"));
  EXPECT_TRUE(test("record.id > 99999999999999999999.5") == false);
}

TEST_F(ExpressionTest, StringsCompareBytewise) {
  EXPECT_TRUE(test("record.name == 'Zoë'"));
  EXPECT_TRUE(test("record.name == \"Zoë\""));
  EXPECT_TRUE(test("record.name > 'Zoa'"));
  EXPECT_TRUE(test("record.name != 'zoë'"));
  EXPECT_TRUE(test("'abc' < 'abd'"));
  EXPECT_TRUE(test(R"('it\'s' == "it's")"));
  EXPECT_FALSE(test("record.name == 42"));
  EXPECT_TRUE(test("record.name != 42")) << "incomparable values are unequal";
  EXPECT_FALSE(test("record.name > 42")) << "and unordered";
}

TEST_F(ExpressionTest, NullEqualsOnlyNull) {
  EXPECT_TRUE(test("record.missing == null"));
  EXPECT_FALSE(test("record.missing != null"));
  EXPECT_TRUE(test("record.id != null"));
  EXPECT_FALSE(test("record.id == null"));
  EXPECT_TRUE(test("null == null"));
  EXPECT_FALSE(test("record.missing == ''"));
  EXPECT_TRUE(test("record.missing != 1"));
  EXPECT_FALSE(test("record.missing > 1"));
  EXPECT_FALSE(test("record.missing < 1"));
  EXPECT_FALSE(test("record.missing <= record.missing")) << "NULL is not ordered";
  EXPECT_TRUE(test("not (record.missing > 1)")) << "logic is two-valued";
}

TEST_F(ExpressionTest, LogicPrecedenceAndSpellings) {
  EXPECT_TRUE(test("record.id == 1 or record.id == 42 and record.active"));
  EXPECT_FALSE(test("(record.id == 1 or record.id == 42) and not record.active"));
  EXPECT_TRUE(test("record.id == 1 || record.id == 42 && record.active == true"));
  EXPECT_TRUE(test("!(record.id == 1)"));
  EXPECT_TRUE(test("not not record.active"));
  EXPECT_TRUE(test("NOT record.id == 1 AND record.active OR false"));
  EXPECT_TRUE(test("record.active"));
  EXPECT_FALSE(test("record.id")) << "a lone operand is true only when it is boolean true";
  EXPECT_FALSE(test("record.missing"));
  EXPECT_TRUE(test("true"));
  EXPECT_FALSE(test("false or false"));
}

TEST_F(ExpressionTest, BooleansAndDates) {
  EXPECT_TRUE(test("record.active == true"));
  EXPECT_TRUE(test("record.active > false"));
  EXPECT_FALSE(test("record.active == 1"));
  EXPECT_TRUE(test("record.day == '2024-03-15'"));
  EXPECT_TRUE(test("record.day > '2024-01-01' and record.day < '2024-12-31'"));
}

TEST_F(ExpressionTest, NestedFieldsReadJsonObjects) {
  EXPECT_TRUE(test("record.customer.tier == 'gold'"));
  EXPECT_TRUE(test("record.customer.score > 5"));
  EXPECT_TRUE(test("record.customer.limit == 100")) << "decimals travel in JSON as strings";
  EXPECT_TRUE(test("record.customer.address.city == 'Oslo'"));
  EXPECT_TRUE(test("record.customer.nope == null"));
  EXPECT_TRUE(test("record.customer.none == null"));
  EXPECT_TRUE(test("record.customer.tier.deeper == null"));
  EXPECT_TRUE(test("record.customer.tags != null"));
  EXPECT_TRUE(test("record.name.x == null")) << "text that is not JSON reads as NULL";
  EXPECT_TRUE(test("record.missing.x == null"));
}

TEST_F(ExpressionTest, FieldsAreListedOnceInOrder) {
  Expression e = Expression::parse("record.b > 1 and (record.a.x == 'y' or record.b < 9) and record.c != null");
  ASSERT_EQ(e.fields().size(), 3u);
  EXPECT_EQ(e.fields()[0].to_string(), "record.b");
  EXPECT_EQ(e.fields()[1].to_string(), "record.a.x");
  EXPECT_EQ(e.fields()[1].column, "a");
  EXPECT_EQ(e.fields()[1].keys, std::vector<std::string>{"x"});
  EXPECT_EQ(e.fields()[2].to_string(), "record.c");
  EXPECT_TRUE(Expression::parse("1 == 1").fields().empty());
}

TEST_F(ExpressionTest, BindingNamesAMissingField) {
  try {
    Expression::parse("record.nmae == 'x'").bind(schema_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("record.nmae"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean `name`"), std::string::npos) << e.what();
  }
}

TEST_F(ExpressionTest, ParseErrorsGiveTheColumn) {
  EXPECT_EQ(parse_error("record.x >"),
            "condition `record.x >`: expected a value (record.<field>, a number, a string, true, false or null) at "
            "column 11");
  EXPECT_EQ(parse_error("record.x = 1"), "condition `record.x = 1`: `=` compares nothing: write `==` at column 10");
  EXPECT_EQ(parse_error("record.x <> 1"), "condition `record.x <> 1`: `<>` is written `!=` at column 10");
  EXPECT_EQ(parse_error("(record.x == 1"), "condition `(record.x == 1`: `(` is not closed at column 1");
  EXPECT_EQ(parse_error("record.x == 'abc"), "condition `record.x == 'abc`: unterminated string at column 13");
  EXPECT_EQ(parse_error("user.x == 1"),
            "condition `user.x == 1`: unknown root `user`: fields are written record.<name> at column 1");
  EXPECT_EQ(parse_error("record == 1"), "condition `record == 1`: expected a field after `record.` at column 1");
  EXPECT_EQ(parse_error("record.a. == 1"), "condition `record.a. == 1`: empty name after `.` at column 1");
  EXPECT_EQ(parse_error("record.x == 1 record.y"),
            "condition `record.x == 1 record.y`: expected `and`, `or` or the end at column 15");
  EXPECT_EQ(parse_error("record.x == 1.2.3"), "condition `record.x == 1.2.3`: `1.2.3` is not a number at column 13");
  EXPECT_EQ(parse_error("record.x == 12ab"), "condition `record.x == 12ab`: `12a` is not a number at column 13");
  EXPECT_EQ(parse_error("record.x == 1 and"),
            "condition `record.x == 1 and`: expected a value (record.<field>, a number, a string, true, false or null) "
            "at column 18");
  EXPECT_EQ(parse_error("record.x ~ 1"), "condition `record.x ~ 1`: unexpected `~` at column 10");
  EXPECT_EQ(parse_error("  "), "condition is empty");
}

// Found with the expression fuzz target on a deep input (its corpus keeps one just past the limit,
// deep_nesting): `weir validate` crashed on a condition nested 200,000 levels deep, and a long
// `or` chain overflowed the stack when tested.
TEST_F(ExpressionTest, DeepNestingIsAConfigErrorAndLongChainsEvaluate) {
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  EXPECT_TRUE(test(repeat("not ", 200) + "record.active"));
  EXPECT_TRUE(test(repeat("(", 200) + "record.active" + repeat(")", 200)));
  for (const std::string& deep : {repeat("not ", 201) + "true", repeat("(", 200'000) + "true" + repeat(")", 200'000),
                                  repeat("(not ", 150) + "true" + repeat(")", 150)}) {
    std::string error = parse_error(deep);
    EXPECT_NE(error.find("nest deeper than 200 levels at column"), std::string::npos) << error.substr(0, 100);
  }
  EXPECT_TRUE(test(repeat("record.id == 1 or ", 300'000) + "record.active"));
  EXPECT_FALSE(test(repeat("record.active and ", 300'000) + "record.id == 1"));
}

TEST_F(ExpressionTest, BoundExpressionsFollowTheirSchema) {
  Schema other(std::vector<Column>{test::column("name", Type::text), test::column("id", Type::int64)});
  BoundExpression e = Expression::parse("record.id == 42").bind(other);
  std::vector<Value> row{Value("x"), Value(42)};
  JsonCells json;
  EXPECT_TRUE(e.test(row, 0, json));
  row[1] = Value(41);
  EXPECT_FALSE(e.test(row, 0, json));
}

TEST_F(ExpressionTest, AConditionParsesEachJsonCellOnce) {
  Schema schema(std::vector<Column>{test::column("customer", Type::json)});
  BoundExpression e =
      Expression::parse("record.customer.tier == 'gold' and record.customer.id > 1 and record.customer.id < 10")
          .bind(schema);
  std::vector<std::vector<Value>> rows{{Value(Json{R"({"tier":"gold","id":5})"})}, {Value(Json{R"({"tier":"gold","id":50})"})}};
  JsonCells json;
  std::uint64_t before = JsonCells::parses_on_this_thread();
  EXPECT_TRUE(e.test(rows[0], 0, json));
  EXPECT_FALSE(e.test(rows[1], 1, json));
  EXPECT_EQ(JsonCells::parses_on_this_thread() - before, 2u) << "three reads of one cell, one parse";
}

}  // namespace
}  // namespace weir::pipeline
