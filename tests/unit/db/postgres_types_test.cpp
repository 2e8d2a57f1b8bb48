// PostgreSQL's text forms read without a server: intervals in both IntervalStyles weir reads
// (a transaction pooler does not keep weir's SET of IntervalStyle, so the server's default,
// postgres, arrives as often as iso_8601).
#include <gtest/gtest.h>

#include <limits>

#include "db/postgres/types.hpp"
#include "weir/error.hpp"

namespace weir::db::postgres {
namespace {

constexpr Oid kInterval = 1186;
constexpr std::int64_t kHour = 3'600'000'000;

Value read_interval(std::string_view text) {
  Value v;
  read_text(text, kInterval, v);
  return v;
}

TEST(PostgresTextInterval, PostgresStyle) {
  EXPECT_EQ(read_interval("00:00:00"), Value(Interval{0, 0, 0}));
  EXPECT_EQ(read_interval("1 year 2 mons 3 days 04:05:06.5"),
            Value(Interval{14, 3, 4 * kHour + (5 * 60 + 6) * 1'000'000LL + 500'000}));
  EXPECT_EQ(read_interval("-1 years +2 mons -3 days +04:05:06"),
            Value(Interval{-10, -3, 4 * kHour + (5 * 60 + 6) * 1'000'000LL}));
  EXPECT_EQ(read_interval("1 mon -00:00:00.000001"), Value(Interval{1, 0, -1}));
  EXPECT_EQ(read_interval("7 days"), Value(Interval{0, 7, 0}));
  EXPECT_EQ(read_interval("-1 day"), Value(Interval{0, -1, 0}));
  EXPECT_EQ(read_interval("100:00:00"), Value(Interval{0, 0, 100 * kHour}));
  // The extremes of the microseconds: hours far beyond a day, the most negative value.
  EXPECT_EQ(read_interval("2562047788:00:54.775807"),
            Value(Interval{0, 0, std::numeric_limits<std::int64_t>::max()}));
  EXPECT_EQ(read_interval("-2562047788:00:54.775808"),
            Value(Interval{0, 0, std::numeric_limits<std::int64_t>::min()}));
  EXPECT_EQ(read_interval("178956970 years 7 mons"), Value(Interval{std::numeric_limits<std::int32_t>::max(), 0, 0}));
}

TEST(PostgresTextInterval, Iso8601Style) {
  EXPECT_EQ(read_interval("P1Y2M3DT4H5M6.5S"),
            Value(Interval{14, 3, 4 * kHour + (5 * 60 + 6) * 1'000'000LL + 500'000}));
  EXPECT_EQ(read_interval("PT0S"), Value(Interval{0, 0, 0}));
}

// Another style (sql_standard, postgres_verbose) is a data error naming the text, never a
// wrong value.
TEST(PostgresTextInterval, OtherStylesAreErrors) {
  for (const char* text : {"1-2 3 4:05:06", "@ 1 year 2 mons", "1 fortnight", "1 year 2", "12:00", "1:2:3:4", "",
                           "04:05:06.1234567"}) {
    try {
      read_interval(text);
      ADD_FAILURE() << "read `" << text << "`";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::data) << text;
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace weir::db::postgres
