// Conformance: every logical type the driver declares survives a round trip through a column
// of the dialect's type for it, written both by INSERT with bound parameters and by the bulk
// writer, NULL included, and reads back with that logical type.
#include <cstdint>
#include <limits>

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
  // Writes each value (and NULL) by execute() and again by the bulk writer; reads all back.
  // The bulk batch repeats the values to at least kBulkRows rows, so that a driver with a path
  // of its own for large batches (MySQL's LOAD DATA) takes it.
  void round_trip(Type type, const std::vector<Value>& values) {
    constexpr std::size_t kBulkRows = 300;
    if (!require_type(type)) return;
    const std::string native = dialect().column_type(type);
    std::string t = create_table("rt", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} {}", q("id"), q("v"), native));
    const std::size_t n = values.size();
    for (std::size_t i = 0; i < n; ++i) insert(t, {"id", "v"}, {Value(i), values[i]});
    insert(t, {"id", "v"}, {Value(n), Value()});
    Rows data;
    while (data.size() < kBulkRows) {
      for (std::size_t i = 0; i < n; ++i) data.push_back({Value(1000 + data.size()), values[i]});
      data.push_back({Value(1000 + data.size()), Value()});
    }
    EXPECT_EQ(bulk(db::WriteMode::insert, t, {"id", "v"}, data), data.size());

    auto cursor = conn().query(fmt::format("SELECT {}, {} FROM {} ORDER BY {}", q("id"), q("v"), q(t), q("id")));
    ASSERT_EQ(cursor->schema()->size(), 2u);
    EXPECT_EQ((*cursor->schema())[1].type, type) << "logical type reported for a " << native << " column";
    Rows got;
    Batch batch;
    while (cursor->next(batch, 7))
      for (std::size_t r = 0; r < batch.rows(); ++r) got.push_back({batch.at(r, 0), batch.at(r, 1)});
    ASSERT_EQ(got.size(), n + 1 + data.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      std::size_t k = i % (n + 1);
      const char* path = i <= n ? "execute()" : "bulk writer";
      Value want = k < n ? values[k] : Value();
      EXPECT_TRUE(same_value(type, want, got[i][1]))
          << to_string(type) << " value #" << k << " written by " << path << " into " << native
          << "\n  wrote: " << ::testing::PrintToString(want) << "\n   read: " << ::testing::PrintToString(got[i][1]);
    }
  }

  // Text that is not a value of `type`: a native column rejects it (data), others keep it.
  void invalid_text(Type type, bool native, const char* capability) {
    if (!require_type(type)) return;
    std::string t = create_table(
        "inv", fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} {}", q("id"), q("v"), dialect().column_type(type)));
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
  // Within 1970–2038, the range every server's zoned type covers.
  round_trip(Type::timestamptz, {Value(TimestampTz{micros(2024, 5, 1, 11, 45, 0, 250000)}),
                                 Value(TimestampTz{micros(1999, 12, 31, 23, 59, 59, 999999)}),
                                 Value(TimestampTz{micros(2030, 1, 1)})});
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
                                                    dialect().column_type(Type::text), q("b"),
                                                    dialect().column_type(Type::bytes)));
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
    columns += fmt::format(", {} {}", q(names.back()), dialect().column_type(type));
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
