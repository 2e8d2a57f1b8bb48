#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "weir/temporal.hpp"

namespace weir {
namespace {

constexpr std::int64_t kSec = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSec;

std::int64_t hms(int h, int m, int s) { return ((h * 60LL + m) * 60 + s) * kSec; }

TEST(Temporal, DatesRoundTripWithKnownDayNumbers) {
  struct Case {
    const char* text;
    std::int32_t days;
  };
  for (const Case& c : {Case{"1970-01-01", 0}, Case{"1969-12-31", -1}, Case{"2000-02-29", 11016},
                        Case{"0001-01-01", -719162}, Case{"9999-12-31", 2932896},
                        Case{"2024-05-01", 19844}}) {
    auto d = parse_date(c.text);
    ASSERT_TRUE(d) << c.text;
    EXPECT_EQ(d->days, c.days) << c.text;
    EXPECT_EQ(format_date(*d), c.text);
    EXPECT_EQ(format_date(Date{c.days}), c.text);
  }
}

TEST(Temporal, CivilConversionsAgree) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(-1, y, m, d);
  EXPECT_EQ(y, 1969);
  EXPECT_EQ(m, 12u);
  EXPECT_EQ(d, 31u);
  for (std::int32_t days = -800'000; days <= 3'000'000; days += 997) {
    civil_from_days(days, y, m, d);
    ASSERT_EQ(days_from_civil(y, m, d), days);
  }
}

TEST(Temporal, InvalidDatesAreRejected) {
  for (const char* bad : {"2023-02-29", "2023-13-01", "2023-00-10", "2023-04-31", "2023-01-00",
                          "2023-1-1", "23-01-01", "", "2023-01-01x", "2023/01/01", "abcd-ef-gh",
                          "2023-01-01 "}) {
    EXPECT_FALSE(parse_date(bad)) << '"' << bad << '"';
  }
  EXPECT_TRUE(parse_date("2024-02-29"));  // leap year
  EXPECT_FALSE(parse_date("1900-02-29"));  // century, not a leap year
}

TEST(Temporal, TimesWithFractions) {
  auto t = parse_time("13:45:00.5");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->micros, hms(13, 45, 0) + 500'000);
  EXPECT_EQ(format_time(*t), "13:45:00.5");

  EXPECT_EQ(parse_time("00:00:00.000001")->micros, 1);
  EXPECT_EQ(parse_time("00:00:00.123456789")->micros, 123'456) << "digits past 6 are truncated";
  EXPECT_EQ(parse_time("00:00:00.9999999")->micros, 999'999) << "truncated, not rounded up";
  EXPECT_EQ(parse_time("13:45")->micros, hms(13, 45, 0));
  EXPECT_EQ(parse_time("23:59:59.999999")->micros, kDay - 1);

  EXPECT_EQ(format_time(Time{0}), "00:00:00");
  EXPECT_EQ(format_time(Time{hms(9, 5, 7) + 120'000}), "09:05:07.12");
  EXPECT_EQ(format_time(Time{kDay - 1}), "23:59:59.999999");
}

TEST(Temporal, InvalidTimesAreRejected) {
  for (const char* bad : {"", "25:00", "12:60", "12:3", "1:30", "12:30:", "12:30:00.", "12:30:61",
                          "12-30-00", "12:30:00x", "noon"}) {
    EXPECT_FALSE(parse_time(bad)) << '"' << bad << '"';
  }
}

TEST(Temporal, TimestampsAcceptSpaceOrT) {
  auto a = parse_timestamp("2024-05-01 13:45:00.25");
  auto b = parse_timestamp("2024-05-01T13:45:00.25");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->micros, 19844 * kDay + hms(13, 45, 0) + 250'000);
  EXPECT_EQ(format_timestamp(*a), "2024-05-01 13:45:00.25");

  auto midnight = parse_timestamp("2024-05-01");
  ASSERT_TRUE(midnight);
  EXPECT_EQ(midnight->micros, 19844 * kDay);
  EXPECT_EQ(format_timestamp(*midnight), "2024-05-01 00:00:00");

  EXPECT_FALSE(parse_timestamp(""));
  EXPECT_FALSE(parse_timestamp("2024-05-01X13:45"));
  EXPECT_FALSE(parse_timestamp("2024-05-01 25:00"));
  EXPECT_FALSE(parse_timestamp("2024-02-30 00:00"));
}

TEST(Temporal, PreEpochTimestampsWithFractions) {
  EXPECT_EQ(format_timestamp(Timestamp{-1}), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(format_timestamp(Timestamp{-500'000}), "1969-12-31 23:59:59.5");
  EXPECT_EQ(format_timestamp(Timestamp{-kDay}), "1969-12-31 00:00:00");
  EXPECT_EQ(format_timestamptz(TimestampTz{-1}), "1969-12-31 23:59:59.999999+00:00");
  for (const char* text : {"1969-12-31 23:59:59.5", "1900-01-01 12:00:00.000001",
                           "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999"}) {
    auto ts = parse_timestamp(text);
    ASSERT_TRUE(ts) << text;
    EXPECT_EQ(format_timestamp(*ts), text);
  }
  EXPECT_EQ(parse_timestamp("1969-12-31 23:59:59.5")->micros, -500'000);
}

TEST(Temporal, TimestampIgnoresATrailingZone) {
  auto plain = parse_timestamp("2024-05-01 13:45:00");
  ASSERT_TRUE(plain);
  for (const char* text : {"2024-05-01 13:45:00Z", "2024-05-01T13:45:00+02:00",
                           "2024-05-01 13:45:00-0530", "2024-05-01 13:45:00+02"}) {
    auto ts = parse_timestamp(text);
    ASSERT_TRUE(ts) << text;
    EXPECT_EQ(*ts, *plain) << text;
  }
}

TEST(Temporal, TimestamptzAppliesOffsets) {
  const std::int64_t noon = 19844 * kDay + hms(12, 0, 0);
  struct Case {
    const char* text;
    std::int64_t utc;
  };
  for (const Case& c : {Case{"2024-05-01 12:00:00", noon}, Case{"2024-05-01 12:00:00Z", noon},
                        Case{"2024-05-01T12:00:00+00:00", noon},
                        Case{"2024-05-01 12:00:00+02:00", noon - hms(2, 0, 0)},
                        Case{"2024-05-01 12:00:00+02", noon - hms(2, 0, 0)},
                        Case{"2024-05-01 12:00:00-0530", noon + hms(5, 30, 0)},
                        Case{"2024-05-01 12:00:00-05:30", noon + hms(5, 30, 0)},
                        Case{"2024-05-01 12:00:00.5+01:00", noon - hms(1, 0, 0) + 500'000}}) {
    auto ts = parse_timestamptz(c.text);
    ASSERT_TRUE(ts) << c.text;
    EXPECT_EQ(ts->micros, c.utc) << c.text;
  }
  EXPECT_EQ(format_timestamptz(*parse_timestamptz("2024-01-01 01:00:00+02:00")),
            "2023-12-31 23:00:00+00:00");
  EXPECT_EQ(format_timestamptz(*parse_timestamptz("2024-05-01 12:00:00-0530")),
            "2024-05-01 17:30:00+00:00");
  EXPECT_FALSE(parse_timestamptz("2024-05-01 12:00:00+2"));
  EXPECT_FALSE(parse_timestamptz("2024-05-01 12:00:00 PST"));
  EXPECT_FALSE(parse_timestamptz("2024-05-01 12:00:00+02:00junk"));
}

TEST(Temporal, TimestamptzRoundTripsItsOwnFormat) {
  for (std::int64_t micros : {0LL, -1LL, 1'714'567'890'123'456LL, -2'208'988'800'000'000LL}) {
    TimestampTz ts{micros};
    auto back = parse_timestamptz(format_timestamptz(ts));
    ASSERT_TRUE(back) << format_timestamptz(ts);
    EXPECT_EQ(*back, ts);
  }
}

TEST(Temporal, UuidParseAcceptsCommonSpellings) {
  const std::string canonical = "123e4567-e89b-12d3-a456-426614174000";
  auto u = parse_uuid(canonical);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->bytes[0], 0x12);
  EXPECT_EQ(u->bytes[15], 0x00);
  EXPECT_EQ(u->bytes[6], 0x12);
  EXPECT_EQ(format_uuid(*u), canonical);
  for (const char* text : {"123e4567e89b12d3a456426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
                           "123E4567-E89B-12D3-A456-426614174000", "{123E4567E89B12D3A456426614174000}"}) {
    auto other = parse_uuid(text);
    ASSERT_TRUE(other) << text;
    EXPECT_EQ(*other, *u) << text;
    EXPECT_EQ(format_uuid(*other), canonical) << "canonical form is lowercase with dashes";
  }
  EXPECT_EQ(format_uuid(Uuid{}), "00000000-0000-0000-0000-000000000000");
}

TEST(Temporal, BadUuidsAreRejected) {
  for (const char* bad : {"", "123e4567-e89b-12d3-a456-42661417400",      // 31 digits
                          "123e4567-e89b-12d3-a456-4266141740000",        // 33 digits
                          "123e4567-e89b-12d3-a456-42661417400g",         // not hex
                          "{123e4567-e89b-12d3-a456-426614174000",        // unbalanced brace
                          "123e4567-e89b-12d3-a456-426614174000}", "not-a-uuid",
                          "123e4567 e89b 12d3 a456 426614174000"}) {
    EXPECT_FALSE(parse_uuid(bad)) << '"' << bad << '"';
  }
}

TEST(Temporal, IntervalIsoFormat) {
  EXPECT_EQ(format_interval(Interval{14, 3, hms(4, 5, 6) + 500'000}), "P1Y2M3DT4H5M6.5S");
  EXPECT_EQ(format_interval(Interval{}), "P0D");
  EXPECT_EQ(format_interval(Interval{12, 0, 0}), "P1Y");
  EXPECT_EQ(format_interval(Interval{1, 0, 0}), "P1M");
  EXPECT_EQ(format_interval(Interval{0, 10, 0}), "P10D");
  EXPECT_EQ(format_interval(Interval{0, 0, hms(1, 0, 0)}), "PT1H");
  EXPECT_EQ(format_interval(Interval{0, 0, 90 * kSec}), "PT1M30S");
  EXPECT_EQ(format_interval(Interval{0, 0, 1}), "PT0.000001S");
  EXPECT_EQ(format_interval(Interval{0, 0, hms(49, 0, 0)}), "PT49H") << "hours do not fold into days";
}

TEST(Temporal, IntervalNegativeParts) {
  EXPECT_EQ(format_interval(Interval{0, 0, -1'500'000}), "PT-1.5S");
  EXPECT_EQ(format_interval(Interval{0, 0, -hms(1, 30, 0)}), "PT-1H-30M");
  EXPECT_EQ(format_interval(Interval{0, 0, -(hms(1, 1, 1) + 250'000)}), "PT-1H-1M-1.25S");
  EXPECT_EQ(format_interval(Interval{0, -3, 0}), "P-3D");
  EXPECT_EQ(format_interval(Interval{-14, 0, 0}), "P-1Y-2M");
  EXPECT_EQ(format_interval(Interval{1, -1, hms(1, 0, 0)}), "P1M-1DT1H");
}

// Every interval PostgreSQL holds prints and reads back, the int64 minimum of microseconds
// included, and numbers past what a part holds are no interval. Found by the checkpoint fuzz
// target (tests/fuzz/corpus/checkpoint/interval_overflow): parsing wrapped (UB) on 20 digits.
TEST(Temporal, IntervalExtremesRoundTripAndOverflowIsRejected) {
  using L = std::numeric_limits<std::int64_t>;
  using I = std::numeric_limits<std::int32_t>;
  EXPECT_EQ(format_interval(Interval{0, 0, L::min()}), "PT-2562047788H-54.775808S");
  EXPECT_EQ(format_interval(Interval{0, 0, L::max()}), "PT2562047788H54.775807S");
  for (Interval iv : {Interval{0, 0, L::min()}, Interval{0, 0, L::max()}, Interval{I::min(), I::min(), L::min()},
                      Interval{I::max(), I::max(), L::max()}}) {
    auto back = parse_interval(format_interval(iv));
    ASSERT_TRUE(back) << format_interval(iv);
    EXPECT_EQ(*back, iv) << format_interval(iv);
  }
  for (const char* bad : {"P99999999999999999999D", "P2147483648D", "P178956971Y", "PT2562047789H", "PT9223372036854775808S",
                          "P1Y999999999999999999999H", "PT2562047788H54.775808S"})
    EXPECT_FALSE(parse_interval(bad)) << bad;
}

TEST(Temporal, TimeOfDayPastMidnightIsRejected) {
  EXPECT_TRUE(parse_time("24:00:00")) << "24:00:00 is the one valid end-of-day spelling";
  for (const char* bad : {"24:30", "24:00:01", "24:59:59.5", "23:59:60.999999", "23:59:60.5"})
    EXPECT_FALSE(parse_time(bad)) << bad;
  EXPECT_EQ(parse_time("23:59:60")->micros, kDay) << "a leap second is the end of the day";
  EXPECT_EQ(parse_time("12:30:60")->micros, hms(12, 31, 0));
  EXPECT_FALSE(parse_timestamp("2024-05-01 24:30:00"));
}

TEST(Temporal, OutOfRangeZoneOffsetsAreRejected) {
  for (const char* bad : {"2024-05-01 12:00:00+02:75", "2024-05-01 12:00:00+99:00",
                          "2024-05-01 12:00:00+02:"}) {
    EXPECT_FALSE(parse_timestamptz(bad)) << bad;
  }
}

}  // namespace
}  // namespace weir
