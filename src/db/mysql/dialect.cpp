#include "db/mysql/dialect.hpp"

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

}  // namespace weir::db::mysql
