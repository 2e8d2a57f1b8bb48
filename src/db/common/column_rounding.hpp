// Values a target column would round. PostgreSQL's numeric(p,s) and MariaDB's DECIMAL(p,s)
// round the fractional digits beyond their scale without an error (MariaDB leaves only a
// note), and SQLite keeps a declared scale as a name only: 1.005 would be stored as 1.01, or
// kept beyond what the column says it holds. Every bulk writer rejects such a value instead,
// naming the column, before anything is sent (sql_write makes the row a dead letter).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/batch.hpp"
#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::db {

// The fractional digits a decimal column keeps, and its type as the database names it.
struct ScaleLimit {
  int scale = 0;
  std::string type;  // "numeric(5,2)"
};
// Per written column, in order; nullopt where the column does not round.
using ScaleLimits = std::vector<std::optional<ScaleLimit>>;

// The limit of `column` as described (Column::precision and scale): decimal columns that
// declare a precision.
std::optional<ScaleLimit> scale_limit(const Column& column);

// The limits of the `columns` written into a table whose columns are `table` (described by
// the catalog); nullopt for columns it does not have.
ScaleLimits scale_limits(std::span<const Column> table, std::span<const std::string> columns);

// Whether `value` — a decimal, a double, an integer or the text of a number — has a nonzero
// digit beyond `scale` fractional places (a negative scale counts places before the point).
// Values that are no number (NaN, words) are left to the database.
bool exceeds_scale(const Value& value, int scale);

// Whether `text` is a plain or exponent-form number ("-1.5", "2e3"; not "NaN", " 1", "0x10").
bool is_number(std::string_view text);
// Whether the texts `a` and `b` are numbers of the same value ("1.50" and "1.5e0"); false when
// either is no plain or exponent-form number.
bool same_number(std::string_view a, std::string_view b);

// Throws Error{data} naming the column and row of the first value of `batch` that exceeds its
// column's limit (`limits` has one entry per column of the batch, or none at all).
void check_scales(const Batch& batch, const ScaleLimits& limits, std::span<const std::string> columns);

}  // namespace weir::db
