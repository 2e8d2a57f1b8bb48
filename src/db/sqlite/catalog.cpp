#include "db/sqlite/catalog.hpp"

#include <fmt/format.h>

#include <map>

#include "core/text.hpp"
#include "db/common/catalog_rows.hpp"
#include "db/common/sql_lexer.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::db::sqlite {
namespace {

constexpr std::string_view kTables = R"(
SELECT schema, name, type FROM pragma_table_list
WHERE type IN ('table', 'view', 'virtual') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND (?1 = '' AND schema <> 'temp' OR schema = ?1) AND (?2 = '' OR name LIKE ?2)
ORDER BY schema, name)";

TableKind kind_of(std::string_view type) { return type == "view" ? TableKind::view : TableKind::table; }

std::string schema_of(const TableRef& ref) { return ref.schema.empty() ? "main" : ref.schema; }

// The row counts ANALYZE left in sqlite_stat1 (the first number of each table's stat), if any.
std::map<std::string, std::int64_t, std::less<>> analyzed_rows(Connection& connection, const Dialect& dialect,
                                                               const std::string& schema) {
  std::map<std::string, std::int64_t, std::less<>> out;
  std::string q = dialect.quote_identifier(schema);
  std::vector<Value> name{Value("sqlite_stat1")};
  if (fetch_rows(connection, fmt::format("SELECT 1 FROM {}.sqlite_schema WHERE name = ?1", q), name).empty()) return out;
  for (const Row& row :
       fetch_rows(connection, fmt::format("SELECT tbl, max(CAST(stat AS INTEGER)) FROM {}.sqlite_stat1 GROUP BY tbl", q)))
    if (auto n = optional_int(row[1])) out.emplace(text_of(row[0]), *n);
  return out;
}

// The columns of the referenced table's primary key: what a foreign key naming no columns means.
std::vector<std::string> primary_key_of(Connection& connection, const std::string& schema, const std::string& table) {
  std::vector<Value> params{Value(table), Value(schema)};
  std::vector<std::string> out;
  for (const Row& row : fetch_rows(connection, "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk", params))
    out.push_back(text_of(row[0]));
  return out;
}

// Rows of (referencing table, id, seq, from, to, on_update, on_delete, referenced table) into keys.
std::vector<ForeignKey> group_keys(Connection& connection, const std::string& schema, const std::vector<Row>& rows) {
  std::vector<ForeignKey> keys;
  std::string last;
  for (const Row& row : rows) {
    std::string id = text_of(row[0]) + "/" + text_of(row[1]);
    if (keys.empty() || id != last)
      keys.push_back(ForeignKey{{}, TableRef{schema, text_of(row[0])}, {}, TableRef{schema, text_of(row[7])}, {},
                                foreign_key_action(text_of(row[5])), foreign_key_action(text_of(row[6]))});
    last = id;
    keys.back().columns.push_back(text_of(row[3]));
    if (!row[4].is_null()) keys.back().referenced_columns.push_back(text_of(row[4]));
  }
  for (ForeignKey& key : keys)
    if (key.referenced_columns.empty()) key.referenced_columns = primary_key_of(connection, schema, key.referenced.name);
  return keys;
}

void read_foreign_keys(Connection& connection, const std::string& schema, TableDetails& out) {
  std::vector<Value> params{Value(out.ref.name), Value(schema)};
  out.foreign_keys = group_keys(
      connection, schema,
      fetch_rows(connection,
                 "SELECT ?1, id, seq, \"from\", \"to\", on_update, on_delete, \"table\" "
                 "FROM pragma_foreign_key_list(?1, ?2) ORDER BY id, seq",
                 params));
  std::string q = connection.dialect().quote_identifier(schema);
  out.referenced_by = group_keys(
      connection, schema,
      fetch_rows(connection,
                 fmt::format("SELECT m.name, f.id, f.seq, f.\"from\", f.\"to\", f.on_update, f.on_delete, ?1 "
                             "FROM {}.sqlite_schema m JOIN pragma_foreign_key_list(m.name, ?2) f "
                             "WHERE m.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE ORDER BY m.name, f.id, f.seq",
                             q),
                 params));
}

// A partial index's condition: what follows its CREATE INDEX statement's last top-level WHERE.
std::string index_predicate(std::string_view create_index) {
  std::vector<sql::Token> tokens = sql::scan(create_index).tokens;
  int depth = 0;
  std::optional<std::size_t> where;
  for (const sql::Token& t : tokens) {
    if (t.kind == sql::TokenKind::lparen) ++depth;
    if (t.kind == sql::TokenKind::rparen) --depth;
    if (depth == 0 && t.kind == sql::TokenKind::word && to_lower(t.text(create_index)) == "where") where = t.end;
  }
  return where ? std::string(trim(create_index.substr(*where))) : std::string();
}

