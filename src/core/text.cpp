#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace weir {

namespace {
char lower(char c) noexcept { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view wrong, std::span<const std::string_view> candidates) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(2, wrong.size() / 3) + 1;
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(wrong, c);
    // A suggestion must keep something of the original: "to" is not a typo of "id".
    if (d >= std::min(wrong.size(), c.size())) continue;
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best.empty()) return {};
  return " (did you mean `" + std::string(best) + "`?)";
}

std::string_view trim_statement_end(std::string_view sql) noexcept {
  while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back()))))
    sql.remove_suffix(1);
  return sql;
}

}  // namespace weir
