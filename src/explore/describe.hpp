// One table, described whole: `weir describe`, and the MCP server's describe_remote_table.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weir/batch.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/driver.hpp"

namespace weir::explore {

struct ColumnDescription {
  Column column;  // name, native type, logical type, nullability
  std::optional<std::string> default_value;
  std::string comment;
  // The column type each other driver creates for it (db::Dialect::column_type), then DuckDB's.
  std::vector<std::pair<std::string, std::string>> equivalents;
};

struct TableDescription {
  std::string driver;  // the URL scheme of the connection: postgres, mysql, sqlite
  db::TableDetails details;
  std::vector<ColumnDescription> columns;
  std::vector<std::string> primary_key;
  std::optional<std::int64_t> row_estimate;
  Batch sample;  // the first rows, as the database returns them (schema set even when empty)
};

// Describes the table `name` ("table" or "schema.table", as the database spells it) with its
// first `sample_rows` rows. Throws Error{config} naming the table (and the closest existing
// one) when there is none.
TableDescription describe_table(db::Connection& connection, const db::Driver& driver, std::string_view name,
                                std::size_t sample_rows);

// DuckDB's name for the type that holds every value of `column` exactly ("DECIMAL(12,2)",
// "TIMESTAMPTZ", "INTEGER[]"); VARCHAR where DuckDB has none (a numeric beyond 38 digits).
std::string duckdb_type(const Column& column);

}  // namespace weir::explore
