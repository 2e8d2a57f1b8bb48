// PostgreSQL's binary wire format without a server: numeric ↔ decimal text, each codec's
// encode → decode round trip and its choice of what it takes, and the bytes of known values.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/binary_numeric.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::db::postgres {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// numeric_in's text → wire → numeric_out's text.
std::string numeric_round_trip(std::string_view text) {
  WireBuffer wire;
  if (!append_numeric(text, wire)) return "<invalid>";
  std::string out;
  if (!numeric_text(wire.view(), out)) return "<malformed>";
  return out;
}

TEST(PostgresBinaryNumeric, KnownWireForms) {
  WireBuffer wire;
  ASSERT_TRUE(append_numeric("12.50", wire));
  // ndigits 2, weight 0, positive, dscale 2; digits 12 and 5000.
  EXPECT_EQ(hex(wire.view()), "00020000000000020" "00c1388");
  wire.clear();
  ASSERT_TRUE(append_numeric("-0.0001", wire));
  EXPECT_EQ(hex(wire.view()), "0001ffff400000040001");
  wire.clear();
  ASSERT_TRUE(append_numeric("100000000", wire));
  EXPECT_EQ(hex(wire.view()), "00010002000000000001") << "trailing zero groups are not sent";
}

TEST(PostgresBinaryNumeric, PrintsWhatNumericOutPrints) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"0", "0"},          {"-0", "0"},          {"0.000", "0.000"},      {"12.50", "12.50"},
      {"-12.5", "-12.5"},  {"7.", "7"},          {".5", "0.5"},           {"  42 ", "42"},
      {"+3", "3"},         {"1e3", "1000"},      {"1.5E-3", "0.0015"},    {"1.23e1", "12.3"},
      {"9999", "9999"},    {"10000", "10000"},   {"0.00001", "0.00001"},  {"123456789.987654321", "123456789.987654321"},
      {"-99999999999999999999.0001", "-99999999999999999999.0001"},
      {"NaN", "NaN"},      {"infinity", "Infinity"}, {"-inf", "-Infinity"}, {"+Infinity", "Infinity"},
  };
  for (auto [in, want] : cases) EXPECT_EQ(numeric_round_trip(in), want) << "input `" << in << "`";
}

TEST(PostgresBinaryNumeric, RefusesWhatNumericInRefuses) {
  for (std::string_view bad : {"", " ", "abc", "1.2.3", "1e", "1e+", "--1", ".", "-", "1 2", "0x10", "-nan", "1e99999999"}) {
    WireBuffer wire;
    EXPECT_FALSE(append_numeric(bad, wire)) << "`" << bad << "`";
    EXPECT_TRUE(wire.empty()) << "nothing appended for `" << bad << "`";
  }
}

TEST(PostgresBinaryNumeric, RejectsMalformedWire) {
  std::string out;
  EXPECT_FALSE(numeric_text(std::string("\0\1\0\0\0\0\0\0", 8), out)) << "a digit word is missing";
  EXPECT_FALSE(numeric_text(std::string("\0\1\0\0\0\0\0\0\x27\x10", 10), out)) << "10000 is not a base-10000 digit";
  EXPECT_FALSE(numeric_text(std::string("\0\0\0\0\x12\x34\0\0", 8), out)) << "unknown sign";
}

