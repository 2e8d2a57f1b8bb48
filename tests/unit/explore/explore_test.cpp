// explore's pieces that need no server: DuckDB's type names, where a URL points, and the CHECK
// constraints SQLite keeps only in its CREATE TABLE text.
#include <gtest/gtest.h>

#include "db/sqlite/catalog.hpp"
#include "explore/connections.hpp"
#include "explore/describe.hpp"

namespace weir::explore {
namespace {

Column typed(Type type, std::string native = "", int precision = 0, int scale = 0, int bits = 0) {
  Column c;
  c.type = type;
  c.native_type = std::move(native);
  c.precision = precision;
  c.scale = scale;
  c.bits = bits;
  return c;
}

TEST(DuckdbType, NamesTheTypeThatHoldsEveryValue) {
  EXPECT_EQ(duckdb_type(typed(Type::int64, "smallint", 0, 0, 16)), "SMALLINT");
  EXPECT_EQ(duckdb_type(typed(Type::int64, "integer", 0, 0, 32)), "INTEGER");
  EXPECT_EQ(duckdb_type(typed(Type::int64, "int unsigned", 0, 0, 33)), "BIGINT");
  EXPECT_EQ(duckdb_type(typed(Type::int64, "bigint")), "BIGINT");
  EXPECT_EQ(duckdb_type(typed(Type::decimal, "numeric(12,2)", 12, 2)), "DECIMAL(12,2)");
  EXPECT_EQ(duckdb_type(typed(Type::decimal, "numeric(38,10)", 38, 10)), "DECIMAL(38,10)");
  EXPECT_EQ(duckdb_type(typed(Type::decimal, "numeric(40,0)", 40, 0)), "VARCHAR") << "wider than DuckDB's 38 digits";
  EXPECT_EQ(duckdb_type(typed(Type::decimal, "numeric")), "VARCHAR") << "unbounded";
  EXPECT_EQ(duckdb_type(typed(Type::timestamptz, "timestamp with time zone")), "TIMESTAMPTZ");
  EXPECT_EQ(duckdb_type(typed(Type::array, "integer[]")), "INTEGER[]");
  EXPECT_EQ(duckdb_type(typed(Type::array, "character varying(20)[]")), "VARCHAR[]");
  EXPECT_EQ(duckdb_type(typed(Type::array, "inet[]")), "JSON");
  EXPECT_EQ(duckdb_type(typed(Type::json, "jsonb")), "JSON");
  EXPECT_EQ(duckdb_type(typed(Type::null)), "VARCHAR");
}

TEST(LocationOf, ShowsWhereWithoutCredentialsOrOptions) {
  EXPECT_EQ(location_of(Url::parse("postgres://app:secret-pw@db:5433/shop?sslmode=require")), "app@db:5433/shop");
  EXPECT_EQ(location_of(Url::parse("mysql://[::1]/crm")), "[::1]/crm");
  EXPECT_EQ(location_of(Url::parse("sqlite:data/shop.db?mode=ro")), "data/shop.db");
}

TEST(SqliteCheckConstraints, ReadsTableAndColumnChecksWithTheirNames) {
  auto checks = db::sqlite::check_constraints(
      "CREATE TABLE t (a INTEGER CHECK (a > 0), b TEXT CONSTRAINT \"b (short)\" CHECK (length(b) < 10 AND b <> ')'),\n"
      "  -- check (not this one)\n"
      "  c REAL, CONSTRAINT c_range check(c BETWEEN 0 AND (1 + 1)), CHECK (a <> c))");
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0], (db::Constraint{"", {}, "a > 0"}));
  EXPECT_EQ(checks[1], (db::Constraint{"b (short)", {}, "length(b) < 10 AND b <> ')'"}));
  EXPECT_EQ(checks[2], (db::Constraint{"c_range", {}, "c BETWEEN 0 AND (1 + 1)"}));
  EXPECT_EQ(checks[3], (db::Constraint{"", {}, "a <> c"}));
  EXPECT_TRUE(db::sqlite::check_constraints("CREATE TABLE t (checked INTEGER)").empty());
}

}  // namespace
}  // namespace weir::explore
