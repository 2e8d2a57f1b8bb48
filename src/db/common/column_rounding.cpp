#include "db/common/column_rounding.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <string_view>

#include "weir/error.hpp"

namespace weir::db {
namespace {

// How a number's text is written, read in one pass without allocating (every numeric value a
// batch writes is read so): its sign, whether any digit is not zero, the digits after the
// point, the zeros after its last other digit, and the exponent. nullopt for text that is no
// number.
struct NumberShape {
  bool negative = false;
  bool nonzero = false;
  long fraction = 0;
  long trailing_zeros = 0;
  long exponent = 0;
  std::size_t mantissa_end = 0;  // where the digits and point end
};
std::optional<NumberShape> scan_number(std::string_view text) {
  NumberShape n;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) n.negative = text[i++] == '-';
  bool point = false, any = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    n.fraction += point;
    if (c == '0') {
      ++n.trailing_zeros;
    } else {
      n.nonzero = true;
      n.trailing_zeros = 0;
    }
  }
  if (!any) return std::nullopt;
  n.mantissa_end = i;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t from = i + 1 + (i + 1 < text.size() && text[i + 1] == '+' ? 1 : 0);
    auto [end, ec] = std::from_chars(text.data() + from, text.data() + text.size(), n.exponent);
    if (ec != std::errc{}) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
  }
  if (i != text.size()) return std::nullopt;
  return n;
}

// A number's text as its sign, its significant digits and the exponent of the last one
// ("-0.0120" is -, "12", -3); nullopt for text that is no number.
struct Digits {
  bool negative = false;
  std::string significant;
  long exponent = 0;
  bool operator==(const Digits&) const = default;
};
std::optional<Digits> digits_of(std::string_view text) {
  std::optional<NumberShape> n = scan_number(text);
  if (!n) return std::nullopt;
  if (!n->nonzero) return Digits{};  // zero, whatever its sign and scale
  Digits d{n->negative, {}, n->exponent - n->fraction + n->trailing_zeros};
  for (char c : text.substr(0, n->mantissa_end))
    if (std::isdigit(static_cast<unsigned char>(c)) && (c != '0' || !d.significant.empty())) d.significant += c;
  d.significant.resize(d.significant.size() - static_cast<std::size_t>(n->trailing_zeros));
  return d;
}

// The places a number's text needs after the point to be exact (negative: that many of its
// last integer digits are zeros); nullopt for zero, which needs none, and for no number.
std::optional<long> places_needed(std::string_view text) {
  std::optional<NumberShape> n = scan_number(text);
  if (!n || !n->nonzero) return std::nullopt;
  return n->fraction - n->trailing_zeros - n->exponent;
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
