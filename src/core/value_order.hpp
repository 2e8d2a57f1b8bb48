// How filters compare values: `when:` conditions, and matching a batched lookup's rows back
// to the keys that asked for them.
//
// Numbers compare by value whatever their type (int64, float64, decimal text; exact unless a
// float64 is involved), and a string that is a plain decimal numeral ("12.50", which is how a
// decimal travels inside JSON) compares as that number. Strings compare bytewise. Temporal,
// uuid and json values compare with each other and with strings through their canonical
// text (ISO-8601 sorts correctly). Booleans compare with booleans. NULL is not ordered.
#pragma once

#include <optional>
#include <string>

#include "weir/value.hpp"

namespace weir {

// <0, 0 or >0; nullopt when either is NULL or the two cannot be compared (a number and a
// word, a boolean and a number, a NaN).
std::optional<int> compare_values(const Value& a, const Value& b);

// Equality as conditions see it: NULL equals only NULL; incomparable values are unequal.
bool values_equal(const Value& a, const Value& b);

// A text form under which values a database considers the same key coincide: numbers of
// any type become one normalised numeral ("42" for 42, 42.0 and "42.00"), everything else
// its canonical text. Distinct types may share a form (42 and "42"); that is intended.
std::string canonical_key(const Value& value);

// Exact comparison of two plain decimal numerals ("-12.50", "3"); nullopt if either is not
// one (no exponent, no spaces).
std::optional<int> compare_decimal_text(std::string_view a, std::string_view b);

}  // namespace weir
