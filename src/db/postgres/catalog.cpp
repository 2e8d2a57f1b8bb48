#include "db/postgres/catalog.hpp"

#include "db/common/catalog_rows.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::db::postgres {
namespace {

// One query for the whole listing. Sizes here are the planner's, like the row estimate: the
// pages of the table, its TOAST table and its indexes as of the last VACUUM, ANALYZE or CREATE
// INDEX (none before the first: reltuples is -1 until then). pg_total_relation_size asks the
// file system for every fork of every relation: 0.5-0.9 s of a 2,000-table listing on a loaded
// machine (bench/tables_many.sh), where this query takes milliseconds; describe() gives the exact size.
constexpr std::string_view kTables = R"(
SELECT n.nspname, c.relname, c.relkind::text,
       CASE WHEN c.reltuples >= 0 AND c.relkind IN ('r', 'm', 'p') THEN c.reltuples::int8 END,
       CASE WHEN c.reltuples >= 0 AND c.relkind IN ('r', 'm', 'p') THEN
         (c.relpages::int8 + COALESCE(t.relpages, 0)
          + COALESCE((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                      WHERE x.indrelid = c.oid), 0)) * current_setting('block_size')::int8 END,
       to_char(greatest(s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze) AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND ($1::text = '' OR n.nspname = $1::text) AND ($2::text = '' OR c.relname LIKE $2::text)
ORDER BY 1, 2)";

constexpr std::string_view kTable = R"(
SELECT n.nspname, c.relname, c.relkind::text, obj_description(c.oid, 'pg_class'),
       CASE WHEN c.relkind IN ('r', 'm', 'p') THEN pg_total_relation_size(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1))";

constexpr std::string_view kColumns = R"(
SELECT a.attname, pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum), a.attidentity::text,
       a.attgenerated::text
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)";

// The table's constraints and the foreign keys of other tables that reference it.
constexpr std::string_view kConstraints = R"(
SELECT con.conname, con.contype::text,
       sn.nspname, sc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.i)::text[],
       fn.nspname, fc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.i)::text[],
       con.confupdtype::text, con.confdeltype::text,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid, true) END,
       con.conrelid = to_regclass($1)
FROM pg_constraint con
JOIN pg_class sc ON sc.oid = con.conrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = to_regclass($1) OR (con.contype = 'f' AND con.confrelid = to_regclass($1))
ORDER BY con.conname, sn.nspname, sc.relname)";

constexpr std::string_view kIndexes = R"(
SELECT ic.relname, i.indisunique, i.indisprimary, am.amname,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k)::text[],
       pg_get_expr(i.indpred, i.indrelid, true)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
WHERE i.indrelid = to_regclass($1) ORDER BY ic.relname)";

TableKind kind_of(std::string_view relkind) {
  if (relkind == "v") return TableKind::view;
  if (relkind == "m") return TableKind::materialized_view;
  if (relkind == "f") return TableKind::foreign_table;
  return TableKind::table;
}

void add_constraint(TableDetails& out, const Row& row) {
  std::string type = text_of(row[1]);
  if (type == "u") out.unique_constraints.push_back(Constraint{text_of(row[0]), text_items(row[4]), {}});
  if (type == "c") out.checks.push_back(Constraint{text_of(row[0]), text_items(row[4]), text_of(row[10])});
  if (type != "f") return;
  ForeignKey key{text_of(row[0]),       TableRef{text_of(row[2]), text_of(row[3])},
                 text_items(row[4]),    TableRef{text_of(row[5]), text_of(row[6])},
                 text_items(row[7]),    foreign_key_action(text_of(row[8])),
                 foreign_key_action(text_of(row[9]))};
  bool own = row[11].as_bool();
  if (key.referenced == out.ref) out.referenced_by.push_back(key);
  if (own) out.foreign_keys.push_back(std::move(key));
}

}  // namespace

std::string PgCatalog::server_version(Connection& connection) const {
  return text_of(fetch_rows(connection, "SELECT current_setting('server_version')").at(0).at(0));
}

std::vector<TableSummary> PgCatalog::tables(Connection& connection, const TableFilter& filter) const {
  std::vector<Value> params{Value(filter.schema), Value(filter.like)};
  std::vector<TableSummary> out;
  for (const Row& row : fetch_rows(connection, kTables, params))
    out.push_back(TableSummary{TableRef{text_of(row[0]), text_of(row[1])}, kind_of(text_of(row[2])),
                               optional_int(row[3]), optional_int(row[4]), optional_text(row[5])});
  return out;
}

TableDetails PgCatalog::details(Connection& connection, const TableInfo& table) const {
  std::vector<Value> name{Value(connection.dialect().quote_table(table.ref))};
  std::vector<Row> rows = fetch_rows(connection, kTable, name);
  if (rows.empty())
    throw Error(ErrorKind::config, "table `" + table.ref.to_string() + "` does not exist");
  TableDetails out;
  out.ref = TableRef{text_of(rows[0][0]), text_of(rows[0][1])};
  out.kind = kind_of(text_of(rows[0][2]));
  out.comment = text_of(rows[0][3]);
  out.size_bytes = optional_int(rows[0][4]);
  for (const Row& row : fetch_rows(connection, kColumns, name)) {
    std::optional<std::string> expression = optional_text(row[1]);
    std::string identity = text_of(row[3]), generated = text_of(row[4]);
    if (identity == "a") expression = "GENERATED ALWAYS AS IDENTITY";
    if (identity == "d") expression = "GENERATED BY DEFAULT AS IDENTITY";
    if (generated == "s" && expression) expression = "GENERATED ALWAYS AS (" + *expression + ") STORED";
    out.defaults.push_back(std::move(expression));
    out.comments.push_back(text_of(row[2]));
  }
  for (const Row& row : fetch_rows(connection, kConstraints, name)) add_constraint(out, row);
  for (const Row& row : fetch_rows(connection, kIndexes, name))
    out.indexes.push_back(Index{text_of(row[0]), text_items(row[4]), row[1].as_bool(), row[2].as_bool(),
                                text_of(row[3]), text_of(row[5])});
  return out;
}

}  // namespace weir::db::postgres
