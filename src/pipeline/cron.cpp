#include "pipeline/cron.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <vector>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One field's bounds and, for month and day of week, its names (names[i] means first_name + i).
struct FieldRule {
  std::string_view name;
  int min;
  int max;
  std::span<const std::string_view> names{};
  int first_name = 0;
};

constexpr FieldRule kSecond{"second", 0, 59};
constexpr FieldRule kMinute{"minute", 0, 59};
constexpr FieldRule kHour{"hour", 0, 23};
constexpr FieldRule kDayOfMonth{"day of month", 1, 31};
constexpr FieldRule kMonth{"month", 1, 12, kMonthNames, 1};
constexpr FieldRule kDayOfWeek{"day of week", 0, 7, kDayNames, 0};

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array kMacros{
    Macro{"@yearly", "0 0 1 1 *"},  Macro{"@annually", "0 0 1 1 *"}, Macro{"@monthly", "0 0 1 * *"},
    Macro{"@weekly", "0 0 * * 0"},  Macro{"@daily", "0 0 * * *"},    Macro{"@midnight", "0 0 * * *"},
    Macro{"@hourly", "0 * * * *"},
};

// Parses one field of one expression; every error names both.
class FieldParser {
 public:
  FieldParser(std::string_view expression, const FieldRule& rule) : expression_(expression), rule_(rule) {}

  // Bit i set when value i matches.
  std::uint64_t parse(std::string_view text) const {
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (true) {
      std::size_t comma = text.find(',', start);
      std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
      if (item.empty()) fail(fmt::format("`{}` has an empty list item", text));
      bits |= parse_item(item);
      if (comma == std::string_view::npos) return bits;
      start = comma + 1;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(ErrorKind::config, fmt::format("cron `{}`: {} {}", expression_, rule_.name, problem));
  }

  std::uint64_t parse_item(std::string_view item) const {
    int step = 1;
    bool stepped = false;
    if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      step = number(item.substr(slash + 1), "step");
      if (step < 1) fail("step must be at least 1");
      item = item.substr(0, slash);
      stepped = true;
    }
    int low = rule_.min, high = rule_.max;
    if (item != "*") {
      std::size_t dash = item.find('-', 1);
      low = value(item.substr(0, dash));
      if (dash != std::string_view::npos) high = value(item.substr(dash + 1));
      else if (!stepped) high = low;  // "10/15" runs from 10 to the field's end
      if (low > high) fail(fmt::format("range `{}` runs backwards", item));
    }
    std::uint64_t bits = 0;
    for (long v = low; v <= high; v += step) bits |= std::uint64_t{1} << v;
    return bits;
  }

  int number(std::string_view text, std::string_view what) const {
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      fail(fmt::format("{} `{}` is not a number", what, text));
    return v;
  }

  int value(std::string_view text) const {
    for (std::size_t i = 0; i < rule_.names.size(); ++i)
      if (iequals(text, rule_.names[i])) return rule_.first_name + static_cast<int>(i);
    if (text.empty() || !(text[0] >= '0' && text[0] <= '9')) {
      if (rule_.names.empty()) fail(fmt::format("`{}` is not a number", text));
      fail(fmt::format("`{}` is not a number or a name ({}…{})", text, rule_.names.front(), rule_.names.back()));
    }
    int v = number(text, "value");
    if (v < rule_.min || v > rule_.max) fail(fmt::format("`{}` is out of range {}-{}", v, rule_.min, rule_.max));
    return v;
  }

  std::string_view expression_;
  const FieldRule& rule_;
};

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

int days_in_month(int month) {  // the most it ever has: February counts 29
  constexpr std::array<int, 13> kDays{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[static_cast<std::size_t>(month)];
}

}  // namespace

