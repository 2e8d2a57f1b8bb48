// What a database says about its tables: names, columns, keys, size estimates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/schema.hpp"

namespace weir::db {

// A possibly schema-qualified table name, as given in configuration ("sales.orders").
struct TableRef {
  std::string schema;  // empty: the connection's default schema / database
  std::string name;

  // Splits "schema.table" at the first dot; validates both parts (see validate_identifier).
  static TableRef parse(std::string_view text);
  std::string to_string() const { return schema.empty() ? name : schema + "." + name; }
  bool operator==(const TableRef&) const = default;
};

// Rejects identifiers that no quoting makes safe or sensible: empty, NUL or control
// characters, over 128 bytes. Throws Error{config} naming `what` ("table", "column").
void validate_identifier(std::string_view identifier, std::string_view what);

struct TableInfo {
  TableRef ref;
  std::vector<Column> columns;
  std::vector<std::string> primary_key;
  std::optional<std::int64_t> row_estimate;
};

}  // namespace weir::db
