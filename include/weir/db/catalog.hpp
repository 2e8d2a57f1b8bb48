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

enum class TableKind { table, view, materialized_view, foreign_table };
std::string_view to_string(TableKind kind) noexcept;

// Which tables Catalog::tables() lists.
struct TableFilter {
  std::string schema;  // empty: every schema but the system's (MySQL: the connection's database)
  std::string like;    // a SQL LIKE pattern the name must match (% any run, _ one character); empty: any
};

// One line of a table listing: what the database knows without reading the table.
struct TableSummary {
  TableRef ref;  // schema always filled in ("main" on SQLite)
  TableKind kind = TableKind::table;
  std::optional<std::int64_t> row_estimate;  // the planner's estimate; none when the database keeps none
  std::optional<std::int64_t> size_bytes;    // on disk, indexes included
  // UTC, ISO 8601 ("2026-12-06T14:03:00Z"): MySQL's UPDATE_TIME, PostgreSQL's last (auto)vacuum or
  // analyze, a hint only; SQLite keeps none.
  std::optional<std::string> last_modified;
  bool operator==(const TableSummary&) const = default;
};

struct ForeignKey {
  std::string name;
  TableRef table;  // the referencing table
  std::vector<std::string> columns;
  TableRef referenced;
  std::vector<std::string> referenced_columns;
  std::string on_update = "NO ACTION";  // NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT
  std::string on_delete = "NO ACTION";
  bool operator==(const ForeignKey&) const = default;
};

// A unique or check constraint.
struct Constraint {
  std::string name;                  // empty where the database names none (an SQLite CHECK)
  std::vector<std::string> columns;  // unique constraints
  std::string definition;            // check constraints: the condition, as the database prints it
  bool operator==(const Constraint&) const = default;
};

struct Index {
  std::string name;
  std::vector<std::string> columns;  // an expression's text where a key part is one
  bool unique = false;
  bool primary = false;
  std::string method;     // btree, hash, gin …; empty where the database does not say
  std::string predicate;  // a partial index's WHERE condition; empty: none
  bool operator==(const Index&) const = default;
};

// What describe_table() leaves out: everything else a person asks of one table.
struct TableDetails {
  TableRef ref;  // schema filled in
  TableKind kind = TableKind::table;
  std::string comment;
  std::vector<std::optional<std::string>> defaults;  // per column of TableInfo::columns: the expression
  std::vector<std::string> comments;                 // per column; empty where none
  std::vector<ForeignKey> foreign_keys;              // this table's references to others
  std::vector<ForeignKey> referenced_by;             // other tables' (and its own) references to it
  std::vector<Constraint> unique_constraints;
  std::vector<Constraint> checks;
  std::vector<Index> indexes;
  std::optional<std::int64_t> size_bytes;
};

class Connection;

// A driver's catalog queries, for `weir tables`/`describe`/`connections` and the MCP tools.
// Stateless; each call runs its queries on the connection given (values bound, never spliced).
class Catalog {
 public:
  virtual ~Catalog() = default;
  // The server's version as it reports it ("15.4 (Debian 15.4-1)", "10.11.6-MariaDB", "3.40.1").
  virtual std::string server_version(Connection& connection) const = 0;
  // The tables (views, …) matching `filter`, ordered by schema and name.
  virtual std::vector<TableSummary> tables(Connection& connection, const TableFilter& filter) const = 0;
  // The details of `table`, which describe_table() found (its columns set the order of the
  // per-column vectors).
  virtual TableDetails details(Connection& connection, const TableInfo& table) const = 0;
};

}  // namespace weir::db
