#include "weir/db/dialect.hpp"

#include <fmt/format.h>

namespace weir::db {

std::string Dialect::quote_identifier(std::string_view identifier) const {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Dialect::upsert_clause(const TableRef& table, std::span<const std::string> key,
                                   std::span<const std::string> update_columns) const {
  std::string out = " ON CONFLICT (" + quote_identifiers(key) + ")";
  if (update_columns.empty()) return out + " DO NOTHING";
  out += " DO UPDATE SET ";
  for (std::size_t i = 0; i < update_columns.size(); ++i) {
    if (i) out += ", ";
    std::string q = quote_identifier(update_columns[i]);
    out += q + " = excluded." + q;
  }
  return out + " WHERE " + differs(update_columns, quote_table(table), "excluded");
}

std::string Dialect::alter_column_type_sql(const TableRef& table, std::string_view column, std::string_view type,
                                           bool) const {
  return fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", quote_table(table), quote_identifier(column), type);
}

std::string Dialect::ignore_clause(std::span<const std::string> key, std::span<const std::string>) const {
  return key.empty() ? " ON CONFLICT DO NOTHING" : " ON CONFLICT (" + quote_identifiers(key) + ") DO NOTHING";
}

// SQLite's `IS NOT` is null-safe, and its `IS DISTINCT FROM` newer than some builds.
std::string Dialect::differs(std::span<const std::string> columns, std::string_view row, std::string_view other) const {
  std::string out = "(";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::string q = quote_identifier(columns[i]);
    out += fmt::format("{}{}.{} IS NOT {}.{}", i ? " OR " : "", row, q, other, q);
  }
  return out + ")";
}

std::string Dialect::quote_identifiers(std::span<const std::string> identifiers) const {
  std::string out;
  for (const std::string& identifier : identifiers) out += (out.empty() ? "" : ", ") + quote_identifier(identifier);
  return out;
}

std::string Dialect::quote_table(const TableRef& table) const {
  if (table.schema.empty()) return quote_identifier(table.name);
  return quote_identifier(table.schema) + "." + quote_identifier(table.name);
}

}  // namespace weir::db
