#include "weir/temporal.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

namespace weir {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Reads exactly `n` digits at `pos`, advancing it.
bool read_digits(std::string_view s, std::size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

std::optional<Date> parse_date_at(std::string_view s, std::size_t& pos) {
  int y = 0, m = 0, d = 0;
  if (!read_digits(s, pos, 4, y) || !expect(s, pos, '-') || !read_digits(s, pos, 2, m) ||
      !expect(s, pos, '-') || !read_digits(s, pos, 2, d))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                  std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{days_from_civil(y, unsigned(m), unsigned(d))};
}

// "HH:MM[:SS[.ffffff]]"
std::optional<Time> parse_time_at(std::string_view s, std::size_t& pos) {
  int h = 0, mi = 0, sec = 0;
  if (!read_digits(s, pos, 2, h) || !expect(s, pos, ':') || !read_digits(s, pos, 2, mi))
    return std::nullopt;
  std::int64_t frac = 0;
  if (expect(s, pos, ':')) {
    if (!read_digits(s, pos, 2, sec)) return std::nullopt;
    if (expect(s, pos, '.')) {
      int digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) frac = frac * 10 + (s[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      for (int i = digits; i < 6; ++i) frac *= 10;
    }
  }
  if (h > 24 || mi > 59 || sec > 60) return std::nullopt;
  if (h == 24 && (mi || sec || frac)) return std::nullopt;  // 24:00:00 is the only time past 23:59
  return Time{((h * 60LL + mi) * 60 + sec) * kMicrosPerSecond + frac};
}

// Parses "Z", "+hh", "+hhmm", "+hh:mm" into seconds east of UTC.
std::optional<int> parse_zone_at(std::string_view s, std::size_t& pos) {
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) return 0;
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
  int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int h = 0, m = 0;
  if (!read_digits(s, pos, 2, h)) return std::nullopt;
  bool colon = expect(s, pos, ':');
  if (colon || pos < s.size()) {
    if (!read_digits(s, pos, 2, m)) return std::nullopt;
  }
  if (h > 15 || m > 59) return std::nullopt;
  return sign * (h * 3600 + m * 60);
}

constexpr std::int64_t kPowersOfTen[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

// Zero-padded decimal digits (at least `width`) written at `p`; returns their end. By hand into
// a buffer: dates and times are formatted once per cell of every exported or written row,
// where fmt's format-string parsing and appending a character at a time showed up in profiles
// (a timestamp cost the SQLite writer's thread about 900 instructions).
char* put_padded(char* p, std::int64_t value, int width) {
  if (width <= 6 && value >= 0 && value < kPowersOfTen[width]) {  // the usual field: exactly `width` digits
    for (int i = width - 1; i >= 0; --i, value /= 10) p[i] = static_cast<char>('0' + value % 10);
    return p + width;
  }
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = n; i < width; ++i) *p++ = '0';
  while (n > 0) *p++ = digits[--n];
  return p;
}

// ".25" for 250000 microseconds; nothing for none.
char* put_fraction(char* p, std::int64_t micros) {
  if (micros == 0) return p;
  *p++ = '.';
  char* end = put_padded(p, micros, 6);
  while (end > p && end[-1] == '0') --end;
  return end;
}

// Room for the longest text put_date and put_time write together.
constexpr std::size_t kTemporalBuffer = 64;

char* put_date(char* p, Date d) {
  int y = 0;
  unsigned m = 0, day = 0;
  civil_from_days(d.days, y, m, day);
  if (y < 0 || y > 9999) return fmt::format_to(p, "{:04d}-{:02d}-{:02d}", y, m, day);
  p = put_padded(p, y, 4);
  *p++ = '-';
  p = put_padded(p, m, 2);
  *p++ = '-';
  return put_padded(p, day, 2);
}

char* put_time(char* p, Time t) {
  std::int64_t secs = t.micros / kMicrosPerSecond;
  p = put_padded(p, secs / 3600, 2);
  *p++ = ':';
  p = put_padded(p, secs / 60 % 60, 2);
  *p++ = ':';
  p = put_padded(p, secs % 60, 2);
  return put_fraction(p, t.micros % kMicrosPerSecond);
}

std::string format_fraction(std::int64_t micros) {
  char buf[kTemporalBuffer];
  return std::string(buf, put_fraction(buf, micros));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

std::int32_t days_from_civil(int year, unsigned month, unsigned day) noexcept {
  using namespace std::chrono;
  return sys_days{year_month_day{std::chrono::year{year}, std::chrono::month{month},
                                 std::chrono::day{day}}}
      .time_since_epoch()
      .count();
}

void civil_from_days(std::int32_t days, int& year, unsigned& month, unsigned& day) noexcept {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  year = int(ymd.year());
  month = unsigned(ymd.month());
  day = unsigned(ymd.day());
}

void append_date(std::string& out, Date d) {
  char buf[kTemporalBuffer];
  out.append(buf, put_date(buf, d));
}

void append_time(std::string& out, Time t) {
  char buf[kTemporalBuffer];
  out.append(buf, put_time(buf, t));
}

void append_timestamp(std::string& out, Timestamp ts) {
  std::int64_t days = floor_div(ts.micros, kMicrosPerDay);
  char buf[kTemporalBuffer];
  char* p = put_date(buf, Date{static_cast<std::int32_t>(days)});
  *p++ = ' ';
  out.append(buf, put_time(p, Time{ts.micros - days * kMicrosPerDay}));
}

void append_timestamptz(std::string& out, TimestampTz ts) {
  append_timestamp(out, Timestamp{ts.micros});
  out += "+00:00";
}

void append_uuid(std::string& out, const Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[u.bytes[i] >> 4];
    out += kHex[u.bytes[i] & 15];
  }
}

std::string format_date(Date d) {
  std::string out;
  append_date(out, d);
  return out;
}

std::string format_time(Time t) {
  std::string out;
  append_time(out, t);
  return out;
}

std::string format_timestamp(Timestamp ts) {
  std::string out;
  out.reserve(26);
  append_timestamp(out, ts);
  return out;
}

std::string format_timestamptz(TimestampTz ts) {
  std::string out;
  out.reserve(32);
  append_timestamptz(out, ts);
  return out;
}

std::string format_interval(const Interval& iv) {
  std::string out = "P";
  if (iv.months / 12) out += fmt::format("{}Y", iv.months / 12);
  if (iv.months % 12) out += fmt::format("{}M", iv.months % 12);
  if (iv.days) out += fmt::format("{}D", iv.days);
  if (iv.micros) {
    // Unsigned: the magnitude of the int64 minimum (which a binary interval can carry) is no int64.
    auto magnitude = static_cast<std::uint64_t>(iv.micros);
    std::uint64_t abs = iv.micros < 0 ? 0 - magnitude : magnitude;
    const char* sign = iv.micros < 0 ? "-" : "";
    std::uint64_t secs = abs / kMicrosPerSecond;
    out += 'T';
    if (secs / 3600) out += fmt::format("{}{}H", sign, secs / 3600);
    if (secs / 60 % 60) out += fmt::format("{}{}M", sign, secs / 60 % 60);
    if (secs % 60 || abs % kMicrosPerSecond)
      out += fmt::format("{}{}{}S", sign, secs % 60,
                         format_fraction(static_cast<std::int64_t>(abs % kMicrosPerSecond)));
  }
  if (out == "P") out += "0D";
  return out;
}

std::string format_uuid(const Uuid& u) {
  std::string out;
  out.reserve(36);
  append_uuid(out, u);
  return out;
}

std::optional<Date> parse_date(std::string_view text) {
  std::size_t pos = 0;
  auto d = parse_date_at(text, pos);
  return pos == text.size() ? d : std::nullopt;
}

std::optional<Time> parse_time(std::string_view text) {
  std::size_t pos = 0;
  auto t = parse_time_at(text, pos);
  // A leap second with a fraction ("23:59:60.5") lies past 24:00:00, which no time of day
  // can hold (PostgreSQL refuses it too); in a timestamp it rolls into the next day instead.
  if (t && t->micros > kMicrosPerDay) return std::nullopt;
  return pos == text.size() ? t : std::nullopt;
}

namespace {
// Parses a date with an optional time; leaves pos at whatever follows (a zone, or the end).
std::optional<std::int64_t> parse_local_micros(std::string_view text, std::size_t& pos) {
  auto d = parse_date_at(text, pos);
  if (!d) return std::nullopt;
  std::int64_t micros = std::int64_t{d->days} * kMicrosPerDay;
  if (pos < text.size() && (text[pos] == ' ' || text[pos] == 'T' || text[pos] == 't')) {
    ++pos;
    auto t = parse_time_at(text, pos);
    if (!t) return std::nullopt;
    micros += t->micros;
  }
  return micros;
}
}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view text) {
  std::size_t pos = 0;
  auto micros = parse_local_micros(text, pos);
  if (!micros) return std::nullopt;
  if (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos < text.size() && !parse_zone_at(text, pos)) return std::nullopt;
  if (pos != text.size()) return std::nullopt;
  return Timestamp{*micros};
}

std::optional<TimestampTz> parse_timestamptz(std::string_view text) {
  std::size_t pos = 0;
  auto micros = parse_local_micros(text, pos);
  if (!micros) return std::nullopt;
  if (pos < text.size() && text[pos] == ' ') ++pos;
  int offset = 0;
  if (pos < text.size()) {
    auto zone = parse_zone_at(text, pos);
    if (!zone || pos != text.size()) return std::nullopt;
    offset = *zone;
  }
  return TimestampTz{*micros - offset * kMicrosPerSecond};
}

namespace {
// Adds value × factor to `field`; false when a step overflows or the sum does not fit the field.
template <class Field>
bool add_scaled(Field& field, std::int64_t value, std::int64_t factor) {
  std::int64_t scaled = 0, sum = 0;
  if (__builtin_mul_overflow(value, factor, &scaled) || __builtin_add_overflow(std::int64_t{field}, scaled, &sum) ||
      sum != static_cast<Field>(sum))
    return false;
  field = static_cast<Field>(sum);
  return true;
}
}  // namespace

// A number or a part past what an interval holds is no interval (nullopt), not a wrapped value.
std::optional<Interval> parse_interval(std::string_view text) {
  if (text.size() < 2 || text[0] != 'P') return std::nullopt;
  Interval iv;
  bool in_time = false;
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == 'T' && !in_time) {
      in_time = true;
      ++i;
      continue;
    }
    std::size_t start = i;
    if (text[i] == '-') ++i;
    std::int64_t whole = 0;
    std::size_t digits_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, text[i++] - '0', &whole))
        return std::nullopt;
    std::int64_t frac_micros = 0;
    if (i < text.size() && text[i] == '.') {
      int digits = 0;
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
        if (digits++ < 6) frac_micros = frac_micros * 10 + (text[i] - '0');
      for (; digits < 6; ++digits) frac_micros *= 10;
    }
    if (i == digits_start || i >= text.size()) return std::nullopt;
    std::int64_t sign = text[start] == '-' ? -1 : 1;
    char unit = text[i++];
    if (frac_micros && !(in_time && unit == 'S')) return std::nullopt;
    bool fits = false;
    if (!in_time && unit == 'Y') fits = add_scaled(iv.months, sign * whole, 12);
    else if (!in_time && unit == 'M') fits = add_scaled(iv.months, sign * whole, 1);
    else if (!in_time && unit == 'W') fits = add_scaled(iv.days, sign * whole, 7);
    else if (!in_time && unit == 'D') fits = add_scaled(iv.days, sign * whole, 1);
    else if (in_time && unit == 'H') fits = add_scaled(iv.micros, sign * whole, 3'600 * kMicrosPerSecond);
    else if (in_time && unit == 'M') fits = add_scaled(iv.micros, sign * whole, 60 * kMicrosPerSecond);
    else if (in_time && unit == 'S')
      fits = add_scaled(iv.micros, sign * whole, kMicrosPerSecond) && add_scaled(iv.micros, sign * frac_micros, 1);
    if (!fits) return std::nullopt;
  }
  return iv;
}

std::optional<Uuid> parse_uuid(std::string_view text) {
  Uuid u;
  std::size_t n = 0;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}')
    text = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') continue;
    int hi = nibble(text[i]);
    if (hi < 0 || i + 1 >= text.size() || n >= 16) return std::nullopt;
    int lo = nibble(text[++i]);
    if (lo < 0) return std::nullopt;
    u.bytes[n++] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (n != 16) return std::nullopt;
  return u;
}

TimestampTz timestamptz_now() noexcept {
  return TimestampTz{std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()};
}

}  // namespace weir