void read_indexes(Connection& connection, const std::string& schema, TableDetails& out) {
  std::vector<Value> params{Value(out.ref.name), Value(schema)};
  std::string q = connection.dialect().quote_identifier(schema);
  for (const Row& row : fetch_rows(connection,
                                   fmt::format("SELECT l.name, l.\"unique\", l.origin, m.sql FROM pragma_index_list(?1, ?2) l "
                                               "LEFT JOIN {}.sqlite_schema m ON m.type = 'index' AND m.name = l.name "
                                               "ORDER BY l.origin <> 'pk', l.name",
                                               q),
                                   params)) {
    std::string name = text_of(row[0]), origin = text_of(row[2]);
    std::vector<Value> index{Value(name), Value(schema)};
    Index entry{name, {}, row[1].as_int() != 0, origin == "pk", "btree", index_predicate(text_of(row[3]))};
    for (const Row& column : fetch_rows(connection,
                                        "SELECT name FROM pragma_index_xinfo(?1, ?2) WHERE key = 1 ORDER BY seqno", index))
      entry.columns.push_back(column[0].is_null() ? "(expression)" : text_of(column[0]));
    if (origin == "u") out.unique_constraints.push_back(Constraint{{}, entry.columns, {}});
    out.indexes.push_back(std::move(entry));
  }
}

}  // namespace

std::vector<Constraint> check_constraints(std::string_view create_table) {
  std::vector<sql::Token> tokens;
  for (const sql::Token& t : sql::scan(create_table).tokens)
    if (t.kind != sql::TokenKind::space && t.kind != sql::TokenKind::comment) tokens.push_back(t);
  std::vector<Constraint> out;
  auto word = [&](std::size_t i, std::string_view w) {
    return i < tokens.size() && tokens[i].kind == sql::TokenKind::word && to_lower(tokens[i].text(create_table)) == w;
  };
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (!word(i, "check") || tokens[i + 1].kind != sql::TokenKind::lparen) continue;
    std::size_t end = i + 2;
    for (int depth = 1; end < tokens.size(); ++end) {
      if (tokens[end].kind == sql::TokenKind::lparen) ++depth;
      if (tokens[end].kind == sql::TokenKind::rparen && --depth == 0) break;
    }
    if (end >= tokens.size()) break;
    Constraint check;
    if (i >= 2 && word(i - 2, "constraint")) {
      std::string_view name = tokens[i - 1].text(create_table);
      check.name = tokens[i - 1].kind == sql::TokenKind::identifier ? std::string(name.substr(1, name.size() - 2))
                                                                     : std::string(name);
    }
    check.definition = std::string(create_table.substr(tokens[i + 1].end, tokens[end].begin - tokens[i + 1].end));
    out.push_back(std::move(check));
    i = end;
  }
  return out;
}

std::string SqliteCatalog::server_version(Connection& connection) const {
  return text_of(fetch_rows(connection, "SELECT sqlite_version()").at(0).at(0));
}

std::vector<TableSummary> SqliteCatalog::tables(Connection& connection, const TableFilter& filter) const {
  std::vector<Value> params{Value(filter.schema), Value(filter.like)};
  std::vector<TableSummary> out;
  std::map<std::string, std::map<std::string, std::int64_t, std::less<>>, std::less<>> analyzed;
  for (const Row& row : fetch_rows(connection, kTables, params)) {
    TableSummary t{TableRef{text_of(row[0]), text_of(row[1])}, kind_of(text_of(row[2])), {}, {}, {}};
    auto it = analyzed.find(t.ref.schema);
    if (it == analyzed.end())
      it = analyzed.emplace(t.ref.schema, analyzed_rows(connection, connection.dialect(), t.ref.schema)).first;
    if (auto rows = it->second.find(t.ref.name); rows != it->second.end()) t.row_estimate = rows->second;
    out.push_back(std::move(t));
  }
  return out;
}

TableDetails SqliteCatalog::details(Connection& connection, const TableInfo& info) const {
  std::string schema = schema_of(info.ref);
  std::string q = connection.dialect().quote_identifier(schema);
  std::vector<Value> name{Value(info.ref.name)};
  std::vector<Row> rows = fetch_rows(
      connection, fmt::format("SELECT name, type, sql FROM {}.sqlite_schema WHERE name = ?1 COLLATE NOCASE "
                              "AND type IN ('table', 'view')", q), name);
  if (rows.empty()) throw Error(ErrorKind::config, "table `" + info.ref.to_string() + "` does not exist");
  TableDetails out;
  out.ref = TableRef{schema, text_of(rows[0][0])};
  out.kind = kind_of(text_of(rows[0][1]));
  std::vector<Value> params{Value(out.ref.name), Value(schema)};
  for (const Row& row : fetch_rows(connection, "SELECT dflt_value FROM pragma_table_info(?1, ?2) ORDER BY cid", params)) {
    out.defaults.push_back(optional_text(row[0]));
    out.comments.emplace_back();
  }
  read_foreign_keys(connection, schema, out);
  read_indexes(connection, schema, out);
  if (out.kind == TableKind::table) out.checks = check_constraints(text_of(rows[0][2]));
  return out;
}

}  // namespace weir::db::sqlite
