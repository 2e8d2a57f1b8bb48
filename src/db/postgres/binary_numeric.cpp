#include "db/postgres/binary_numeric.hpp"

#include <algorithm>
#include <cstdint>

#include "core/text.hpp"
#include "db/postgres/wire_buffer.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::uint16_t kPositive = 0x0000;
constexpr std::uint16_t kNegative = 0x4000;
constexpr std::uint16_t kNaN = 0xC000;
constexpr std::uint16_t kPlusInfinity = 0xD000;
constexpr std::uint16_t kMinusInfinity = 0xF000;
constexpr int kMaxDscale = 0x3FFF;       // NUMERIC_DSCALE_MASK
constexpr int kMaxExponent = 1'000'000;  // far past what numeric holds; keeps the sums in int

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

void put_header(WireBuffer& out, int ndigits, int weight, std::uint16_t sign, int dscale) {
  char* p = out.extend(8);
  WireBuffer::store16(p, static_cast<std::uint16_t>(ndigits));
  WireBuffer::store16(p + 2, static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
  WireBuffer::store16(p + 4, sign);
  WireBuffer::store16(p + 6, static_cast<std::uint16_t>(dscale));
}

// The special values numeric_in recognises (the strings float8in accepts).
bool append_special(std::string_view s, WireBuffer& out) {
  std::uint16_t sign;
  if (iequals(s, "nan")) sign = kNaN;
  else if (iequals(s, "infinity") || iequals(s, "+infinity") || iequals(s, "inf") || iequals(s, "+inf")) sign = kPlusInfinity;
  else if (iequals(s, "-infinity") || iequals(s, "-inf")) sign = kMinusInfinity;
  else return false;
  put_header(out, 0, 0, sign, 0);
  return true;
}

int floor_div4(int v) { return v >= 0 ? v / 4 : -((-v + 3) / 4); }

// The digits of a decimal literal without its point: digit(k) for k in [0, count).
struct DigitRun {
  std::string_view integer, fraction;
  int count() const { return static_cast<int>(integer.size() + fraction.size()); }
  int digit(int k) const {
    auto i = static_cast<std::size_t>(k);
    return (i < integer.size() ? integer[i] : fraction[i - integer.size()]) - '0';
  }
};

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Reads "[eE][+-]digits" (or nothing) into `exponent`.
bool read_exponent(std::string_view s, int& exponent) {
  exponent = 0;
  if (s.empty()) return true;
  if (s[0] != 'e' && s[0] != 'E') return false;
  s.remove_prefix(1);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || !all_digits(s)) return false;
  for (char c : s) {
    exponent = exponent * 10 + (c - '0');
    if (exponent > kMaxExponent) return false;
  }
  if (negative) exponent = -exponent;
  return true;
}

}  // namespace

bool append_numeric(std::string_view text, WireBuffer& out) {
  std::string_view s = trim_blanks(text);
  if (s.empty()) return false;
  if (append_special(s, out)) return true;
  bool negative = s[0] == '-';
  if (s[0] == '-' || s[0] == '+') s.remove_prefix(1);
  std::size_t mantissa_end = s.find_first_of("eE");
  if (mantissa_end == std::string_view::npos) mantissa_end = s.size();
  std::string_view mantissa = s.substr(0, mantissa_end);
  std::size_t point = mantissa.find('.');
  DigitRun run{mantissa.substr(0, point), point == std::string_view::npos ? std::string_view{} : mantissa.substr(point + 1)};
  int exponent = 0;
  if (run.count() == 0 || !all_digits(run.integer) || !all_digits(run.fraction) ||
      !read_exponent(s.substr(mantissa_end), exponent))
    return false;

  // Digit k stands for 10^(point_at - 1 - k).
  const int count = run.count();
  const int point_at = static_cast<int>(run.integer.size()) + exponent;
  const int dscale = std::max(0, count - point_at);
  if (dscale > kMaxDscale) return false;
  int first = 0, last = count - 1;
  while (first < count && run.digit(first) == 0) ++first;
  if (first == count) {  // zero keeps its display scale: 0.00
    put_header(out, 0, 0, kPositive, dscale);
    return true;
  }
  while (run.digit(last) == 0) --last;
  const int weight = floor_div4(point_at - 1 - first);
  const int bottom = floor_div4(point_at - 1 - last);
  if (weight > INT16_MAX || bottom < INT16_MIN) return false;
  const int ndigits = weight - bottom + 1;
  put_header(out, ndigits, weight, negative ? kNegative : kPositive, dscale);
  char* p = out.extend(2 * static_cast<std::size_t>(ndigits));
  for (int group = weight; group >= bottom; --group, p += 2) {
    int value = 0;
    for (int place = 4 * group + 3; place >= 4 * group; --place) {
      int k = point_at - 1 - place;
      value = value * 10 + (k >= first && k <= last ? run.digit(k) : 0);
    }
    WireBuffer::store16(p, static_cast<std::uint16_t>(value));
  }
  return true;
}

bool numeric_text(std::string_view field, std::string& out) {
  out.clear();
  if (field.size() < 8) return false;
  const int ndigits = load16(field.data());
  const int weight = static_cast<std::int16_t>(load16(field.data() + 2));
  const std::uint16_t sign = load16(field.data() + 4);
  const int dscale = load16(field.data() + 6);
  if (field.size() != 8 + 2 * static_cast<std::size_t>(ndigits)) return false;
  for (int k = 0; k < ndigits; ++k)
    if (load16(field.data() + 8 + 2 * k) > 9999) return false;
  switch (sign) {
    case kNaN: out = "NaN"; return true;
    case kPlusInfinity: out = "Infinity"; return true;
    case kMinusInfinity: out = "-Infinity"; return true;
    case kNegative:
    case kPositive: break;
    default: return false;
  }
  if (dscale > kMaxDscale) return false;  // numeric_recv refuses it too
  auto digit = [&](int k) -> int { return k < 0 || k >= ndigits ? 0 : load16(field.data() + 8 + 2 * k); };
  char group[4];
  auto split = [&](int d) {
    for (int i = 3; i >= 0; --i, d /= 10) group[i] = static_cast<char>('0' + d % 10);
  };
  // numeric_recv takes leading zero groups and digits past dscale, and prints the value as
  // numeric_out would after stripping them: no leading zeros, and zero is never negative.
  for (int k = 0; k <= weight; ++k) {
    split(digit(k));
    out.append(group, 4);
  }
  out.erase(0, std::min(out.find_first_not_of('0'), out.size()));
  if (out.empty()) out = "0";
  if (dscale > 0) {
    out += '.';
    std::size_t end = out.size() + static_cast<std::size_t>(dscale);
    for (int k = weight + 1, written = 0; written < dscale; ++k, written += 4) {
      split(digit(k));
      out.append(group, 4);
    }
    out.resize(end);
  }
  if (sign == kNegative && out.find_first_not_of("0.") != std::string::npos) out.insert(0, 1, '-');
  return true;
}

}  // namespace weir::db::postgres
