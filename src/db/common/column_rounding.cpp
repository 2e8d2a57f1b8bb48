#include "db/common/column_rounding.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <string_view>

#include "weir/error.hpp"

namespace weir::db {
namespace {

// A number's text as its sign, its significant digits and the exponent of the last one
// ("-0.0120" is -, "12", -3); nullopt for text that is no number.
struct Digits {
  bool negative = false;
  std::string significant;
  long exponent = 0;
  bool operator==(const Digits&) const = default;
};
std::optional<Digits> digits_of(std::string_view text) {
  Digits d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) d.negative = text[i++] == '-';
  long fraction = 0;
  bool point = false, any = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    any = true;
    fraction += point;
    if (c != '0' || !d.significant.empty()) d.significant += c;
  }
  if (!any) return std::nullopt;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t from = i + 1 + (i + 1 < text.size() && text[i + 1] == '+' ? 1 : 0);
    auto [end, ec] = std::from_chars(text.data() + from, text.data() + text.size(), exponent);
    if (ec != std::errc{}) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
  }
  if (i != text.size()) return std::nullopt;
  d.exponent = exponent - fraction;
  while (!d.significant.empty() && d.significant.back() == '0') {
    d.significant.pop_back();
    ++d.exponent;
  }
  if (d.significant.empty()) return Digits{};  // zero, whatever its sign and scale
  return d;
}

// The places a number's text needs after the point to be exact (negative: that many of its
// last integer digits are zeros); nullopt for zero, which needs none, and for no number.
std::optional<long> places_needed(std::string_view text) {
  std::optional<Digits> d = digits_of(text);
  if (!d || d->significant.empty()) return std::nullopt;
  return -d->exponent;
}

}  // namespace

std::optional<ScaleLimit> scale_limit(const Column& column) {
  if (column.type != Type::decimal || column.precision <= 0) return std::nullopt;
  return ScaleLimit{column.scale, column.native_type};
}

ScaleLimits scale_limits(std::span<const Column> table, std::span<const std::string> columns) {
  ScaleLimits limits(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c)
    for (const Column& column : table)
      if (column.name == columns[c]) limits[c] = scale_limit(column);
  return limits;
}

bool is_number(std::string_view text) { return digits_of(text).has_value(); }

bool same_number(std::string_view a, std::string_view b) {
  std::optional<Digits> x = digits_of(a), y = digits_of(b);
  return x && y && *x == *y;
}

bool exceeds_scale(const Value& value, int scale) {
  std::optional<long> needed;
  switch (value.type()) {
    case Type::decimal: needed = places_needed(value.get<Decimal>().text); break;
    case Type::text: needed = places_needed(value.as_text()); break;
    case Type::float64:
    case Type::int64: needed = places_needed(value.to_text()); break;
    default: return false;
  }
  return needed && *needed > scale;
}

void check_scales(const Batch& batch, const ScaleLimits& limits, std::span<const std::string> columns) {
  for (std::size_t c = 0; c < limits.size() && c < batch.width(); ++c) {
    if (!limits[c]) continue;
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      const Value& v = batch.at(r, c);
      if (exceeds_scale(v, limits[c]->scale))
        throw Error(ErrorKind::data,
                    fmt::format("column `{}`, row {} of the batch: {} has more decimal places than {} keeps ({}); "
                                "it would be stored rounded",
                                columns[c], r + 1, v.to_text(), limits[c]->type, limits[c]->scale));
    }
  }
}

}  // namespace weir::db
