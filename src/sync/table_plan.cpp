#include "sync/table_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.hpp"
#include "db/common/sql_writer.hpp"
#include "modules/input/keyset_cursor.hpp"
#include "sync/block_ranges.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

std::string named(const Request& r) {
  return fmt::format("table `{}` on {}", r.source_table.to_string(), r.source.describe());
}

// The column of `table` called `name` (as the database spells it), or Error{config} naming
// `what` and the closest column.
const Column& column_named(const db::TableInfo& table, const std::string& name, std::string_view what,
                           const Request& r) {
  for (const Column& c : table.columns)
    if (c.name == name) return c;
  std::vector<std::string_view> names;
  for (const Column& c : table.columns) names.push_back(c.name);
  throw Error(ErrorKind::config, fmt::format("{}: {} has no column `{}`{}", what, named(r), name,
                                             did_you_mean(name, names)));
}

// The columns each page is ordered by: the cursor (incremental), else the primary key — none
// when the run is one transaction anyway (--truncate) or the table has no key.
std::vector<std::string> read_order(const db::TableInfo& source, const Request& r) {
  if (r.mode == Mode::incremental) {
    if (r.cursor.empty()) throw Error(ErrorKind::config, "--mode incremental needs --cursor COLUMN[,TIEBREAK]");
    for (const std::string& name : r.cursor) {
      const Column& c = column_named(source, name, "--cursor", r);
      if (c.nullable)
        throw Error(ErrorKind::config, fmt::format("--cursor: column `{}` of {} may be NULL; a cursor column must be "
                                                   "NOT NULL (rows with NULL would never be read)",
                                                   name, named(r)));
    }
    return r.cursor;
  }
  if (!r.cursor.empty()) throw Error(ErrorKind::config, "--cursor applies to --mode incremental");
  if (r.truncate) return {};
  return source.primary_key;
}

// Refuses, naming the column, what the target would not hold exactly.
void check_carried(const db::TableInfo& source, const db::Dialect& target, const Request& r) {
  for (const Column& c : source.columns) {
    db::validate_identifier(c.name, "column");
    if (c.type == Type::null)
      throw Error(ErrorKind::config, fmt::format("column `{}` of {}: its type `{}` says nothing of what it holds, so "
                                                 "no target type can be chosen that keeps its values exactly",
                                                 c.name, named(r), c.native_type));
    if (auto why = target.cannot_hold(c))
      throw Error(ErrorKind::config, fmt::format("column `{}` of {} cannot be carried exactly into {}: {}", c.name,
                                                 named(r), r.target.describe(), *why));
  }
}

// Runs the condition on the source, reading no row: a typo fails here, not after writing.
void check_where(db::Connection& source, const db::TableInfo& table, const Request& r) {
  if (r.where.empty()) return;
  std::string sql = select_all(source.dialect(), table.ref, table.columns, r.where) + " LIMIT 0";
  try {
    Batch none;
    source.query(sql)->next(none, 1);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::connection || e.kind() == ErrorKind::timeout || e.kind() == ErrorKind::cancelled) throw;
    throw Error(ErrorKind::config, fmt::format("--where `{}` on {}: {}", r.where, named(r), e.what()));
  }
}

std::string page_query(const db::Dialect& d, const db::TableInfo& table, const std::vector<std::string>& order,
                       const std::string& where) {
  std::vector<std::string> conditions;
  if (!order.empty()) conditions.emplace_back(modules::KeysetCursor::kMarker);
  if (!where.empty()) conditions.push_back("(" + where + ")");
  std::string sql = select_all(d, table.ref, table.columns, "");
  for (std::size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  if (!order.empty()) sql += " ORDER BY " + d.quote_identifiers(order);
  return sql;
}

}  // namespace

std::string select_all(const db::Dialect& d, const db::TableRef& table, const std::vector<Column>& columns,
                       const std::string& where) {
  std::vector<std::string> names;
  for (const Column& c : columns) names.push_back(c.name);
  std::string sql = fmt::format("SELECT {} FROM {}", d.quote_identifiers(names), d.quote_table(table));
  if (!where.empty()) sql += " WHERE (" + where + ")";
  return sql;
}

TablePlan plan_table(db::Connection& source, db::Connection& target, const Request& r) {
  TablePlan plan;
  auto info = source.describe_table(r.source_table);
  if (!info) throw Error(ErrorKind::config, fmt::format("{} does not exist", named(r)));
  plan.source = std::move(*info);
  plan.key = plan.source.primary_key;
  for (Column& c : plan.source.columns)
    c.primary_key = std::find(plan.key.begin(), plan.key.end(), c.name) != plan.key.end();
  plan.order = read_order(plan.source, r);
  check_carried(plan.source, target.dialect(), r);
  check_where(source, plan.source, r);
  plan.query = page_query(source.dialect(), plan.source, plan.order, r.where);
  plan.by_blocks = r.mode == Mode::full && plan.key.empty() && !r.truncate && has_block_ranges(source.dialect());
  plan.target = r.target_table.name.empty() ? db::TableRef{"", r.source_table.name} : r.target_table;
  auto existing = target.describe_table(plan.target);
  plan.target_exists = existing.has_value();
  if (existing) plan.target_columns = existing->columns;
  if (existing)
    for (const Column& c : plan.source.columns)
      if (std::none_of(existing->columns.begin(), existing->columns.end(),
                       [&](const Column& t) { return t.name == c.name; }))
        throw Error(ErrorKind::config, fmt::format("table `{}` on {} has no column `{}`, which {} has",
                                                   plan.target.to_string(), r.target.describe(), c.name, named(r)));
  return plan;
}

void create_target(db::Connection& target, const TablePlan& plan) {
  Schema schema(plan.source.columns);
  target.execute(db::create_table_sql(target.dialect(), plan.target, schema, plan.key));
}

}  // namespace weir::sync
