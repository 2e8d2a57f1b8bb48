// The remote tables a cross-database statement names, found with the SQL lexer (never a
// regular expression, so strings, quoted identifiers and comments are read as SQLite reads
// them), and the statement rewritten to read the virtual tables that stand for them.
//
// A remote table is a dotted name `connection.table` or `connection.schema.table` (parts bare or
// quoted) where SQLite expects a table: after FROM, JOIN, or a comma of a FROM list, in the
// statement or in any subquery. `main.t` and `temp.t` stay SQLite's own.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/db/catalog.hpp"

namespace weir::query {

struct TableName {
  std::string connection;
  db::TableRef table;
  std::size_t begin = 0;  // the name's bytes in the statement
  std::size_t end = 0;
  bool has_alias = false;
  // "pg.public.orders": the name as the statement wrote it, unquoted.
  std::string label() const;
};

// The remote tables of `sql`, in order of appearance. Throws Error{config} naming the name and
// its column for a dotted table name whose first part is no connection (`is_connection`), and
// for SQL the lexer cannot read (an unclosed string).
std::vector<TableName> find_remote_tables(std::string_view sql, const std::function<bool(std::string_view)>& is_connection);

// `sql` with each name replaced by `replacement(name)`, followed by ` AS "table"` where the
// statement gave no alias, so `orders.id` still names its columns.
std::string rewrite_tables(std::string_view sql, const std::vector<TableName>& names,
                           const std::function<std::string(const TableName&)>& replacement);

}  // namespace weir::query
