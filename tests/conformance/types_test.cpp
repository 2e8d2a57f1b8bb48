// Conformance: every logical type the driver declares survives a round trip through a column
// of the dialect's type for it, written both by INSERT with bound parameters and by the bulk
// writer, NULL included, and reads back with that logical type.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "conformance/conformance_test.hpp"
#include "weir/temporal.hpp"

namespace weir::conformance {
namespace {

std::int64_t micros(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, std::int64_t us = 0) {
  std::int64_t days = days_from_civil(y, mo, d);
  return ((days * 24 + h) * 60 + mi) * 60'000'000 + s * 1'000'000LL + us;
}

Uuid uuid(std::string_view text) { return parse_uuid(text).value(); }

class ConformanceTypes : public ConformanceTest {
 protected:
  // Writes each value (and NULL) through every write path and reads all back: execute();
  // a bulk insert (repeated to kBulkRows rows, so that MySQL's LOAD DATA takes it); bulk
  // upserts and updates of a small batch (one statement per row on PostgreSQL) and of a large
  // one (staged through COPY there); each path must store what the others store. `expected`
  // is what reads back, where it differs from what was written (arrays into json columns).
  void round_trip(Type type, const std::vector<Value>& values, std::vector<Value> expected = {}) {
    constexpr std::size_t kBulkRows = 300;
    constexpr std::size_t kLargeBatch = 1000;  // from here on PostgreSQL stages upserts and updates
    if (!require_type(type)) return;
    const std::string native = column_type(type);
    std::string t = create_table("rt", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} {}", q("id"), q("v"), native));
    std::vector<Value> cycle(values);
    cycle.push_back(Value());
    if (expected.empty()) expected = values;
    expected.push_back(Value());
    const Type read_type = read_as(type);
    for (Value& v : expected) v = read_value(v);

    struct Path {
      const char* name;
      std::size_t first_id, rows;
    };
    std::vector<Path> paths{{"execute()", 0, cycle.size()}};
    for (std::size_t i = 0; i < cycle.size(); ++i) insert(t, {"id", "v"}, {Value(i), cycle[i]});
    std::size_t next_id = 1000;
    auto rows_from = [&](std::size_t first, std::size_t n, bool nulls) {
      Rows data;
      for (std::size_t r = 0; r < n; ++r) data.push_back({Value(first + r), nulls ? Value() : cycle[r % cycle.size()]});
      return data;
    };
    auto write = [&](const char* name, db::WriteMode mode, std::size_t n) {
      std::size_t first = std::exchange(next_id, next_id + n);
      if (mode == db::WriteMode::update) bulk(db::WriteMode::insert, t, {"id", "v"}, rows_from(first, n, true));
      Rows data = rows_from(first, n, false);
      std::uint64_t written = bulk(mode, t, {"id", "v"}, data, mode == db::WriteMode::insert ? std::vector<std::string>{}
                                                                                              : std::vector<std::string>{"id"});
      if (mode == db::WriteMode::insert) {
        EXPECT_EQ(written, n);
      }
      paths.push_back({name, first, n});
    };
    write("bulk insert", db::WriteMode::insert, std::max(kBulkRows, cycle.size()));
    write("bulk upsert of a small batch", db::WriteMode::upsert, cycle.size());
    write("bulk upsert of a large batch", db::WriteMode::upsert, kLargeBatch);
    write("bulk update of a small batch", db::WriteMode::update, cycle.size());
    write("bulk update of a large batch", db::WriteMode::update, kLargeBatch);

    auto cursor = conn().query(fmt::format("SELECT {}, {} FROM {} ORDER BY {}", q("id"), q("v"), q(t), q("id")));
    ASSERT_EQ(cursor->schema()->size(), 2u);
    EXPECT_EQ((*cursor->schema())[1].type, read_type) << "logical type reported for a " << native << " column";
    std::size_t seen = 0;
    Batch batch;
    while (cursor->next(batch, 97))
      for (std::size_t r = 0; r < batch.rows(); ++r, ++seen) {
        auto id = static_cast<std::size_t>(batch.at(r, 0).as_int());
        auto path = std::find_if(paths.begin(), paths.end(),
                                 [&](const Path& p) { return id >= p.first_id && id < p.first_id + p.rows; });
        ASSERT_NE(path, paths.end()) << "row " << id;
        std::size_t k = (id - path->first_id) % cycle.size();
        EXPECT_TRUE(same_value(read_type, expected[k], batch.at(r, 1)))
            << to_string(type) << " value #" << k << " written by " << path->name << " into " << native
            << "\n  wrote: " << ::testing::PrintToString(cycle[k])
            << "\n   read: " << ::testing::PrintToString(batch.at(r, 1));
      }
    std::size_t total = 0;
    for (const Path& p : paths) total += p.rows;
    EXPECT_EQ(seen, total);

    // Deletes by key, of a small and a large batch carrying the values too.
    const Path& small = paths[paths.size() - 4];  // the upserts'
    const Path& large = paths[paths.size() - 3];
    bulk(db::WriteMode::remove, t, {"id", "v"}, rows_from(small.first_id, small.rows, false), {"id"});
    bulk(db::WriteMode::remove, t, {"id", "v"}, rows_from(large.first_id, large.rows, false), {"id"});
    EXPECT_EQ(count_rows(t), static_cast<std::int64_t>(total - small.rows - large.rows));
  }

