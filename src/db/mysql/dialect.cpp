#include "db/mysql/dialect.hpp"

#include <fmt/format.h>

#include "db/mysql/types.hpp"

namespace weir::db::mysql {

std::string MyDialect::quote_identifier(std::string_view identifier) const {
  std::string out = "`";
  for (char c : identifier) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
  return out;
}

// The key needs no clause: MySQL finds the conflict on any unique key of the table.
std::string MyDialect::upsert_clause(std::span<const std::string> key,
                                     std::span<const std::string> update_columns) const {
  std::string out = " ON DUPLICATE KEY UPDATE ";
  if (update_columns.empty()) {
    std::string k = quote_identifier(key.front());
    return out + k + " = " + k;  // insert-or-ignore without hiding other errors
  }
  for (std::size_t i = 0; i < update_columns.size(); ++i) {
    if (i) out += ", ";
    std::string q = quote_identifier(update_columns[i]);
    out += q + " = VALUES(" + q + ")";
  }
  return out;
}

std::string MyDialect::column_type(const Column& column) const { return mysql::column_type(column); }
std::optional<std::string> MyDialect::cannot_hold(const Column& column) const { return mysql::cannot_hold(column); }

// A TIMESTAMP reads in the session's zone, UTC in weir's sessions, as NOW() does; a DATETIME
// holds the wall time it was written in. CONVERT_TZ yields NULL for a zone the server does not
// know, which the caller's check turns into an error rather than a bound that matches nothing.
std::string MyDialect::clock_minus(Type column, std::string_view time_zone, std::chrono::microseconds lag,
                                   const Bind& bind) const {
  // `?` placeholders are positional: bound in the order they appear.
  std::string clock = "UTC_TIMESTAMP(6)";
  if (column != Type::timestamptz && time_zone != "UTC") {
    std::string zone = time_zone == "local" ? "@@global.time_zone" : bind(Value(std::string(time_zone)));
    clock = fmt::format("CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', {})", zone);
  }
  return fmt::format("({} - INTERVAL {} MICROSECOND)", clock, bind(Value(lag.count())));
}

}  // namespace weir::db::mysql
