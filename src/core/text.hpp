// Small text helpers shared by messages and config validation.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace weir {

bool iequals(std::string_view a, std::string_view b) noexcept;
std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s) noexcept;
// `sql` without trailing whitespace and semicolons, so that a clause can be appended.
std::string_view trim_statement_end(std::string_view sql) noexcept;

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// " (did you mean `x`?)" for the closest candidate within a small distance, else "".
std::string did_you_mean(std::string_view wrong, std::span<const std::string_view> candidates);

}  // namespace weir