  // MySQL and MariaDB keep instants in DATETIME (TIMESTAMP ends in 2038): they read back as
  // timestamps of the same UTC time.
  Type read_as(Type type) const {
    return type == Type::timestamptz && !ctx().caps.zoned_timestamp_columns ? Type::timestamp : type;
  }
  Value read_value(const Value& v) const {
    if (v.type() == Type::timestamptz && !ctx().caps.zoned_timestamp_columns)
      return Value(Timestamp{v.get<TimestampTz>().micros});
    return v;
  }

  // Text that is not a value of `type`: a native column rejects it (data), others keep it.
  void invalid_text(Type type, bool native, const char* capability) {
    if (!require_type(type)) return;
    std::string t = create_table(
        "inv", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} {}", q("id"), q("v"), column_type(type)));
    auto e = error_from([&] { insert(t, {"id", "v"}, {Value(1), Value("not a value {")}); });
    if (native) {
      ASSERT_TRUE(e) << capability << "=true, yet a " << to_string(type) << " column took 'not a value {'";
      EXPECT_EQ(e->kind(), ErrorKind::data) << e->what();
      return;
    }
    ASSERT_FALSE(e) << e->what();
    Value got = scalar("SELECT " + q("v") + " FROM " + q(t));
    // Lenient: temporal and uuid columns give the text back as text; a json column gives the
    // document it holds (unvalidated) as json.
    EXPECT_EQ(got.type(), type == Type::json ? Type::json : Type::text) << ::testing::PrintToString(got);
    EXPECT_EQ(got.to_text(), "not a value {")
        << "without " << capability << " text that is not a " << to_string(type) << " reads back verbatim";
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceTypes, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceTypes, RoundTripBoolean) { round_trip(Type::boolean, {Value(true), Value(false)}); }

TEST_P(ConformanceTypes, RoundTripInt64) {
  round_trip(Type::int64, {Value(0), Value(1), Value(-1), Value(std::numeric_limits<std::int64_t>::min()),
                           Value(std::numeric_limits<std::int64_t>::max()),
                           Value(std::int64_t{9007199254740993})});  // 2^53 + 1: not a double
}

TEST_P(ConformanceTypes, RoundTripFloat64) {
  using L = std::numeric_limits<double>;
  round_trip(Type::float64, {Value(0.0), Value(1.0), Value(-1.5), Value(0.1), Value(1.0 / 3), Value(123456789.125),
                             Value(1e300), Value(-1e-300), Value(L::max()), Value(L::lowest()), Value(L::min())});
}

// NaN and the infinities, where the database has them; MySQL's DOUBLE has none, and weir
// rejects them naming the column rather than storing something else.
TEST_P(ConformanceTypes, RoundTripNonFiniteFloat64) {
  using L = std::numeric_limits<double>;
  if (ctx().caps.non_finite_floats) {
    round_trip(Type::float64, {Value(L::quiet_NaN()), Value(L::infinity()), Value(-L::infinity())});
    return;
  }
  std::string t = create_table("nan", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} {}", q("id"), q("v"),
                                                  column_type(Type::float64)));
  auto e = error_from([&] { bulk(db::WriteMode::insert, t, {"id", "v"}, {{Value(1), Value(L::quiet_NaN())}}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::data) << e->what();
  EXPECT_TRUE(contains(e->what(), "column `v`")) << e->what();
}

// Decimals at the edges: 30 fractional digits, 28 integer digits with 10 fractional ones, the
// largest unsigned 64-bit integer. Every column weir creates for a decimal keeps them.
TEST_P(ConformanceTypes, RoundTripExtremeDecimals) {
  round_trip(Type::decimal, {Value(Decimal{"0.000000000000000000000000000001"}),
                             Value(Decimal{"1234567890123456789012345678.0123456789"}),
                             Value(Decimal{"18446744073709551615"}), Value(Decimal{"-0.5"})});
}

// Arrays written into json columns (what weir creates for arrays) are JSON arrays on every
// path, execute() with bound parameters too: `[1,2]`, not PostgreSQL's array literal `{1,2}`
// (rejected) or `{}` (an object).
TEST_P(ConformanceTypes, ArraysIntoJsonColumns) {
  Array numbers{{Value(1), Value(2)}};
  Array nested{{Value("a b"), Value(Array{{Value(true), Value()}})}};
  round_trip(Type::json, {Value(numbers), Value(Array{}), Value(nested)},
             {Value(Json{"[1, 2]"}), Value(Json{"[]"}), Value(Json{R"(["a b", [true, null]])"})});
}

TEST_P(ConformanceTypes, RoundTripDecimal) {
  if (ctx().caps.exact_decimal_storage) {
    round_trip(Type::decimal, {Value(Decimal{"12345678901234.56"}), Value(Decimal{"-0.01"}), Value(Decimal{"0"}),
                               Value(Decimal{"99999999999999999999.99"}), Value(Decimal{"-12.50"})});
  } else {
    // Values within the ~15 significant digits a REAL keeps.
    round_trip(Type::decimal, {Value(Decimal{"12.50"}), Value(Decimal{"-0.01"}), Value(Decimal{"0"}),
                               Value(Decimal{"123456.789"}), Value(Decimal{"1000000"})});
  }
}

TEST_P(ConformanceTypes, RoundTripDecimalWithoutExponent) {
  // One significant digit each: exact even where decimals are stored as REAL; the text read
  // back is still plain decimal notation.
  round_trip(Type::decimal, {Value(Decimal{"0.0000001"}), Value(Decimal{"100000000000000000000"})});
}

TEST_P(ConformanceTypes, RoundTripText) {
  round_trip(Type::text, {Value("Ñandú ☃ 𝄞"), Value("He said \"it's\" \\ ok"), Value(""),
                          Value("tab\tnew\nline\r"), Value("' OR '1'='1"), Value(std::string(5000, 'x') + "Ñ")});
}

TEST_P(ConformanceTypes, RoundTripBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  round_trip(Type::bytes, {Value(Bytes{std::string("\0a\0\xff\x80", 5)}), Value(Bytes{""}), Value(Bytes{all})});
}

TEST_P(ConformanceTypes, RoundTripDate) {
  round_trip(Type::date, {Value(Date{days_from_civil(2024, 2, 29)}), Value(Date{days_from_civil(1969, 12, 31)}),
                          Value(Date{0}), Value(Date{days_from_civil(9999, 12, 31)}),
                          Value(Date{days_from_civil(1000, 1, 1)})});
}

TEST_P(ConformanceTypes, RoundTripTime) {
  round_trip(Type::time, {Value(Time{0}), Value(Time{micros(1970, 1, 1, 13, 45, 0, 250000)}),
                          Value(Time{micros(1970, 1, 1, 23, 59, 59, 999999)})});
}

TEST_P(ConformanceTypes, RoundTripTimestamp) {
  round_trip(Type::timestamp, {Value(Timestamp{micros(2024, 5, 1, 13, 45, 0, 250000)}),
                               Value(Timestamp{micros(1969, 7, 20, 20, 17, 40, 500000)}), Value(Timestamp{0}),
                               Value(Timestamp{micros(2038, 1, 19, 3, 14, 8)}),
                               Value(Timestamp{micros(9999, 12, 31, 23, 59, 59, 999999)})});
}

TEST_P(ConformanceTypes, RoundTripTimestampTz) {
  // Before 1970 and after 2038 too, where MySQL's TIMESTAMP ends.
  round_trip(Type::timestamptz, {Value(TimestampTz{micros(2024, 5, 1, 11, 45, 0, 250000)}),
                                 Value(TimestampTz{micros(1999, 12, 31, 23, 59, 59, 999999)}),
                                 Value(TimestampTz{micros(1969, 7, 20, 20, 17, 40)}),
                                 Value(TimestampTz{micros(2040, 2, 29, 12, 0, 0, 123456)})});
}

TEST_P(ConformanceTypes, RoundTripInterval) {
  round_trip(Type::interval, {Value(Interval{14, 3, micros(1970, 1, 1, 4, 5, 6, 500000)}),
                              Value(Interval{0, 1, 0}), Value(Interval{-1, 0, -1000000})});
}

TEST_P(ConformanceTypes, RoundTripUuid) {
  round_trip(Type::uuid, {Value(uuid("550e8400-e29b-41d4-a716-446655440000")),
                          Value(uuid("00000000-0000-0000-0000-000000000000")),
                          Value(uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"))});
}

TEST_P(ConformanceTypes, RoundTripJson) {
  // Written in the canonical form jsonb and MySQL's JSON print, so every server gives it back.
  round_trip(Type::json, {Value(Json{R"({"a": 1, "b": [true, null, "x y"]})"}), Value(Json{"[]"}),
                          Value(Json{R"({"s": "Ñandú \"q\""})"}), Value(Json{R"("text")"})});
}

TEST_P(ConformanceTypes, RoundTripJsonNumbers) {
  round_trip(Type::json, {Value(Json{"42"}), Value(Json{"1.5"}), Value(Json{"-0.25"})});
}

TEST_P(ConformanceTypes, EmptyStringAndNullAreDistinct) {
  std::string t = create_table("empty", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} {}, {} {}", q("id"), q("s"),
                                                    column_type(Type::text), q("b"),
                                                    column_type(Type::bytes)));
  insert(t, {"id", "s", "b"}, {Value(1), Value(""), Value(Bytes{""})});
  bulk(db::WriteMode::insert, t, {"id", "s", "b"}, {{Value(2), Value(), Value()}, {Value(3), Value(""), Value(Bytes{})}});
  Rows r = rows(fmt::format("SELECT {}, {} FROM {} ORDER BY {}", q("s"), q("b"), q(t), q("id")));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0][0], Value(""));
  EXPECT_EQ(r[0][1], Value(Bytes{""}));
  EXPECT_TRUE(r[1][0].is_null());
  EXPECT_TRUE(r[1][1].is_null());
  EXPECT_EQ(r[2][0], Value(""));
  EXPECT_EQ(r[2][1], Value(Bytes{""}));
  EXPECT_EQ(scalar(fmt::format("SELECT COUNT(*) FROM {} WHERE {} IS NULL", q(t), q("s"))), Value(1));
  EXPECT_EQ(scalar(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = {}", q(t), q("s"), p(1)), std::vector{Value("")}),
            Value(2));
}

TEST_P(ConformanceTypes, NullInEveryType) {
  std::string columns = q("id") + " INTEGER NOT NULL PRIMARY KEY";
  std::vector<std::string> names{"id"};
  for (Type type : ctx().supported_types) {
    names.push_back(fmt::format("c_{}", to_string(type)));
    columns += fmt::format(", {} {}", q(names.back()), column_type(type));
  }
  std::string t = create_table("nulls", columns);
  std::vector<Value> first(names.size());
  first[0] = Value(1);
  insert(t, names, first);
  Row second(names.size());
  second[0] = Value(2);
  EXPECT_EQ(bulk(db::WriteMode::insert, t, names, {second}), 1u);

  auto cursor = conn().query("SELECT * FROM " + q(t) + " ORDER BY " + q("id"));
  ASSERT_EQ(cursor->schema()->size(), names.size());
  Batch batch;
  std::size_t seen = 0;
  while (cursor->next(batch, 10))
    for (std::size_t r = 0; r < batch.rows(); ++r, ++seen)
      for (std::size_t c = 1; c < names.size(); ++c)
        EXPECT_TRUE(batch.at(r, c).is_null()) << names[c] << " in row " << seen << ": "
                                              << ::testing::PrintToString(batch.at(r, c));
  EXPECT_EQ(seen, 2u);
}

TEST_P(ConformanceTypes, ComputedExpressions) {
  EXPECT_EQ(scalar("SELECT 6 * 7"), Value(42));
  EXPECT_EQ(scalar("SELECT 'abc'"), Value("abc"));
  EXPECT_TRUE(scalar("SELECT NULL").is_null());
  Value b = scalar("SELECT 1 = 1");
  if (ctx().caps.native_bool) EXPECT_EQ(b, Value(true));
  else EXPECT_EQ(b, Value(1)) << "without native_bool a comparison is the integer 1";
}

TEST_P(ConformanceTypes, BoundParametersKeepTheirType) {
  std::vector<Value> params{Value(std::numeric_limits<std::int64_t>::max()), Value("Ñ"), Value(2.5)};
  Rows r = rows(fmt::format("SELECT {}, {}, {}", p(1), p(2), p(3)), params);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].to_text(), "9223372036854775807");
  EXPECT_EQ(r[0][1].to_text(), "Ñ");
  EXPECT_EQ(r[0][2].to_text(), "2.5");
}

TEST_P(ConformanceTypes, InvalidDateText) { invalid_text(Type::date, ctx().caps.native_timestamp, "native_timestamp"); }
TEST_P(ConformanceTypes, InvalidTimestampText) {
  invalid_text(Type::timestamp, ctx().caps.native_timestamp, "native_timestamp");
}
TEST_P(ConformanceTypes, InvalidUuidText) { invalid_text(Type::uuid, ctx().caps.native_uuid, "native_uuid"); }
TEST_P(ConformanceTypes, InvalidJsonText) { invalid_text(Type::json, ctx().caps.native_json, "native_json"); }

}  // namespace
}  // namespace weir::conformance
