// SQLite type mapping (src/db/sqlite/types.cpp): declared type → logical type, logical type →
// declared type, reading cells by storage class and logical type, binding values.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "db/sqlite/types.hpp"
#include "unit/db/print.hpp"
#include "weir/temporal.hpp"

namespace weir::db::sqlite {
namespace {

std::string declared_type(Type type) {
  Column column;
  column.type = type;
  return sqlite::declared_type(column);
}

// One prepared "SELECT <expr>" (optionally with ?1 bound) on a private in-memory database.
class Cell {
 public:
  explicit Cell(const std::string& select, const Value* param = nullptr, bool borrow = false) {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_prepare_v2(db_, select.c_str(), -1, &stmt_, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    if (param) bind_value(stmt_, 1, *param, borrow);
    EXPECT_EQ(sqlite3_step(stmt_), SQLITE_ROW) << sqlite3_errmsg(db_);
  }
  ~Cell() {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  Value read(Type logical, int column = 0) const {
    Value v;
    read_cell(sqlite3_column_value(stmt_, column), logical, v);
    return v;
  }
  sqlite3_stmt* stmt() const { return stmt_; }
  std::string text(int column) const { return reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column)); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

std::int64_t micros(int y, unsigned mo, unsigned d, int h, int mi, int s, std::int64_t us = 0) {
  return ((std::int64_t{days_from_civil(y, mo, d)} * 24 + h) * 60 + mi) * 60'000'000 + s * 1'000'000LL + us;
}

TEST(SqliteTypes, LogicalTypeOfDeclaredTypes) {
  const std::vector<std::pair<const char*, Type>> cases{
      {"INTEGER", Type::int64},          {"BIGINT", Type::int64},
      {"UNSIGNED BIG INT", Type::int64}, {"int", Type::int64},
      {"BOOLEAN", Type::boolean},        {"bool", Type::boolean},
      {"VARCHAR(20)", Type::text},       {"NVARCHAR(160)", Type::text},
      {"CLOB", Type::text},              {"TEXT", Type::text},
      {"character varying(5)", Type::text}, {"BLOB", Type::bytes},
      {"", Type::null},                  {"REAL", Type::float64},
      {"DOUBLE PRECISION", Type::float64}, {"DOUBLE", Type::float64},
      {"FLOAT", Type::float64},          {"NUMERIC(10,2)", Type::decimal},
      {"DECIMAL", Type::decimal},        {"decimal(38, 10)", Type::decimal},
      {"DATE", Type::date},              {"DATETIME", Type::timestamp},
      {"TIMESTAMP", Type::timestamp},    {"TIMESTAMPTZ", Type::timestamptz},
      {"TIME", Type::time},              {"JSON", Type::json},
      {"jsonb", Type::json},             {"UUID", Type::uuid},
      {"GEOMETRY", Type::null},          {"whatever", Type::null},
  };
  for (const auto& [declared, type] : cases) EXPECT_EQ(logical_type(declared), type) << "declared `" << declared << "`";
}

TEST(SqliteTypes, LogicalTypeOfInterval) {
  EXPECT_EQ(logical_type("INTERVAL"), Type::interval);
  EXPECT_EQ(logical_type("interval day to second"), Type::interval);
}

TEST(SqliteTypes, LogicalTypeOfTimestampWithTimeZone) {
  EXPECT_EQ(logical_type("TIMESTAMP WITH TIME ZONE"), Type::timestamptz);
  EXPECT_EQ(logical_type("timestamp without time zone"), Type::timestamp);
}

TEST(SqliteTypes, DeclaredTypeOfEachType) {
  const std::vector<std::pair<Type, const char*>> cases{
      {Type::boolean, "BOOLEAN"}, {Type::int64, "INTEGER"},   {Type::float64, "REAL"},
      {Type::decimal, "DECIMAL_TEXT"}, {Type::text, "TEXT"},       {Type::bytes, "BLOB"},
      {Type::date, "DATE"},       {Type::time, "TIME"},       {Type::timestamp, "TIMESTAMP"},
      {Type::timestamptz, "TIMESTAMPTZ"}, {Type::interval, "INTERVAL"}, {Type::uuid, "UUID"},
      {Type::json, "JSON"},       {Type::array, "JSON"},      {Type::null, "BLOB"},
  };
  for (const auto& [type, declared] : cases) EXPECT_EQ(declared_type(type), declared) << to_string(type);
}

TEST(SqliteTypes, DeclaredTypeMapsBackToItsType) {
  for (int i = static_cast<int>(Type::boolean); i <= static_cast<int>(Type::array); ++i) {
    Type t = static_cast<Type>(i);
    if (t == Type::interval) continue;  // see DeclaredIntervalMapsBackToInterval
    Type expected = t == Type::array ? Type::json : t;  // arrays are stored as JSON documents
    EXPECT_EQ(logical_type(declared_type(t)), expected) << to_string(t) << " → " << declared_type(t);
  }
}

// DECIMAL_TEXT has TEXT affinity, so SQLite keeps a decimal as the text it was given, however
// long; NUMERIC would have stored 1.23456789012346e+27.
TEST(SqliteTypes, DecimalTextKeepsEveryDigit) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(d DECIMAL_TEXT(40,10), f REAL)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2)", -1, &insert, nullptr), SQLITE_OK);
  Value exact;
  exact.set_decimal("1234567890123456789012345678.0123456789");
  bind_value(insert, 1, exact, false);
  bind_value(insert, 2, Value(std::numeric_limits<double>::quiet_NaN()), false);
  ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
  sqlite3_finalize(insert);
  sqlite3_stmt* select = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT d, f FROM t", -1, &select, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  Value d, f;
  read_cell(sqlite3_column_value(select, 0), logical_type(sqlite3_column_decltype(select, 0)), d);
  read_cell(sqlite3_column_value(select, 1), logical_type(sqlite3_column_decltype(select, 1)), f);
  EXPECT_EQ(d, exact);
  ASSERT_EQ(f.type(), Type::float64);
  EXPECT_TRUE(std::isnan(f.as_double()));
  sqlite3_finalize(select);
  sqlite3_close(db);
}

TEST(SqliteTypes, DeclaredRangesAreRead) {
  Column c;
  describe_declared("NUMERIC(10,2)", c);
  EXPECT_EQ(std::tuple(c.type, c.precision, c.scale), std::tuple(Type::decimal, 10, 2));
  describe_declared("VARCHAR(40)", c);
  EXPECT_EQ(std::tuple(c.type, c.length), std::tuple(Type::text, 40));
  // Written with spaces, as SQL usually is: the scale still counts (read as 0, 12.50 was refused
  // as "rounded").
  describe_declared("DECIMAL_TEXT(12, 2)", c);
  EXPECT_EQ(std::tuple(c.type, c.precision, c.scale), std::tuple(Type::decimal, 12, 2));
  describe_declared("numeric( 7 , 3 )", c);
  EXPECT_EQ(std::tuple(c.type, c.precision, c.scale), std::tuple(Type::decimal, 7, 3));
}

// A decimal column of NUMERIC affinity keeps what a REAL holds; weir rejects the rest.
TEST(SqliteTypes, NumericAffinityChangesLongDecimals) {
  EXPECT_TRUE(numeric_affinity("NUMERIC"));
  EXPECT_TRUE(numeric_affinity("decimal(12,2)"));
  EXPECT_FALSE(numeric_affinity("DECIMAL_TEXT(12,2)"));
  EXPECT_FALSE(numeric_affinity("REAL"));
  EXPECT_EQ(numeric_affinity_change("12345678901234567890.5"), "12345678901234567168");
  EXPECT_EQ(numeric_affinity_change("18446744073709551615"), "18446744073709551616");
  EXPECT_EQ(numeric_affinity_change("0.1"), std::nullopt);
  EXPECT_EQ(numeric_affinity_change("1.50"), std::nullopt);
  EXPECT_EQ(numeric_affinity_change("-9223372036854775808"), std::nullopt) << "an INTEGER";
  EXPECT_EQ(numeric_affinity_change("abc"), std::nullopt) << "kept as text";
}

TEST(SqliteTypes, DeclaredIntervalMapsBackToInterval) {
  EXPECT_EQ(logical_type(declared_type(Type::interval)), Type::interval);
}

TEST(SqliteTypes, IntegersByLogicalType) {
  Cell c("SELECT 1, 0, 42");
  EXPECT_EQ(c.read(Type::boolean, 0), Value(true));
  EXPECT_EQ(c.read(Type::boolean, 1), Value(false));
  EXPECT_EQ(c.read(Type::int64, 2), Value(42));
  EXPECT_EQ(c.read(Type::null, 2), Value(42));
  EXPECT_EQ(c.read(Type::decimal, 2), Value(Decimal{"42"}));
  EXPECT_EQ(c.read(Type::json, 2), Value(Json{"42"}));
}

TEST(SqliteTypes, RealsByLogicalType) {
  Cell c("SELECT 2.5, -0.125");
  EXPECT_EQ(c.read(Type::float64, 0), Value(2.5));
  EXPECT_EQ(c.read(Type::decimal, 0), Value(Decimal{"2.5"}));
  EXPECT_EQ(c.read(Type::decimal, 1), Value(Decimal{"-0.125"}));
}

TEST(SqliteTypes, RealInADecimalColumnIsPlainDecimalText) {
  Cell c("SELECT 1e-7, 1e20");
  EXPECT_EQ(c.read(Type::decimal, 0), Value(Decimal{"0.0000001"}));
  EXPECT_EQ(c.read(Type::decimal, 1), Value(Decimal{"100000000000000000000"}));
}

TEST(SqliteTypes, RealInAJsonColumnIsJson) {
  Cell c("SELECT 1.5");
  EXPECT_EQ(c.read(Type::json), Value(Json{"1.5"}));
}

TEST(SqliteTypes, TextParsedByTheDeclaredType) {
  Cell c("SELECT '2024-02-29', '13:45:00.25', '2024-05-01 13:45:00.25', '2024-05-01T13:45:00', "
         "'2024-05-01 13:45:00+02:00', '550e8400-e29b-41d4-a716-446655440000', '12.50', '{\"a\": 1}', 'x'");
  EXPECT_EQ(c.read(Type::date, 0), Value(Date{days_from_civil(2024, 2, 29)}));
  EXPECT_EQ(c.read(Type::time, 1), Value(Time{micros(1970, 1, 1, 13, 45, 0, 250000)}));
  EXPECT_EQ(c.read(Type::timestamp, 2), Value(Timestamp{micros(2024, 5, 1, 13, 45, 0, 250000)}));
  EXPECT_EQ(c.read(Type::timestamp, 3), Value(Timestamp{micros(2024, 5, 1, 13, 45, 0)}));
  EXPECT_EQ(c.read(Type::timestamptz, 4), Value(TimestampTz{micros(2024, 5, 1, 11, 45, 0)}));
  EXPECT_EQ(c.read(Type::uuid, 5), Value(*parse_uuid("550e8400-e29b-41d4-a716-446655440000")));
  EXPECT_EQ(c.read(Type::decimal, 6), Value(Decimal{"12.50"}));
  EXPECT_EQ(c.read(Type::json, 7), Value(Json{"{\"a\": 1}"}));
  EXPECT_EQ(c.read(Type::text, 8), Value("x"));
  EXPECT_EQ(c.read(Type::null, 8), Value("x"));
}

TEST(SqliteTypes, TextThatDoesNotParseStaysText) {
  // Lenient: SQLite stores anything in any column; a bad value must not fail the whole read.
  Cell c("SELECT 'not a date', '2024-02-30', '25:00', '2024-05-01 xx', 'yesterday', '550e8400-zzzz', ''");
  EXPECT_EQ(c.read(Type::date, 0), Value("not a date"));
  EXPECT_EQ(c.read(Type::date, 1), Value("2024-02-30"));
  EXPECT_EQ(c.read(Type::time, 2), Value("25:00"));
  EXPECT_EQ(c.read(Type::timestamp, 3), Value("2024-05-01 xx"));
  EXPECT_EQ(c.read(Type::timestamptz, 4), Value("yesterday"));
  EXPECT_EQ(c.read(Type::uuid, 5), Value("550e8400-zzzz"));
  EXPECT_EQ(c.read(Type::date, 6), Value(""));
}

TEST(SqliteTypes, BlobsByLogicalType) {
  Cell c("SELECT x'00112233445566778899aabbccddeeff', x'00ff00', x''");
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(i * 0x11);
  EXPECT_EQ(c.read(Type::uuid, 0), Value(u));
  EXPECT_EQ(c.read(Type::bytes, 0).get<Bytes>().data.size(), 16u);
  EXPECT_EQ(c.read(Type::uuid, 1), Value(Bytes{std::string("\0\xff\0", 3)})) << "not 16 bytes: not a uuid";
  EXPECT_EQ(c.read(Type::text, 1), Value(Bytes{std::string("\0\xff\0", 3)}));
  EXPECT_EQ(c.read(Type::bytes, 2), Value(Bytes{""}));
}

TEST(SqliteTypes, NullForEveryLogicalType) {
  Cell c("SELECT NULL");
  for (int i = 0; i <= static_cast<int>(Type::array); ++i)
    EXPECT_TRUE(c.read(static_cast<Type>(i)).is_null()) << to_string(static_cast<Type>(i));
}

TEST(SqliteTypes, ReadIntoARecycledValueReplacesItsContent) {
  Cell c("SELECT 7, 'seven', NULL");
  Value v(Json{"{\"old\": true}"});
  read_cell(sqlite3_column_value(c.stmt(), 0), Type::int64, v);
  EXPECT_EQ(v, Value(7));
  v = Value(std::string(100, 'x'));  // a longer buffer of the same type is overwritten, not kept
  read_cell(sqlite3_column_value(c.stmt(), 1), Type::text, v);
  EXPECT_EQ(v, Value("seven"));
  read_cell(sqlite3_column_value(c.stmt(), 2), Type::text, v);
  EXPECT_TRUE(v.is_null());
}

TEST(SqliteTypes, BindStoresEachTypeAsItsStorageClass) {
  struct Case {
    Value value;
    const char* storage;  // typeof(?1)
    const char* text;     // CAST(?1 AS TEXT), "" for blobs
  };
  const std::vector<Case> cases{
      {Value(), "null", ""},
      {Value(true), "integer", "1"},
      {Value(false), "integer", "0"},
      {Value(std::int64_t{-9223372036854775807 - 1}), "integer", "-9223372036854775808"},
      {Value(2.5), "real", "2.5"},
      {Value("Ñandú"), "text", "Ñandú"},
      {Value(Decimal{"12345678901234567890.12"}), "text", "12345678901234567890.12"},
      {Value(Json{"[1,2]"}), "text", "[1,2]"},
      {Value(Bytes{std::string("a\0b", 3)}), "blob", ""},
      {Value(Date{days_from_civil(2024, 2, 29)}), "text", "2024-02-29"},
      {Value(Time{micros(1970, 1, 1, 13, 45, 0, 250000)}), "text", "13:45:00.25"},
      {Value(Timestamp{micros(2024, 5, 1, 13, 45, 0, 250000)}), "text", "2024-05-01 13:45:00.25"},
      {Value(TimestampTz{micros(2024, 5, 1, 11, 45, 0)}), "text", "2024-05-01 11:45:00+00:00"},
      {Value(*parse_uuid("550e8400-e29b-41d4-a716-446655440000")), "text", "550e8400-e29b-41d4-a716-446655440000"},
  };
  for (bool borrow : {false, true}) {
    for (const Case& k : cases) {
      Cell c("SELECT typeof(?1), CAST(?1 AS TEXT), length(?1)", &k.value, borrow);
      EXPECT_EQ(c.text(0), k.storage) << ::testing::PrintToString(k.value) << (borrow ? " (borrowed)" : "");
      if (std::string(k.storage) == "blob") {
        EXPECT_EQ(c.text(2), "3");
      } else if (std::string(k.storage) != "null") {
        EXPECT_EQ(c.text(1), k.text) << ::testing::PrintToString(k.value);
      }
    }
  }
}

TEST(SqliteTypes, BoundValuesReadBackAsTheSameValue) {
  const std::vector<std::pair<Value, Type>> cases{
      {Value(true), Type::boolean},
      {Value(Date{days_from_civil(1969, 12, 31)}), Type::date},
      {Value(Timestamp{micros(1900, 1, 1, 0, 0, 0, 1)}), Type::timestamp},
      {Value(TimestampTz{micros(2024, 5, 1, 11, 45, 0, 999999)}), Type::timestamptz},
      {Value(Time{micros(1970, 1, 1, 23, 59, 59, 999999)}), Type::time},
      {Value(*parse_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff")), Type::uuid},
      {Value(Bytes{std::string("\0\0", 2)}), Type::bytes},
  };
  for (const auto& [value, type] : cases) {
    Cell c("SELECT ?1", &value);
    EXPECT_EQ(c.read(type), value) << to_string(type);
  }
}

}  // namespace
}  // namespace weir::db::sqlite
