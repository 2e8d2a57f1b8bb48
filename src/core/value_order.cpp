#include "core/value_order.hpp"

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace weir {
namespace {

// A plain decimal numeral split into sign and significant digits.
struct Numeral {
  bool negative = false;
  std::string_view integer;   // no leading zeros
  std::string_view fraction;  // no trailing zeros
};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::optional<Numeral> parse_numeral(std::string_view s) {
  Numeral n;
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    n.negative = s[0] == '-';
    ++i;
  }
  std::size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  n.integer = s.substr(int_start, i - int_start);
  if (i < s.size() && s[i] == '.') {
    std::size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    n.fraction = s.substr(frac_start, i - frac_start);
  }
  if (i != s.size() || (n.integer.empty() && n.fraction.empty())) return std::nullopt;
  while (!n.integer.empty() && n.integer.front() == '0') n.integer.remove_prefix(1);
  while (!n.fraction.empty() && n.fraction.back() == '0') n.fraction.remove_suffix(1);
  if (n.integer.empty() && n.fraction.empty()) n.negative = false;  // -0 is 0
  return n;
}

int sign_of(int c) noexcept { return (c > 0) - (c < 0); }

int compare_magnitude(const Numeral& a, const Numeral& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() < b.integer.size() ? -1 : 1;
  if (int c = a.integer.compare(b.integer)) return sign_of(c);
  return sign_of(a.fraction.compare(b.fraction));  // trailing zeros are gone: longer is larger
}

enum class Kind { null, number, text, boolean, other };

Kind kind_of(const Value& v) noexcept {
  switch (v.type()) {
    case Type::null: return Kind::null;
    case Type::int64:
    case Type::float64:
    case Type::decimal: return Kind::number;
    case Type::text: return Kind::text;
    case Type::boolean: return Kind::boolean;
    default: return Kind::other;
  }
}

// The exact numeral of an int64, decimal or numeric text; nullopt for anything else.
std::optional<std::string> numeral_text(const Value& v) {
  if (const auto* i = v.get_if<std::int64_t>()) return std::to_string(*i);
  if (const auto* d = v.get_if<Decimal>()) return d->text;
  if (const auto* s = v.get_if<std::string>(); s && parse_numeral(*s)) return *s;
  return std::nullopt;
}

std::optional<int> compare_numbers(const Value& a, const Value& b) {
  if (a.type() == Type::int64 && b.type() == Type::int64) return sign_of((a.as_int() > b.as_int()) - (a.as_int() < b.as_int()));
  if (a.type() == Type::float64 || b.type() == Type::float64) {
    // Through double, as the float64 already is: "0.1" then equals the double 0.1.
    auto as_double = [](const Value& v) -> std::optional<double> {
      if (const auto* d = v.get_if<double>()) return *d;
      if (const auto* i = v.get_if<std::int64_t>()) return static_cast<double>(*i);
      if (auto text = numeral_text(v)) return std::strtod(text->c_str(), nullptr);
      return std::nullopt;
    };
    auto x = as_double(a), y = as_double(b);
    if (!x || !y || std::isnan(*x) || std::isnan(*y)) return std::nullopt;
    return (*x > *y) - (*x < *y);
  }
  auto x = numeral_text(a), y = numeral_text(b);
  if (!x || !y) return std::nullopt;
  return compare_decimal_text(*x, *y);
}

std::optional<int> compare_others(const Value& a, const Value& b) {
  auto three_way = [](auto x, auto y) { return (x > y) - (x < y); };
  if (a.type() == b.type()) {
    if (const auto* x = a.get_if<Date>()) return three_way(x->days, b.get<Date>().days);
    if (const auto* x = a.get_if<Time>()) return three_way(x->micros, b.get<Time>().micros);
    if (const auto* x = a.get_if<Timestamp>()) return three_way(x->micros, b.get<Timestamp>().micros);
    if (const auto* x = a.get_if<TimestampTz>()) return three_way(x->micros, b.get<TimestampTz>().micros);
  }
  return sign_of(a.to_text().compare(b.to_text()));
}

}  // namespace

std::optional<int> compare_decimal_text(std::string_view a, std::string_view b) {
  auto x = parse_numeral(a), y = parse_numeral(b);
  if (!x || !y) return std::nullopt;
  if (x->negative != y->negative) return x->negative ? -1 : 1;
  int magnitude = compare_magnitude(*x, *y);
  return x->negative ? -magnitude : magnitude;
}

std::optional<int> compare_values(const Value& a, const Value& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::null || kb == Kind::null) return std::nullopt;
  if (ka == Kind::number || kb == Kind::number) return compare_numbers(a, b);
  if (ka == Kind::boolean || kb == Kind::boolean) {
    if (ka != kb) return std::nullopt;
    return int(a.as_bool()) - int(b.as_bool());
  }
  if (ka == Kind::text && kb == Kind::text) return sign_of(a.as_text().compare(b.as_text()));
  return compare_others(a, b);
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  auto c = compare_values(a, b);
  return c && *c == 0;
}

std::string canonical_key(const Value& value) {
  switch (value.type()) {
    case Type::int64: return std::to_string(value.as_int());
    case Type::float64: {
      double d = value.as_double();
      if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return std::to_string(static_cast<std::int64_t>(d));
      return value.to_text();
    }
    case Type::decimal: {
      const std::string& text = value.get<Decimal>().text;
      auto n = parse_numeral(text);
      if (!n) return text;
      std::string out = n->negative ? "-" : "";
      out += n->integer.empty() ? "0" : std::string(n->integer);
      if (!n->fraction.empty()) out += "." + std::string(n->fraction);
      return out;
    }
    default: return value.to_text();
  }
}

}  // namespace weir
