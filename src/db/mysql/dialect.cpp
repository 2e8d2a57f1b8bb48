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

// The key needs no clause: MySQL finds the conflict on any unique key of the table. A row that
// already held the values is left as it was, but its UPDATE triggers still fire: the bulk
// writer's upserts go through a stage instead (bulk_writer.cpp).
std::string MyDialect::upsert_clause(const TableRef&, std::span<const std::string> key,
                                     std::span<const std::string> update_columns) const {
  if (update_columns.empty()) return ignore_clause(key, key);
  std::string out = " ON DUPLICATE KEY UPDATE ";
  for (std::size_t i = 0; i < update_columns.size(); ++i) {
    if (i) out += ", ";
    std::string q = quote_identifier(update_columns[i]);
    out += q + " = VALUES(" + q + ")";
  }
  return out;
}

// A no-op update rather than INSERT IGNORE, which would turn every other error (NOT NULL, a
// value out of range) into a warning and a row silently changed or dropped.
std::string MyDialect::ignore_clause(std::span<const std::string> key, std::span<const std::string> columns) const {
  std::string k = quote_identifier(key.empty() ? columns.front() : key.front());
  return " ON DUPLICATE KEY UPDATE " + k + " = " + k;
}

// Compared as binary strings: both sides have the column's type, so they read alike exactly
// when they are the same value, whatever the collation ('a' <=> 'A' under utf8mb4_unicode_ci).
std::string MyDialect::differs(std::span<const std::string> columns, std::string_view row,
                               std::string_view other) const {
  std::string out = "NOT (";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::string q = quote_identifier(columns[i]);
    out += fmt::format("{}BINARY {}.{} <=> BINARY {}.{}", i ? " AND " : "", row, q, other, q);
  }
  return out + ")";
}

std::string MyDialect::column_type(const Column& column) const { return mysql::column_type(column); }
// MODIFY restates the whole column: what it does not repeat (NOT NULL) it drops.
std::string MyDialect::alter_column_type_sql(const TableRef& table, std::string_view column, std::string_view type,
                                             bool not_null) const {
  return fmt::format("ALTER TABLE {} MODIFY COLUMN {} {}{}", quote_table(table), quote_identifier(column), type,
                     not_null ? " NOT NULL" : "");
}

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