CronSchedule CronSchedule::parse(std::string_view expression) {
  std::string_view text = trim(expression);
  CronSchedule s;
  s.expression_ = std::string(text);
  if (text.starts_with('@')) {
    auto it = std::find_if(kMacros.begin(), kMacros.end(), [&](const Macro& m) { return iequals(m.name, text); });
    if (it == kMacros.end())
      throw Error(ErrorKind::config,
                  fmt::format("cron `{}`: unknown macro (use @yearly, @monthly, @weekly, @daily or @hourly)", text));
    text = it->fields;
  }
  std::vector<std::string_view> fields = split_fields(text);
  if (fields.size() != 5 && fields.size() != 6)
    throw Error(ErrorKind::config,
                fmt::format("cron `{}`: expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
                            "(with leading seconds), found {}",
                            s.expression_, fields.size()));
  std::size_t f = 0;
  s.seconds_ = fields.size() == 6 ? FieldParser(s.expression_, kSecond).parse(fields[f++]) : 1;
  s.minutes_ = FieldParser(s.expression_, kMinute).parse(fields[f++]);
  s.hours_ = FieldParser(s.expression_, kHour).parse(fields[f++]);
  s.days_restricted_ = !fields[f].starts_with('*');
  s.days_ = FieldParser(s.expression_, kDayOfMonth).parse(fields[f++]);
  s.months_ = FieldParser(s.expression_, kMonth).parse(fields[f++]);
  s.weekdays_restricted_ = !fields[f].starts_with('*');
  std::uint64_t weekdays = FieldParser(s.expression_, kDayOfWeek).parse(fields[f]);
  s.weekdays_ = (weekdays | weekdays >> 7) & 0x7f;  // 7 is Sunday too
  s.check_reachable();
  return s;
}

// Only when both day fields must match can a valid-looking expression never fire
// (`0 0 30 2 *`); say so now rather than at the first poll.
void CronSchedule::check_reachable() const {
  if (days_restricted_ && weekdays_restricted_) return;
  for (int m = 1; m <= 12; ++m) {
    if (!months_[static_cast<std::size_t>(m)]) continue;
    for (int d = 1; d <= days_in_month(m); ++d)
      if (days_[static_cast<std::size_t>(d)]) return;
  }
  throw Error(ErrorKind::config,
              fmt::format("cron `{}`: day of month never occurs in the months given", expression_));
}

bool CronSchedule::day_matches(int day_of_month, int weekday) const noexcept {
  bool dom = days_[static_cast<std::size_t>(day_of_month)];
  bool dow = weekdays_[static_cast<std::size_t>(weekday)];
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  return dom && dow;
}

namespace {

// Re-reads `tm` after its fields were moved forward. The current tm_isdst is kept so mktime
// reads the new wall-clock fields with the offset they were computed in: each step then moves
// strictly forward in absolute time, even across a daylight-saving change.
void normalize(std::tm& tm) {
  std::time_t t = std::mktime(&tm);
  localtime_r(&t, &tm);
}

}  // namespace

CronSchedule::Clock::time_point CronSchedule::next_after(Clock::time_point t) const {
  std::time_t start = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t)) + 1;
  std::tm tm{};
  localtime_r(&start, &tm);
  const int last_year = tm.tm_year + 9;
  while (tm.tm_year <= last_year) {
    auto u = [](int v) { return static_cast<std::size_t>(v); };
    // Midnight of a later day may lie across a change of daylight-saving time: mktime works out
    // its offset (the old one would move it an hour, past a run at midnight). Within a
    // day the offset is kept, so the clock steps through a repeated hour in order.
    if (!months_[u(tm.tm_mon + 1)]) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      tm.tm_isdst = -1;
    } else if (!day_matches(tm.tm_mday, tm.tm_wday)) {
      tm.tm_mday += 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      tm.tm_isdst = -1;
    } else if (!hours_[u(tm.tm_hour)]) {
      tm.tm_hour += 1;
      tm.tm_min = tm.tm_sec = 0;
    } else if (!minutes_[u(tm.tm_min)]) {
      tm.tm_min += 1;
      tm.tm_sec = 0;
    } else if (!seconds_[u(tm.tm_sec)]) {
      tm.tm_sec += 1;
    } else {
      return Clock::from_time_t(std::mktime(&tm));
    }
    normalize(tm);
  }
  throw Error(ErrorKind::config, fmt::format("cron `{}`: no matching time in the next nine years", expression_));
}

}  // namespace weir::pipeline
