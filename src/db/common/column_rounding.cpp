#include "db/common/column_rounding.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "weir/error.hpp"

namespace weir::db {
namespace {

// The places a number's text needs after the point to be exact (negative: that many of its
// last integer digits are zeros); nullopt for text that is not a plain or exponent-form
// number, or for zero (which needs none).
std::optional<long> places_needed(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  long integer_digits = 0, last_nonzero = -1, digits = 0;
  bool point = false, any = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    any = true;
    if (!point) ++integer_digits;
    if (c != '0') last_nonzero = digits;
    ++digits;
  }
  if (!any) return std::nullopt;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t from = i + 1 + (i + 1 < text.size() && text[i + 1] == '+' ? 1 : 0);
    auto [end, ec] = std::from_chars(text.data() + from, text.data() + text.size(), exponent);
    if (ec != std::errc{}) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
  }
  if (i != text.size() || last_nonzero < 0) return std::nullopt;
  return last_nonzero + 1 - (integer_digits + exponent);
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
