#include "modules/output/refused_column.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace weir::modules {
namespace {

std::size_t characters(std::string_view utf8) {
  return static_cast<std::size_t>(
      std::ranges::count_if(utf8, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The digits before the point of a number's text ("-0012.50" → 2); nullopt for no number.
std::optional<int> integer_digits(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  const std::size_t point = std::min(text.find('.'), text.size());
  std::string_view whole = text.substr(0, point);
  if (whole.empty() || !std::ranges::all_of(whole, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  whole.remove_prefix(std::min(whole.find_first_not_of('0'), whole.size()));
  return static_cast<int>(whole.size());
}

// Whether integer `v` fits `bits` (one more than a power of two: unsigned, as Column::bits says).
bool fits_bits(std::int64_t v, int bits) {
  if (bits <= 0 || bits >= 64) return true;
  if (bits % 2 == 1) return v >= 0 && (bits - 1 >= 63 || v < (std::int64_t{1} << (bits - 1)));
  const std::int64_t limit = std::int64_t{1} << (bits - 1);
  return v >= -limit && v < limit;
}

std::optional<std::string> refusal(const Column& column, const Value& value) {
  const std::string type = column.native_type.empty() ? std::string(to_string(column.type)) : column.native_type;
  if (value.is_null())
    return column.nullable ? std::nullopt
                           : std::optional(fmt::format("column `{}` ({}, NOT NULL) cannot hold NULL", column.name, type));
  if (column.length > 0 && value.type() == Type::text) {
    const std::size_t n = characters(value.as_text());
    if (n > static_cast<std::size_t>(column.length))
      return fmt::format("column `{}` ({}) cannot hold a text of {} characters", column.name, type, n);
  }
  if (column.bits > 0 && value.type() == Type::int64 && !fits_bits(value.as_int(), column.bits))
    return fmt::format("column `{}` ({}) cannot hold {}: out of its range", column.name, type, value.as_int());
  const bool number = value.type() == Type::decimal || value.type() == Type::int64 || value.type() == Type::float64;
  if (column.precision > 0 && number) {
    auto digits = integer_digits(value.to_text());
    const int most = column.precision - std::max(column.scale, 0);
    if (digits && *digits > most)
      return fmt::format("column `{}` ({}) cannot hold {}: at most {} digit{} before the point", column.name, type,
                         value.to_text(), most, most == 1 ? "" : "s");
  }
  return std::nullopt;
}

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Whether `text` holds `word` as a whole identifier (any case: a catalog may print it otherwise).
bool names_word(std::string_view text, std::string_view word) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t at = 0; at + word.size() <= text.size(); ++at) {
    if (!std::equal(word.begin(), word.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
                    [&](char a, char b) { return lower(a) == lower(b); }))
      continue;
    const bool starts = at == 0 || !identifier_char(text[at - 1]);
    const bool ends = at + word.size() == text.size() || !identifier_char(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

std::optional<Refusal> refused_column(std::span<const Column> table, std::span<const std::string> names,
                                      std::span<const Value> values) {
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    auto column = std::ranges::find_if(table, [&](const Column& c) { return c.name == names[i]; });
    if (column == table.end()) continue;
    if (auto why = refusal(*column, values[i])) return Refusal{column->name, std::move(*why)};
  }
  return std::nullopt;
}

std::optional<Refusal> refused_check(std::string_view message, std::span<const db::Constraint> checks,
                                     std::span<const std::string> names, std::span<const Value> values) {
  for (const db::Constraint& check : checks) {
    if (check.name.empty() || !names_word(message, check.name)) continue;
    Refusal refusal;
    std::string columns;
    int count = 0;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
      if (names[i].empty() || !names_word(check.definition, names[i])) continue;
      if (refusal.column.empty()) refusal.column = names[i];
      columns += fmt::format("{}`{}` = ", count++ ? ", " : "", names[i]);
      values[i].append_json(columns);
    }
    if (count == 0) return std::nullopt;
    refusal.why = fmt::format("check `{}` ({}) refuses column{} {}", check.name, check.definition,
                              count == 1 ? "" : "s", columns);
    return refusal;
  }
  return std::nullopt;
}

std::vector<db::Constraint> checks_of(db::Connection& connection, const db::ConnectionConfig& config,
                                      const db::TableInfo& table) {
  try {
    return db::Registry::builtin().for_scheme(config.url.scheme).catalog().details(connection, table).checks;
  } catch (const Error&) {
    return {};  // the catalog is only asked to name a column in a message
  }
}

void name_refused_column(Error& e, std::span<const Column> table, std::span<const db::Constraint> checks,
                         std::span<const std::string> names, std::span<const Value> values) {
  auto refused = e.kind() == ErrorKind::check ? refused_check(e.what(), checks, names, values)
                                              : refused_column(table, names, values);
  if (refused && !names_column(e.what(), refused->column)) e.add_context(refused->why);
}

bool names_column(std::string_view message, std::string_view name) {
  for (std::size_t at = message.find(name); at != std::string_view::npos; at = message.find(name, at + 1)) {
    const char before = at ? message[at - 1] : ' ';
    const std::size_t end = at + name.size();
    const char after = end < message.size() ? message[end] : ' ';
    if (std::string_view("'\"`.").find(before) != std::string_view::npos && !identifier_char(after)) return true;
    if (message.substr(0, at).ends_with("column ") && !identifier_char(after)) return true;
  }
  return false;
}

}  // namespace weir::modules