// The wire form numeric_recv accepts need not be the one numeric_send makes: leading zero groups
// and a negative zero are read as the server reads them, a dscale past its limit is refused.
// Found by fuzzing (tests/fuzz/corpus/pg_numeric/leading_zero_group, dscale_over_limit): the text
// was "00005" and "-0", which the encoder then read as another value.
TEST(PostgresBinaryNumeric, PrintsUnstrippedWireFormsAsTheServerWould) {
  auto text = [](std::string_view wire) {
    std::string out;
    return numeric_text(wire, out) ? out : "<malformed>";
  };
  // ndigits 2, weight 1, positive, dscale 0: groups 0 and 5.
  EXPECT_EQ(text(std::string("\0\2\0\1\0\0\0\0\0\0\0\5", 12)), "5");
  EXPECT_EQ(text(std::string("\0\2\0\1\0\0\0\1\0\0\0\5", 12)), "5.0");
  EXPECT_EQ(text(std::string("\0\0\0\0\x40\0\0\2", 8)), "0.00") << "no digits, negative: zero";
  // 0.0001 with dscale 0 is 0 (digits past dscale are dropped), negative or not.
  EXPECT_EQ(text(std::string("\0\1\xff\xff\x40\0\0\0\0\1", 10)), "0");
  EXPECT_EQ(text(std::string("\0\1\xff\xff\x40\0\0\4\0\1", 10)), "-0.0001");
  EXPECT_EQ(text(std::string("\0\1\xff\xff\0\0\x40\0\0\1", 10)), "<malformed>") << "dscale 16384 > 16383";
  EXPECT_EQ(text(std::string("\0\1\xff\xff\0\0\x3f\xff\0\1", 10)).size(), 16385u) << "dscale 16383: 0.0001000…";
}

BinaryCodec codec(Oid oid) {
  auto c = BinaryCodec::for_type(oid);
  EXPECT_TRUE(c) << "oid " << oid;
  return *c;
}

Value round_trip(Oid oid, const Value& v) {
  BinaryCodec c = codec(oid);
  EXPECT_TRUE(c.accepts(v)) << "oid " << oid << " takes a " << to_string(v.type());
  WireBuffer wire;
  c.encode(v, wire);
  auto length = static_cast<std::int32_t>(load32(wire.data()));
  EXPECT_EQ(static_cast<std::size_t>(length) + 4, wire.size()) << "the length word counts the payload";
  Value out;
  c.decode(wire.view().substr(4), out);
  return out;
}

