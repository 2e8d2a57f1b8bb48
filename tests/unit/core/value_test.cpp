#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir {
namespace {

std::string json_of(const Value& v) {
  std::string out;
  v.append_json(out);
  return out;
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(Value, EachConstructorGivesItsType) {
  EXPECT_EQ(Value().type(), Type::null);
  EXPECT_EQ(Value(nullptr).type(), Type::null);
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value(true).type(), Type::boolean);
  EXPECT_EQ(Value(false).type(), Type::boolean);
  EXPECT_EQ(Value(2.5).type(), Type::float64);
  EXPECT_EQ(Value(2.5f).type(), Type::float64);
  EXPECT_EQ(Value(std::string("a")).type(), Type::text);
  EXPECT_EQ(Value(std::string_view("a")).type(), Type::text);
  EXPECT_EQ(Value("a").type(), Type::text);
  EXPECT_EQ(Value(Decimal{"1.50"}).type(), Type::decimal);
  EXPECT_EQ(Value(Bytes{"\x01"}).type(), Type::bytes);
  EXPECT_EQ(Value(Date{1}).type(), Type::date);
  EXPECT_EQ(Value(Time{1}).type(), Type::time);
  EXPECT_EQ(Value(Timestamp{1}).type(), Type::timestamp);
  EXPECT_EQ(Value(TimestampTz{1}).type(), Type::timestamptz);
  EXPECT_EQ(Value(Interval{1, 2, 3}).type(), Type::interval);
  EXPECT_EQ(Value(Uuid{}).type(), Type::uuid);
  EXPECT_EQ(Value(Json{"{}"}).type(), Type::json);
  EXPECT_EQ(Value(Array{}).type(), Type::array);
  EXPECT_FALSE(Value(0).is_null());
  EXPECT_FALSE(Value("").is_null());
}

TEST(Value, IntegerTypesBecomeInt64AndBoolStaysBoolean) {
  EXPECT_EQ(Value(42).type(), Type::int64);
  EXPECT_EQ(Value(42L).type(), Type::int64);
  EXPECT_EQ(Value(42LL).type(), Type::int64);
  EXPECT_EQ(Value(42u).type(), Type::int64);
  EXPECT_EQ(Value(static_cast<short>(-7)).type(), Type::int64);
  EXPECT_EQ(Value(static_cast<std::uint32_t>(4'000'000'000u)).as_int(), 4'000'000'000LL);
  EXPECT_EQ(Value(-42L).as_int(), -42);
  EXPECT_EQ(Value(std::numeric_limits<std::int64_t>::min()).as_int(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(Value(true).type(), Type::boolean);
  EXPECT_TRUE(Value(true).as_bool());
  EXPECT_FALSE(Value(false).as_bool());
}

TEST(Value, GetOnTheWrongTypeThrowsADataErrorNamingBothTypes) {
  Value v(42);
  try {
    (void)v.as_text();
    FAIL() << "as_text() on an int64 did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    std::string msg = e.what();
    EXPECT_NE(msg.find("text"), std::string::npos) << msg;
    EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
  }
  try {
    (void)Value(Date{3}).get<Timestamp>();
    FAIL() << "get<Timestamp>() on a date did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    std::string msg = e.what();
    EXPECT_NE(msg.find("timestamp"), std::string::npos) << msg;
    EXPECT_NE(msg.find("date"), std::string::npos) << msg;
  }
  EXPECT_THROW((void)Value().as_int(), Error);
  EXPECT_THROW((void)Value(1).as_bool(), Error);
  EXPECT_THROW((void)Value(1).as_double(), Error);
  EXPECT_EQ(Value(1).get_if<double>(), nullptr);
  ASSERT_NE(Value(1.5).get_if<double>(), nullptr);
  EXPECT_EQ(Value(Decimal{"9.99"}).get<Decimal>().text, "9.99");
}

TEST(Value, SetTextReusesTheBufferAndSwitchesType) {
  Value v(std::string(200, 'x'));
  const char* before = v.as_text().data();
  v.set_text("short");
  EXPECT_EQ(v.as_text(), "short");
  EXPECT_EQ(v.as_text().data(), before) << "set_text on a text value must reuse its buffer";

  Value n(7);
  n.set_text("now text");
  EXPECT_EQ(n.type(), Type::text);
  EXPECT_EQ(n.as_text(), "now text");
}

TEST(Value, SetDecimalBytesJsonReuseInPlaceAndSwitchType) {
  Value d(Decimal{std::string(100, '9')});
  const char* dp = d.get<Decimal>().text.data();
  d.set_decimal("-12.50");
  EXPECT_EQ(d.get<Decimal>().text, "-12.50");
  EXPECT_EQ(d.get<Decimal>().text.data(), dp);

  Value b(Bytes{std::string(100, '\0')});
  const char* bp = b.get<Bytes>().data.data();
  b.set_bytes(std::string_view("\x00\x01", 2));
  EXPECT_EQ(b.get<Bytes>().data, std::string("\x00\x01", 2));
  EXPECT_EQ(b.get<Bytes>().data.data(), bp);

  Value j(Json{std::string(100, ' ')});
  const char* jp = j.get<Json>().text.data();
  j.set_json("[1]");
  EXPECT_EQ(j.get<Json>().text, "[1]");
  EXPECT_EQ(j.get<Json>().text.data(), jp);

  // A text value written with set_decimal becomes a decimal, not text that looks like one.
  Value t("1.5");
  t.set_decimal("1.5");
  EXPECT_EQ(t.type(), Type::decimal);
  t.set_bytes("ab");
  EXPECT_EQ(t.type(), Type::bytes);
  t.set_json("{}");
  EXPECT_EQ(t.type(), Type::json);
  t.set_null();
  EXPECT_TRUE(t.is_null());
  t.set_int(3);
  EXPECT_EQ(t.as_int(), 3);
  t.set_double(0.25);
  EXPECT_EQ(t.as_double(), 0.25);
  t.set_bool(true);
  EXPECT_EQ(t.type(), Type::boolean);
}

TEST(Value, ToTextOfScalars) {
  EXPECT_EQ(Value().to_text(), "");
  EXPECT_EQ(Value(true).to_text(), "true");
  EXPECT_EQ(Value(false).to_text(), "false");
  EXPECT_EQ(Value(-9'223'372'036'854'775'807LL - 1).to_text(), "-9223372036854775808");
  EXPECT_EQ(Value("héllo").to_text(), "héllo");
  EXPECT_EQ(Value(Decimal{"-12.50"}).to_text(), "-12.50");
  EXPECT_EQ(Value(Decimal{"12345678901234567890.000000001"}).to_text(),
            "12345678901234567890.000000001");
  EXPECT_EQ(Value(Bytes{std::string("\x00\xff\x10\xab", 4)}).to_text(), "\\x00ff10ab");
  EXPECT_EQ(Value(Bytes{""}).to_text(), "\\x");
  EXPECT_EQ(Value(Json{R"({"a": [1, 2]})"}).to_text(), R"({"a": [1, 2]})");
}

TEST(Value, ToTextOfDoublesIsShortestRoundTrip) {
  EXPECT_EQ(Value(0.1).to_text(), "0.1");
  EXPECT_EQ(Value(2.5).to_text(), "2.5");
  EXPECT_EQ(Value(-0.75).to_text(), "-0.75");
  for (double d : {0.1, 1.0 / 3, 2.0 / 3, 1e-7, 123456789.125, 5e-324, 1.7976931348623157e308,
                   -2.2250738585072014e-308, 0.30000000000000004}) {
    std::string text = Value(d).to_text();
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
    EXPECT_LE(text.size(), 24u) << text;
  }
  EXPECT_EQ(Value(std::nan("")).to_text(), "NaN");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()).to_text(), "Infinity");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()).to_text(), "-Infinity");
}

TEST(Value, ToTextOfTemporalAndUuidIsIso) {
  EXPECT_EQ(Value(Date{0}).to_text(), "1970-01-01");
  EXPECT_EQ(Value(Date{-1}).to_text(), "1969-12-31");
  EXPECT_EQ(Value(Time{(13 * 3600 + 45 * 60) * 1'000'000LL + 250'000}).to_text(), "13:45:00.25");
  EXPECT_EQ(Value(Timestamp{86'400'000'000LL + 1}).to_text(), "1970-01-02 00:00:00.000001");
  EXPECT_EQ(Value(TimestampTz{0}).to_text(), "1970-01-01 00:00:00+00:00");
  EXPECT_EQ(Value(Interval{0, 1, 0}).to_text(), "P1D");
  Uuid u;
  for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(i * 17);
  EXPECT_EQ(Value(u).to_text(), "00112233-4455-6677-8899-aabbccddeeff");
}

TEST(Value, AppendJsonNumbersBareAndDecimalsAsStrings) {
  EXPECT_EQ(json_of(Value()), "null");
  EXPECT_EQ(json_of(Value(true)), "true");
  EXPECT_EQ(json_of(Value(false)), "false");
  EXPECT_EQ(json_of(Value(-42)), "-42");
  EXPECT_EQ(json_of(Value(1.5)), "1.5");
  EXPECT_EQ(json_of(Value(Decimal{"12345678901234567890.10"})), "\"12345678901234567890.10\"");
  EXPECT_EQ(json_of(Value(Json{R"({"k":[1,null]})"})), R"({"k":[1,null]})");
  EXPECT_EQ(json_of(Value(Date{0})), "\"1970-01-01\"");
  EXPECT_EQ(json_of(Value(Timestamp{0})), "\"1970-01-01 00:00:00\"");
  EXPECT_EQ(json_of(Value(std::nan(""))), "\"NaN\"");
  EXPECT_EQ(json_of(Value(std::numeric_limits<double>::infinity())), "\"Infinity\"");
  EXPECT_EQ(json_of(Value(-std::numeric_limits<double>::infinity())), "\"-Infinity\"");
}

TEST(Value, AppendJsonAppendsWithoutClobbering) {
  std::string out = "[";
  Value(1).append_json(out);
  out += ',';
  Value("a").append_json(out);
  EXPECT_EQ(out, "[1,\"a\"");
}

TEST(Value, AppendJsonBytesAsBase64) {
  EXPECT_EQ(json_of(Value(Bytes{""})), "\"\"");
  EXPECT_EQ(json_of(Value(Bytes{"f"})), "\"Zg==\"");
  EXPECT_EQ(json_of(Value(Bytes{"fo"})), "\"Zm8=\"");
  EXPECT_EQ(json_of(Value(Bytes{"foo"})), "\"Zm9v\"");
  EXPECT_EQ(json_of(Value(Bytes{"foob"})), "\"Zm9vYg==\"");
  EXPECT_EQ(json_of(Value(Bytes{"fooba"})), "\"Zm9vYmE=\"");
  EXPECT_EQ(json_of(Value(Bytes{"foobar"})), "\"Zm9vYmFy\"");
  EXPECT_EQ(json_of(Value(Bytes{std::string("\xff\xfe\x00", 3)})), "\"//4A\"");
  EXPECT_EQ(json_of(Value(Bytes{std::string("\xfb\xff", 2)})), "\"+/8=\"");
}

TEST(Value, AppendJsonArraysNest) {
  Array inner{{Value(2), Value("x")}};
  Array outer{{Value(1), Value(inner), Value(), Value(Array{})}};
  EXPECT_EQ(json_of(Value(outer)), R"([1,[2,"x"],null,[]])");
  EXPECT_EQ(Value(outer).to_text(), R"([1,[2,"x"],null,[]])");
  EXPECT_EQ(json_of(Value(Array{})), "[]");
}

TEST(Value, AppendJsonEscapesStrings) {
  EXPECT_EQ(json_of(Value("plain")), "\"plain\"");
  EXPECT_EQ(json_of(Value("say \"hi\"")), R"("say \"hi\"")");
  EXPECT_EQ(json_of(Value("C:\\dir")), R"("C:\\dir")");
  EXPECT_EQ(json_of(Value("a\nb\rc\td")), R"("a\nb\rc\td")");
  EXPECT_EQ(json_of(Value("\x01")), R"("\u0001")");
  EXPECT_EQ(json_of(Value("\x1f")), R"("\u001f")");
  EXPECT_EQ(json_of(Value(std::string("a\0b", 3))), R"("a\u0000b")");
  EXPECT_EQ(json_of(Value("zürich ✓ 日本")), "\"zürich ✓ 日本\"");
  EXPECT_EQ(json_string("/"), "\"/\"");
  EXPECT_EQ(json_string(""), "\"\"");
}

TEST(Value, Equality) {
  EXPECT_EQ(Value(1), Value(1L));
  EXPECT_EQ(Value(1), Value(1u));
  EXPECT_NE(Value(1), Value(2));
  EXPECT_NE(Value(1), Value(1.0)) << "int64 and float64 are different values";
  EXPECT_NE(Value("1"), Value(1));
  EXPECT_NE(Value(Decimal{"1"}), Value("1"));
  EXPECT_NE(Value(Json{"1"}), Value("1"));
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_NE(Value(), Value(""));
  EXPECT_NE(Value(false), Value(0));
  EXPECT_EQ(Value(Interval{1, 2, 3}), Value(Interval{1, 2, 3}));
  EXPECT_NE(Value(Interval{1, 2, 3}), Value(Interval{1, 2, 4}));
  EXPECT_EQ(Value(Array{{Value(1), Value("a")}}), Value(Array{{Value(1), Value("a")}}));
  EXPECT_NE(Value(Array{{Value(1), Value("a")}}), Value(Array{{Value(1), Value("b")}}));
  EXPECT_NE(Value(Array{{Value(1)}}), Value(Array{{Value(1), Value(1)}}));
  EXPECT_NE(Value(Date{1}), Value(Timestamp{1}));
}

TEST(Value, TypeNames) {
  EXPECT_EQ(to_string(Type::null), "null");
  EXPECT_EQ(to_string(Type::int64), "int64");
  EXPECT_EQ(to_string(Type::timestamptz), "timestamptz");
  EXPECT_EQ(to_string(Type::array), "array");
}

}  // namespace
}  // namespace weir
