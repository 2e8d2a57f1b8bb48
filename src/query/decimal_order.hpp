// Exact decimals in the embedded SQLite of `weir query`: remote decimals (numeric, decimal,
// MySQL's bigint unsigned) arrive as their exact text in DECIMAL_TEXT columns, which carry the
// `weir_decimal` collation, so they compare, sort, group and min/max by numeric value at any
// size (a REAL would round 18446744073709551615 and 0.1). sum() is replaced by an exact one.
#pragma once

#include <string_view>

struct sqlite3;

namespace weir::query {

// <0, 0, >0: numbers in numeric order (1.50 equals 1.5), before any text that is no number,
// which sorts by its bytes, as SQLite puts numbers before text.
int compare_decimal_text(std::string_view a, std::string_view b);

// Registers the weir_decimal collation and the exact sum() on `db`. sum() of integers is an
// integer (an overflow is an error, as SQLite's own); of any REAL, a REAL (SQLite's own sum);
// of decimal text, the exact sum, as a REAL when that REAL reads back as the same number (so
// ORDER BY sum(…) orders by value) and as its exact text otherwise.
void register_decimal_functions(sqlite3* db);

}  // namespace weir::query