TEST(PostgresBinaryCodec, EachTypeRoundTrips) {
  using L = std::numeric_limits<std::int64_t>;
  EXPECT_EQ(round_trip(16, Value(true)), Value(true));
  EXPECT_EQ(round_trip(17, Value(Bytes{std::string("\0\xff\n", 3)})), Value(Bytes{std::string("\0\xff\n", 3)}));
  EXPECT_EQ(round_trip(25, Value("Ñandú")), Value("Ñandú"));
  EXPECT_EQ(round_trip(1043, Value(42)), Value("42")) << "an integer into varchar is its text";
  EXPECT_EQ(round_trip(21, Value(-32768)), Value(-32768));
  EXPECT_EQ(round_trip(23, Value(2147483647)), Value(2147483647));
  EXPECT_EQ(round_trip(20, Value(L::min())), Value(L::min()));
  EXPECT_EQ(round_trip(26, Value(4294967295LL)), Value(4294967295LL));
  EXPECT_EQ(round_trip(701, Value(0.1)), Value(0.1));
  EXPECT_EQ(round_trip(700, Value(0.1)), Value(0.1)) << "a real reads back as its shortest decimal";
  EXPECT_EQ(round_trip(701, Value(9007199254740993LL)), Value(9007199254740992.0));
  EXPECT_EQ(round_trip(1700, Value(Decimal{"-12.340"})), Value(Decimal{"-12.340"}));
  EXPECT_EQ(round_trip(1700, Value(L::max())), Value(Decimal{"9223372036854775807"}));
  EXPECT_EQ(round_trip(1700, Value(1e21)), Value(Decimal{"1000000000000000000000"}));
  EXPECT_EQ(round_trip(114, Value(Json{R"({"a": [1]})"})), Value(Json{R"({"a": [1]})"}));
  EXPECT_EQ(round_trip(3802, Value(Json{"[]"})), Value(Json{"[]"}));
  EXPECT_EQ(round_trip(3802, Value(Array{{Value(1), Value("x")}})), Value(Json{R"([1,"x"])"}));
  EXPECT_EQ(round_trip(1082, Value(Date{days_from_civil(2024, 2, 29)})), Value(Date{days_from_civil(2024, 2, 29)}));
  EXPECT_EQ(round_trip(1083, Value(Time{86'400'000'000})), Value(Time{86'400'000'000})) << "24:00:00";
  EXPECT_EQ(round_trip(1114, Value(Timestamp{-1})), Value(Timestamp{-1}));
  EXPECT_EQ(round_trip(1184, Value(TimestampTz{1'700'000'000'123'456})), Value(TimestampTz{1'700'000'000'123'456}));
  EXPECT_EQ(round_trip(1186, Value(Interval{-14, 3, 1'500'000})), Value(Interval{-14, 3, 1'500'000}));
  Uuid u = parse_uuid("550e8400-e29b-41d4-a716-446655440000").value();
  EXPECT_EQ(round_trip(2950, Value(u)), Value(u));
}

TEST(PostgresBinaryCodec, ArraysRoundTripWithNullsAndDimensions) {
  Array flat{{Value(1), Value(), Value(3)}};
  EXPECT_EQ(round_trip(1007, Value(flat)), Value(flat));
  Array grid{{Value(Array{{Value("a"), Value("b")}}), Value(Array{{Value(), Value("d")}})}};
  EXPECT_EQ(round_trip(1009, Value(grid)), Value(grid));
  EXPECT_EQ(round_trip(1016, Value(Array{})), Value(Array{}));
}

// An int4[] field with the given dimensions and `elements` int4 elements after them.
std::string int4_array(const std::vector<std::int32_t>& dims, int elements) {
  WireBuffer wire;
  wire.put_i32(static_cast<std::int32_t>(dims.size()));
  wire.put_i32(0);
  wire.put_i32(23);
  for (std::int32_t d : dims) {
    wire.put_i32(d);
    wire.put_i32(1);
  }
  for (int i = 0; i < elements; ++i) wire.put_field(std::string("\0\0\0\7", 4));
  return std::string(wire.view());
}

// Dimensions are checked against the bytes that follow before anything is built: found by
// fuzzing (tests/fuzz/corpus/pg_copy/array_dimensions_without_elements), 2^31 × 2^31 × 0
// built empty arrays until memory ran out.
TEST(PostgresBinaryCodec, ArrayDimensionsMustFitTheField) {
  Value out;
  codec(1007).decode(int4_array({2, 3}, 6), out);
  EXPECT_EQ(out.get<Array>().items.size(), 2u);
  const std::vector<std::int32_t> empty_dims[] = {{1000, 0}, {0, 5}, {2147483647, 2147483647, 0}};
  for (const auto& dims : empty_dims) {
    codec(1007).decode(int4_array(dims, 0), out);
    EXPECT_EQ(out, Value(Array{})) << "a zero dimension is the empty array";
  }
  const std::pair<std::vector<std::int32_t>, int> too_few[] = {
      {{2, 3}, 5}, {{2147483647, 2147483647}, 1}, {{2147483647, 2147483647, 2147483647, 2}, 3}};
  for (const auto& [dims, elements] : too_few) {
    try {
      codec(1007).decode(int4_array(dims, elements), out);
      ADD_FAILURE() << elements << " elements decoded for larger dimensions";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
    }
  }
}

TEST(PostgresBinaryCodec, TakesOnlyValuesItConvertsExactly) {
  EXPECT_FALSE(codec(23).accepts(Value("42"))) << "text into integer: the server parses it (text COPY)";
  EXPECT_FALSE(codec(23).accepts(Value(1.0)));
  EXPECT_FALSE(codec(1082).accepts(Value("2024-01-01")));
  EXPECT_FALSE(codec(1184).accepts(Value(Timestamp{0}))) << "the zone is the server's business";
  EXPECT_FALSE(codec(25).accepts(Value(Bytes{"x"})));
  EXPECT_FALSE(codec(17).accepts(Value("\\x00")));
  EXPECT_FALSE(codec(18).accepts(Value("x"))) << "\"char\" is read only";
  EXPECT_TRUE(codec(25).accepts(Value(Decimal{"1.5"})));
  EXPECT_TRUE(codec(1700).accepts(Value(2.5)));
  EXPECT_TRUE(codec(23).accepts(Value()));
  Array ragged{{Value(Array{{Value(1)}}), Value(Array{{Value(1), Value(2)}})}};
  EXPECT_FALSE(codec(1007).accepts(Value(ragged)));
  Array mixed{{Value(1), Value(Array{{Value(2)}})}};
  EXPECT_FALSE(codec(1007).accepts(Value(mixed)));
  EXPECT_FALSE(codec(1007).accepts(Value(Array{{Value("1")}}))) << "elements follow the element type's rules";
  EXPECT_FALSE(BinaryCodec::for_type(869)) << "inet has no codec: such tables use text COPY";
}

TEST(PostgresBinaryCodec, ValuesTheColumnCannotHoldAreDataErrors) {
  WireBuffer wire;
  for (auto [oid, v] : {std::pair{Oid{21}, Value(40000)}, {Oid{23}, Value(3000000000LL)}, {Oid{26}, Value(-1)},
                        {Oid{700}, Value(1e300)}, {Oid{1700}, Value(Decimal{"12,5"})}}) {
    try {
      codec(oid).encode(v, wire);
      ADD_FAILURE() << "oid " << oid << " took " << v.to_text();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
    }
  }
}

TEST(PostgresBinaryCodec, ValuesOutsideWeirsRangeReadAsTheServersText) {
  Value v;
  codec(1082).decode(std::string("\x7f\xff\xff\xff", 4), v);
  EXPECT_EQ(v, Value("infinity"));
  WireBuffer wire;
  codec(1082).encode(Value(Date{days_from_civil(-43, 3, 15)}), wire);  // year -43 is 44 BC
  codec(1082).decode(wire.view().substr(4), v);
  EXPECT_EQ(v, Value("0044-03-15 BC"));
  wire.clear();
  codec(1184).encode(Value(TimestampTz{(std::int64_t{days_from_civil(10000, 1, 1)} * 86'400 + 43'200) * 1'000'000 + 500'000}), wire);
  codec(1184).decode(wire.view().substr(4), v);
  EXPECT_EQ(v, Value("10000-01-01 12:00:00.5+00"));
  codec(1114).decode(std::string("\x80\0\0\0\0\0\0\0", 8), v);
  EXPECT_EQ(v, Value("-infinity"));
}

TEST(PostgresBinaryCodec, MalformedFieldsAreDataErrors) {
  Value v;
  EXPECT_THROW(codec(23).decode("abc", v), Error);
  EXPECT_THROW(codec(3802).decode("\x02{}", v), Error) << "unknown jsonb version";
  EXPECT_THROW(codec(1007).decode(std::string("\0\0\0\1\0\0\0\0\0\0\0\x17\0\0\0\2\0\0\0\1", 20), v), Error)
      << "two elements announced, none sent";
}

// Times and timestamps outside what time_recv and timestamp_recv accept are malformed, not read:
// found by fuzzing (tests/fuzz/corpus/pg_copy/timestamp_past_the_servers_range), a timestamp near
// the int64 maximum overflowed (UB) on its way to Unix time.
TEST(PostgresBinaryCodec, TimesAndTimestampsOutsideTheServersRangeAreMalformed) {
  auto int8 = [](std::int64_t v) {
    WireBuffer wire;
    wire.put_i64(v);
    return std::string(wire.view());
  };
  Value v;
  codec(1114).decode(int8(9'223'371'331'199'999'999), v);  // 294276-12-31 23:59:59.999999, the last
  EXPECT_EQ(v.to_text(), "294276-12-31 23:59:59.999999");
  codec(1184).decode(int8(-211'813'488'000'000'000), v);  // the first: 4714-11-24 BC
  EXPECT_EQ(v.to_text(), "4714-11-24 00:00:00+00 BC");
  codec(1083).decode(int8(86'400'000'000), v);
  EXPECT_EQ(v, Value(Time{86'400'000'000})) << "24:00:00 is a time";
  for (auto [oid, micros] : {std::pair{Oid{1114}, std::int64_t{9'223'371'331'200'000'000}},
                             {Oid{1184}, std::int64_t{9'223'372'032'559'808'638}},
                             {Oid{1114}, std::int64_t{-211'813'488'000'000'001}},
                             {Oid{1083}, std::int64_t{86'400'000'001}}, {Oid{1083}, std::int64_t{-1}}}) {
    try {
      codec(oid).decode(int8(micros), v);
      ADD_FAILURE() << "oid " << oid << " read " << micros << " as " << v.to_text();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
    }
  }
}

}  // namespace
}  // namespace weir::db::postgres
