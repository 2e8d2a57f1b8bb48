// CronSchedule — when a scheduled input polls next, from a cron expression.
//
// Accepts the classic five fields (minute hour day-of-month month day-of-week) or six with a
// leading seconds field, and the macros @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) and @hourly. Each field takes `*`, numbers, lists (`1,15`), ranges (`1-5`),
// steps (`*/5`, `1-30/2`, `10/15` = from 10 to the field's end) and, in the month and
// day-of-week fields, three-letter names (JAN…DEC, SUN…SAT, case-insensitive). Day of week
// runs 0-7 with both 0 and 7 meaning Sunday.
//
// Days follow Vixie cron (what Linux crontabs do): when both day fields are restricted — do
// not start with `*` — a day matches if either matches; otherwise both must match (so
// `*/2` in one of them counts as unrestricted, as in cronie).
//
// Times are evaluated in the process's local time zone (localtime_r/mktime, i.e. TZ). Around a
// daylight-saving change a wall-clock time that does not exist is skipped, and one that
// happens twice may fire twice. Immutable after parse(); safe to share between threads.
#pragma once

#include <bitset>
#include <chrono>
#include <string>
#include <string_view>

namespace weir::pipeline {

class CronSchedule {
 public:
  using Clock = std::chrono::system_clock;

  // Throws Error{config} with one line naming the expression, the field and the bad value,
  // e.g. "cron `*/0 * * * *`: minute step must be at least 1".
  static CronSchedule parse(std::string_view expression);
  // Parses and discards: for whole-file validation, cheap (no time computation).
  static void validate(std::string_view expression) { (void)parse(expression); }

  // The first matching second strictly after `t` (to the second; sub-second parts of `t`
  // are dropped). Throws Error{config} if nothing matches within the next nine years.
  Clock::time_point next_after(Clock::time_point t) const;

  const std::string& expression() const noexcept { return expression_; }

 private:
  CronSchedule() = default;
  bool day_matches(int day_of_month, int weekday) const noexcept;
  void check_reachable() const;

  std::string expression_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1-31
  std::bitset<13> months_;    // 1-12
  std::bitset<7> weekdays_;   // 0-6, Sunday = 0
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace weir::pipeline
