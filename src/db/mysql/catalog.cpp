#include "db/mysql/catalog.hpp"

#include "core/text.hpp"
#include "db/common/catalog_rows.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::db::mysql {
namespace {

// The session runs in UTC (options.cpp), so UPDATE_TIME reads in UTC. TABLE_ROWS is InnoDB's
// estimate; sequences (MariaDB) are not tables to list.
constexpr std::string_view kTables = R"(
SELECT table_schema, table_name, table_type, table_rows, data_length + index_length,
       DATE_FORMAT(update_time, '%Y-%m-%dT%H:%i:%sZ')
FROM information_schema.tables
WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND (? = '' OR table_name LIKE ?)
  AND table_type IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
ORDER BY table_schema, table_name)";

constexpr std::string_view kTable = R"(
SELECT table_schema, table_name, table_type, table_comment, data_length + index_length
FROM information_schema.tables WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ?)";

constexpr std::string_view kColumns = R"(
SELECT column_default, column_comment, extra, generation_expression
FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position)";

// Foreign keys of the table, and of other tables referencing it, one row per column.
constexpr std::string_view kForeignKeys = R"(
SELECT k.constraint_name, k.table_schema, k.table_name, k.column_name, k.referenced_table_schema,
       k.referenced_table_name, k.referenced_column_name, r.update_rule, r.delete_rule
FROM information_schema.key_column_usage k
JOIN information_schema.referential_constraints r
  ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
WHERE k.referenced_table_name IS NOT NULL
  AND ((k.table_schema = ? AND k.table_name = ?) OR (k.referenced_table_schema = ? AND k.referenced_table_name = ?))
ORDER BY k.constraint_name, k.table_schema, k.table_name, k.ordinal_position)";

constexpr std::string_view kUniques = R"(
SELECT t.constraint_name, k.column_name
FROM information_schema.table_constraints t
JOIN information_schema.key_column_usage k ON k.constraint_schema = t.constraint_schema
  AND k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema AND k.table_name = t.table_name
WHERE t.constraint_type = 'UNIQUE' AND t.table_schema = ? AND t.table_name = ?
ORDER BY t.constraint_name, k.ordinal_position)";

// MariaDB names the table of a check constraint (a column's CHECK is named after the column).
// The json_valid() check MariaDB adds to a JSON column is the column's type, not a constraint.
constexpr std::string_view kChecks = R"(
SELECT constraint_name, check_clause FROM information_schema.check_constraints
WHERE constraint_schema = ? AND table_name = ?
  AND check_clause <> CONCAT('json_valid(`', REPLACE(constraint_name, '`', '``'), '`)')
ORDER BY constraint_name)";

constexpr std::string_view kIndexes = R"(
SELECT index_name, non_unique, COALESCE(column_name, ''), index_type, sub_part
FROM information_schema.statistics WHERE table_schema = ? AND table_name = ?
ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index)";

TableKind kind_of(std::string_view table_type) {
  return table_type == "VIEW" ? TableKind::view : TableKind::table;
}

void read_foreign_keys(Connection& connection, std::span<const Value> table, TableDetails& out) {
  std::vector<Value> params{table[0], table[1], table[0], table[1]};
  ForeignKey* key = nullptr;
  std::vector<ForeignKey> keys;
  for (const Row& row : fetch_rows(connection, kForeignKeys, params)) {
    TableRef from{text_of(row[1]), text_of(row[2])};
    if (!key || key->name != text_of(row[0]) || key->table != from) {
      keys.push_back(ForeignKey{text_of(row[0]), from, {}, TableRef{text_of(row[4]), text_of(row[5])}, {},
                                foreign_key_action(text_of(row[7])), foreign_key_action(text_of(row[8]))});
      key = &keys.back();
    }
    key->columns.push_back(text_of(row[3]));
    key->referenced_columns.push_back(text_of(row[6]));
  }
  for (ForeignKey& k : keys) {
    if (k.referenced == out.ref) out.referenced_by.push_back(k);
    if (k.table == out.ref) out.foreign_keys.push_back(std::move(k));
  }
}

void read_indexes(Connection& connection, std::span<const Value> table, TableDetails& out) {
  for (const Row& row : fetch_rows(connection, kIndexes, table)) {
    std::string name = text_of(row[0]);
    if (out.indexes.empty() || out.indexes.back().name != name)
      out.indexes.push_back(Index{name, {}, text_of(row[1]) == "0", name == "PRIMARY", to_lower(text_of(row[3])), {}});
    std::string column = text_of(row[2]);
    if (!row[4].is_null()) column += "(" + text_of(row[4]) + ")";  // a prefix index
    out.indexes.back().columns.push_back(column);
  }
}

}  // namespace

std::string MyCatalog::server_version(Connection& connection) const {
  return text_of(fetch_rows(connection, "SELECT VERSION()").at(0).at(0));
}

std::vector<TableSummary> MyCatalog::tables(Connection& connection, const TableFilter& filter) const {
  std::vector<Value> params{Value(filter.schema), Value(filter.like), Value(filter.like)};
  std::vector<TableSummary> out;
  for (const Row& row : fetch_rows(connection, kTables, params)) {
    TableKind kind = kind_of(text_of(row[2]));
    bool table = kind == TableKind::table;
    out.push_back(TableSummary{TableRef{text_of(row[0]), text_of(row[1])}, kind,
                               table ? optional_int(row[3]) : std::nullopt,
                               table ? optional_int(row[4]) : std::nullopt, optional_text(row[5])});
  }
  return out;
}

TableDetails MyCatalog::details(Connection& connection, const TableInfo& info) const {
  std::vector<Row> rows = fetch_rows(connection, kTable, std::vector<Value>{Value(info.ref.schema), Value(info.ref.name)});
  if (rows.empty()) throw Error(ErrorKind::config, "table `" + info.ref.to_string() + "` does not exist");
  TableDetails out;
  out.ref = TableRef{text_of(rows[0][0]), text_of(rows[0][1])};
  out.kind = kind_of(text_of(rows[0][2]));
  out.comment = out.kind == TableKind::view ? "" : text_of(rows[0][3]);
  if (out.kind == TableKind::table) out.size_bytes = optional_int(rows[0][4]);
  std::vector<Value> table{Value(out.ref.schema), Value(out.ref.name)};
  for (const Row& row : fetch_rows(connection, kColumns, table)) {
    std::optional<std::string> expression = optional_text(row[0]);
    if (expression == "NULL") expression.reset();  // MariaDB's way of saying DEFAULT NULL, as no default
    std::string generated = text_of(row[3]);
    if (!generated.empty()) expression = "GENERATED ALWAYS AS (" + generated + ")";
    else if (text_of(row[2]).find("auto_increment") != std::string::npos) expression = "AUTO_INCREMENT";
    out.defaults.push_back(std::move(expression));
    out.comments.push_back(text_of(row[1]));
  }
  read_foreign_keys(connection, table, out);
  for (const Row& row : fetch_rows(connection, kUniques, table)) {
    if (out.unique_constraints.empty() || out.unique_constraints.back().name != text_of(row[0]))
      out.unique_constraints.push_back(Constraint{text_of(row[0]), {}, {}});
    out.unique_constraints.back().columns.push_back(text_of(row[1]));
  }
  for (const Row& row : fetch_rows(connection, kChecks, table))
    out.checks.push_back(Constraint{text_of(row[0]), {}, text_of(row[1])});
  read_indexes(connection, table, out);
  return out;
}

}  // namespace weir::db::mysql
