// Cron schedules: field syntax, the day-of-month / day-of-week rule, macros, errors, and
// local time (each test pins TZ, so expectations do not depend on the machine).
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "pipeline/cron.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

using Clock = std::chrono::system_clock;

class CronTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
    use_zone("UTC");
  }
  void TearDown() override {
    if (saved_) setenv("TZ", saved_->c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }

  static void use_zone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

  // "2024-03-15 10:07:30" read as local time (isdst left to mktime).
  static Clock::time_point at(const std::string& text) {
    std::tm tm{};
    EXPECT_NE(strptime(text.c_str(), "%Y-%m-%d %H:%M:%S", &tm), nullptr) << text;
    tm.tm_isdst = -1;
    return Clock::from_time_t(std::mktime(&tm));
  }

  // Local time with the zone's abbreviation: "2024-03-15 10:08:00 UTC".
  static std::string local(Clock::time_point t) {
    std::time_t s = Clock::to_time_t(t);
    std::tm tm{};
    localtime_r(&s, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
    return buf;
  }

  static std::string next(const std::string& expr, const std::string& from) {
    return local(CronSchedule::parse(expr).next_after(at(from)));
  }

  static std::string error_of(const std::string& expr) {
    try {
      CronSchedule::parse(expr);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      return e.what();
    }
    return "(no error)";
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(CronTest, EveryMinuteIsStrictlyAfter) {
  EXPECT_EQ(next("* * * * *", "2024-03-15 10:07:30"), "2024-03-15 10:08:00 UTC");
  EXPECT_EQ(next("* * * * *", "2024-03-15 10:08:00"), "2024-03-15 10:09:00 UTC");
  auto t = at("2024-03-15 10:07:59") + std::chrono::milliseconds(999);
  EXPECT_EQ(local(CronSchedule::parse("* * * * *").next_after(t)), "2024-03-15 10:08:00 UTC");
}

TEST_F(CronTest, StepsRangesAndLists) {
  EXPECT_EQ(next("*/5 * * * *", "2024-03-15 10:07:30"), "2024-03-15 10:10:00 UTC");
  EXPECT_EQ(next("*/5 * * * *", "2024-03-15 10:55:00"), "2024-03-15 11:00:00 UTC");
  EXPECT_EQ(next("0 9-17/2 * * *", "2024-03-15 10:00:00"), "2024-03-15 11:00:00 UTC");
  EXPECT_EQ(next("0 9-17/2 * * *", "2024-03-15 17:30:00"), "2024-03-16 09:00:00 UTC");
  EXPECT_EQ(next("15,45 * * * *", "2024-03-15 10:20:00"), "2024-03-15 10:45:00 UTC");
  EXPECT_EQ(next("0 0 1,15 * *", "2024-03-02 00:00:00"), "2024-03-15 00:00:00 UTC");
  EXPECT_EQ(next("10/15 * * * *", "2024-03-15 10:41:00"), "2024-03-15 10:55:00 UTC");
  EXPECT_EQ(next("10/15 * * * *", "2024-03-15 10:56:00"), "2024-03-15 11:10:00 UTC");
  EXPECT_EQ(next("1-10/3,50 * * * *", "2024-03-15 10:08:00"), "2024-03-15 10:10:00 UTC");
}

TEST_F(CronTest, SixFieldsStartWithSeconds) {
  EXPECT_EQ(next("*/15 * * * * *", "2024-03-15 10:07:31"), "2024-03-15 10:07:45 UTC");
  EXPECT_EQ(next("*/15 * * * * *", "2024-03-15 10:07:45"), "2024-03-15 10:08:00 UTC");
  EXPECT_EQ(next("30 0 12 * * *", "2024-03-15 12:00:30"), "2024-03-16 12:00:30 UTC");
}

TEST_F(CronTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(next("0 0 1 JAN,jul *", "2024-03-15 00:00:00"), "2024-07-01 00:00:00 UTC");
  EXPECT_EQ(next("0 9 * * MON-FRI", "2024-03-16 08:00:00"), "2024-03-18 09:00:00 UTC");  // Saturday → Monday
  EXPECT_EQ(next("0 9 * * mon-Fri", "2024-03-18 09:00:00"), "2024-03-19 09:00:00 UTC");
  EXPECT_EQ(next("0 0 * Feb-Mar Sun", "2024-03-25 00:00:00"), "2024-03-31 00:00:00 UTC");
  EXPECT_EQ(next("0 0 * Feb-Mar Sun", "2024-03-31 00:00:00"), "2025-02-02 00:00:00 UTC");
}

TEST_F(CronTest, SundayIsZeroAndSeven) {
  EXPECT_EQ(next("0 0 * * 7", "2024-03-15 00:00:00"), "2024-03-17 00:00:00 UTC");
  EXPECT_EQ(next("0 0 * * 0", "2024-03-15 00:00:00"), "2024-03-17 00:00:00 UTC");
  EXPECT_EQ(next("0 0 * * 5-7", "2024-03-16 12:00:00"), "2024-03-17 00:00:00 UTC");
}

TEST_F(CronTest, BothDayFieldsRestrictedMatchEither) {
  // The 13th, or any Friday: from Friday 1 March the next is Friday 8, then Wednesday 13.
  EXPECT_EQ(next("0 0 13 * FRI", "2024-03-01 00:00:00"), "2024-03-08 00:00:00 UTC");
  EXPECT_EQ(next("0 0 13 * FRI", "2024-03-09 00:00:00"), "2024-03-13 00:00:00 UTC");
}

TEST_F(CronTest, AStarredDayFieldMeansBothMustMatch) {
  // As in Vixie cron: `*/2` counts as unrestricted, so odd days that are Mondays.
  EXPECT_EQ(next("0 0 */2 * MON", "2024-03-01 00:00:00"), "2024-03-11 00:00:00 UTC");
  EXPECT_EQ(next("0 0 * * MON", "2024-03-01 00:00:00"), "2024-03-04 00:00:00 UTC");
  EXPECT_EQ(next("0 0 1 * *", "2024-03-01 00:00:00"), "2024-04-01 00:00:00 UTC");
}

TEST_F(CronTest, MonthEndsLeapDaysAndYears) {
  EXPECT_EQ(next("0 0 31 * *", "2024-04-01 00:00:00"), "2024-05-31 00:00:00 UTC");
  EXPECT_EQ(next("0 0 29 2 *", "2024-03-01 00:00:00"), "2028-02-29 00:00:00 UTC");
  EXPECT_EQ(next("0 0 1 1 *", "2024-12-31 23:59:59"), "2025-01-01 00:00:00 UTC");
  EXPECT_EQ(next("59 23 31 12 *", "2024-12-31 23:59:00"), "2025-12-31 23:59:00 UTC");
}

TEST_F(CronTest, Macros) {
  EXPECT_EQ(next("@hourly", "2024-03-15 10:07:30"), "2024-03-15 11:00:00 UTC");
  EXPECT_EQ(next("@daily", "2024-03-15 10:07:30"), "2024-03-16 00:00:00 UTC");
  EXPECT_EQ(next("@midnight", "2024-03-15 10:07:30"), "2024-03-16 00:00:00 UTC");
  EXPECT_EQ(next("@weekly", "2024-03-15 10:07:30"), "2024-03-17 00:00:00 UTC");
  EXPECT_EQ(next("@monthly", "2024-03-15 10:07:30"), "2024-04-01 00:00:00 UTC");
  EXPECT_EQ(next("@yearly", "2024-03-15 10:07:30"), "2025-01-01 00:00:00 UTC");
  EXPECT_EQ(next("@ANNUALLY", "2024-03-15 10:07:30"), "2025-01-01 00:00:00 UTC");
  EXPECT_EQ(CronSchedule::parse("  @daily ").expression(), "@daily");
}

TEST_F(CronTest, ErrorsNameTheFieldAndValueOnOneLine) {
  EXPECT_EQ(error_of("*/0 * * * *"), "cron `*/0 * * * *`: minute step must be at least 1");
  EXPECT_EQ(error_of("60 * * * *"), "cron `60 * * * *`: minute `60` is out of range 0-59");
  EXPECT_EQ(error_of("0 24 * * *"), "cron `0 24 * * *`: hour `24` is out of range 0-23");
  EXPECT_EQ(error_of("0 0 0 * *"), "cron `0 0 0 * *`: day of month `0` is out of range 1-31");
  EXPECT_EQ(error_of("0 0 * 13 *"), "cron `0 0 * 13 *`: month `13` is out of range 1-12");
  EXPECT_EQ(error_of("* * * * 8"), "cron `* * * * 8`: day of week `8` is out of range 0-7");
  EXPECT_EQ(error_of("0 0 * FOO *"), "cron `0 0 * FOO *`: month `FOO` is not a number or a name (JAN…DEC)");
  EXPECT_EQ(error_of("x * * * *"), "cron `x * * * *`: minute `x` is not a number");
  EXPECT_EQ(error_of("5-1 * * * *"), "cron `5-1 * * * *`: minute range `5-1` runs backwards");
  EXPECT_EQ(error_of("1,,2 * * * *"), "cron `1,,2 * * * *`: minute `1,,2` has an empty list item");
  EXPECT_EQ(error_of("*/x * * * *"), "cron `*/x * * * *`: minute step `x` is not a number");
  EXPECT_EQ(error_of("60 * * * * *"), "cron `60 * * * * *`: second `60` is out of range 0-59");
  EXPECT_NE(error_of("* * * *").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(error_of("* * * * * * *").find("found 7"), std::string::npos);
  EXPECT_NE(error_of("").find("found 0"), std::string::npos);
  EXPECT_NE(error_of("@reboot").find("unknown macro"), std::string::npos);
  EXPECT_EQ(error_of("0 0 30 2 *"), "cron `0 0 30 2 *`: day of month never occurs in the months given");
  EXPECT_EQ(error_of("0 0 31 4,6 *"), "cron `0 0 31 4,6 *`: day of month never occurs in the months given");
  for (const char* bad : {"*/0 * * * *", "0 0 30 2 *", "* * * *"})
    EXPECT_EQ(error_of(bad).find('\n'), std::string::npos) << bad;
}

TEST_F(CronTest, ImpossibleDatesAreFineWhenTheWeekdayCanMatch) {
  // Restricted in both day fields: 30 February never comes, but Mondays in February do.
  EXPECT_EQ(next("0 0 30 2 MON", "2024-01-01 00:00:00"), "2024-02-05 00:00:00 UTC");
}

TEST_F(CronTest, ValidateOnlyParses) {
  EXPECT_NO_THROW(CronSchedule::validate("*/5 9-17 * * MON-FRI"));
  EXPECT_THROW(CronSchedule::validate("*/0 * * * *"), Error);
}

TEST_F(CronTest, SpringForwardSkipsTheMissingHour) {
  use_zone("EST5EDT,M3.2.0,M11.1.0");  // US Eastern without tzdata: 2024-03-10 02:00 → 03:00
  EXPECT_EQ(next("30 2 * * *", "2024-03-09 12:00:00"), "2024-03-11 02:30:00 EDT");
  EXPECT_EQ(next("0 * * * *", "2024-03-10 01:30:00"), "2024-03-10 03:00:00 EDT");
  auto from = at("2024-03-10 01:30:00");
  EXPECT_EQ(CronSchedule::parse("0 * * * *").next_after(from) - from, std::chrono::minutes(30));
}

TEST_F(CronTest, FallBackRepeatsTheHourOnce) {
  use_zone("EST5EDT,M3.2.0,M11.1.0");  // 2024-11-03 02:00 EDT → 01:00 EST
  auto s = CronSchedule::parse("0 * * * *");
  auto t = s.next_after(at("2024-11-03 00:30:00"));
  EXPECT_EQ(local(t), "2024-11-03 01:00:00 EDT");
  t = s.next_after(t);
  EXPECT_EQ(local(t), "2024-11-03 01:00:00 EST");
  t = s.next_after(t);
  EXPECT_EQ(local(t), "2024-11-03 02:00:00 EST");
}

// Found by fuzzing: the day after which the clocks went forward began at 01:00 (its midnight
// read with the old offset), so a run at midnight that Monday was skipped for the next one.
TEST_F(CronTest, MidnightAfterAChangeOfDaylightSavingTimeIsNotSkipped) {
  use_zone("CET-1CEST,M3.5.0,M10.5.0/3");  // 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 → 02:00
  EXPECT_EQ(next("0 0 * * MON", "2026-03-28 12:00:00"), "2026-03-30 00:00:00 CEST");
  EXPECT_EQ(next("* * * * MON", "2026-03-28 12:00:00"), "2026-03-30 00:00:00 CEST");
  EXPECT_EQ(next("0 0 1 4 *", "2026-03-28 12:00:00"), "2026-04-01 00:00:00 CEST");
  EXPECT_EQ(next("0 0 * * MON", "2026-10-24 12:00:00"), "2026-10-26 00:00:00 CET");
  EXPECT_EQ(next("0 0 1 11 *", "2026-10-24 12:00:00"), "2026-11-01 00:00:00 CET");
}

TEST_F(CronTest, NextAfterOnlyMovesForward) {
  use_zone("EST5EDT,M3.2.0,M11.1.0");
  for (const char* expr : {"*/7 * * * *", "13 */3 * * *", "0 0 * * 1,3,5", "*/20 * * * * *", "0 30 1,2 * * *"}) {
    auto s = CronSchedule::parse(expr);
    auto t = at("2024-03-09 00:00:00");
    for (int i = 0; i < 500; ++i) {
      auto n = s.next_after(t);
      ASSERT_GT(n, t) << expr << " after " << local(t);
      t = n;
    }
  }
}

}  // namespace
}  // namespace weir::pipeline
