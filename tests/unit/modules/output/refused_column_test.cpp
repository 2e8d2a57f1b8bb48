// Naming the column that made a target refuse a row when the database's message does not
// (modules/output/refused_column.hpp): by the catalog's limits of each column, and by the
// columns a named CHECK's condition reads.
#include <gtest/gtest.h>

#include "modules/output/refused_column.hpp"

namespace weir::modules {
namespace {

std::vector<Column> target() {
  std::vector<Column> columns(5);
  columns[0].name = "id", columns[0].type = Type::int64, columns[0].bits = 32, columns[0].native_type = "integer";
  columns[1].name = "code", columns[1].type = Type::text, columns[1].length = 3;
  columns[1].native_type = "character varying(3)";
  columns[2].name = "n", columns[2].type = Type::decimal, columns[2].precision = 4, columns[2].scale = 2;
  columns[2].native_type = "numeric(4,2)";
  columns[3].name = "must", columns[3].type = Type::text, columns[3].nullable = false, columns[3].native_type = "text";
  columns[4].name = "u", columns[4].type = Type::int64, columns[4].bits = 33, columns[4].native_type = "int unsigned";
  return columns;
}

const std::vector<std::string> kNames{"id", "code", "n", "must", "u"};

std::optional<std::string> why(std::vector<Value> values) {
  auto refused = refused_column(target(), kNames, values);
  return refused ? std::optional(refused->why) : std::nullopt;
}

TEST(RefusedColumn, NamesTheFirstValueItsColumnCannotHold) {
  EXPECT_EQ(why({Value(1), Value("abc"), Value(Decimal{"99.99"}), Value("x"), Value(4294967295)}), std::nullopt);
  EXPECT_EQ(why({Value(1), Value("\xC3\xA9\xC3\xA9\xC3\xA9"), Value(), Value("x"), Value()}), std::nullopt)
      << "characters, not bytes";
  EXPECT_EQ(why({Value(1), Value("abcd"), Value(), Value("x"), Value()}),
            "column `code` (character varying(3)) cannot hold a text of 4 characters");
  EXPECT_EQ(why({Value(1), Value("abc"), Value(Decimal{"-123.4"}), Value("x"), Value()}),
            "column `n` (numeric(4,2)) cannot hold -123.4: at most 2 digits before the point");
  EXPECT_EQ(why({Value(1), Value("abc"), Value(Decimal{"0099.5"}), Value("x"), Value()}), std::nullopt);
  EXPECT_EQ(why({Value(3000000000), Value("abc"), Value(), Value("x"), Value()}),
            "column `id` (integer) cannot hold 3000000000: out of its range");
  EXPECT_EQ(why({Value(1), Value("abc"), Value(), Value(), Value()}),
            "column `must` (text, NOT NULL) cannot hold NULL");
  EXPECT_EQ(why({Value(1), Value("abc"), Value(), Value("x"), Value(-1)}),
            "column `u` (int unsigned) cannot hold -1: out of its range");
}

TEST(RefusedColumn, ACheckNamesTheColumnsItsConditionReads) {
  const std::vector<db::Constraint> checks{{"n_range", {}, "CHECK ((n < (100)::numeric))"},
                                           {"pair", {}, "(code <> must)"}};
  std::vector<Value> values{Value(1), Value("abc"), Value(Decimal{"123.45"}), Value("abc"), Value()};
  auto one = refused_check("CHECK constraint failed: n_range", checks, kNames, values);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->column, "n");
  EXPECT_EQ(one->why, "check `n_range` (CHECK ((n < (100)::numeric))) refuses column `n` = \"123.45\"");
  auto two = refused_check("CONSTRAINT `pair` failed for `db`.`t`", checks, kNames, values);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->why, R"(check `pair` ((code <> must)) refuses columns `code` = "abc", `must` = "abc")");
  EXPECT_FALSE(refused_check("CHECK constraint failed: other", checks, kNames, values));
}

TEST(RefusedColumn, AMessageThatNamesTheColumnIsLeftAsItIs) {
  EXPECT_TRUE(names_column("Data too long for column 'code' at row 1", "code"));
  EXPECT_TRUE(names_column("NOT NULL constraint failed: t.must", "must"));
  EXPECT_TRUE(names_column("COPY t, line 1, column code: value too long", "code"));
  EXPECT_FALSE(names_column("value too long for type character varying(3)", "code"));
  EXPECT_FALSE(names_column("violates check constraint \"n_range\"", "n"));
}

}  // namespace
}  // namespace weir::modules
