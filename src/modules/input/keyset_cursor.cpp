#include "modules/input/keyset_cursor.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

// `lag` bounds the first cursor column by a timestamp: it must hold times (text: SQLite's ISO
// dates; null: a type the driver cannot tell).
bool holds_times(Type type) {
  return type == Type::timestamp || type == Type::timestamptz || type == Type::date || type == Type::text ||
         type == Type::null;
}

std::string lag_mismatch(std::string_view column, std::string_view what) {
  return fmt::format("`lag` needs the first cursor column to be a timestamp or date, and `{}` {}: drop `lag`, "
                     "or make a timestamp column the first cursor column",
                     column, what);
}

// Binds each value as the next of `params`.
db::Dialect::Bind binder(const db::Dialect& dialect, std::vector<Value>& params) {
  return [&dialect, &params](Value v) {
    params.push_back(std::move(v));
    return dialect.placeholder(params.size());
  };
}

}  // namespace

KeysetCursor::KeysetCursor(std::vector<std::string> columns, std::vector<Value> initial, Options options)
    : position_(std::move(initial)), options_(std::move(options)) {
  if (columns.empty()) throw Error(ErrorKind::config, "needs at least one cursor column");
  for (const std::string& c : columns) columns_.push_back(db::TableRef::parse(c));
  if (!position_.empty() && position_.size() != columns_.size())
    throw Error(ErrorKind::config, fmt::format("`initial` has {} value(s) for {} cursor column(s)", position_.size(),
                                               columns_.size()));
  if (has_lag() && !position_.empty() && position_[0].type() == Type::int64)
    throw Error(ErrorKind::config,
                lag_mismatch(columns_[0].name, fmt::format("starts at the integer {} (`initial`)", position_[0].to_text())));
}

std::string KeysetCursor::compare(const db::Dialect& dialect, std::string_view op, const std::vector<Value>& values,
                                  const db::Dialect::Bind& bind) const {
  std::vector<std::string> names, holders;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    names.push_back(dialect.quote_table(columns_[i]));
    holders.push_back(bind(values[i]));
  }
  if (columns_.size() == 1) return fmt::format("{} {} {}", names[0], op, holders[0]);
  return fmt::format("({}) {} ({})", fmt::join(names, ", "), op, fmt::join(holders, ", "));
}

KeysetCursor::Page KeysetCursor::with_condition(std::string_view query, std::string condition,
                                                std::vector<Value> params, std::size_t limit) const {
  if (condition.empty()) condition = "1 = 1";
  // Trailing semicolons would end the statement before our LIMIT.
  std::string sql(trim_statement_end(query));
  std::size_t at = sql.find(kMarker);
  sql.replace(at, kMarker.size(), "(" + condition + ")");
  return Page{fmt::format("{} LIMIT {}", sql, limit), std::move(params)};
}

std::string KeysetCursor::not_null(const db::Dialect& dialect) const {
  std::vector<std::string> conditions;
  for (const db::TableRef& c : columns_) conditions.push_back(dialect.quote_table(c) + " IS NOT NULL");
  return fmt::format("{}", fmt::join(conditions, " AND "));
}

KeysetCursor::Page KeysetCursor::null_count(std::string_view query, const db::Dialect& dialect) const {
  std::string sql(trim_statement_end(query));
  sql.replace(sql.find(kMarker), kMarker.size(), "(NOT (" + not_null(dialect) + "))");
  return Page{fmt::format("SELECT count(*) FROM ({}) weir_null_cursor", sql), {}};
}

KeysetCursor::Page KeysetCursor::page(std::string_view query, const db::Dialect& dialect, std::size_t limit,
                                      const RunBounds& bounds) const {
  std::vector<Value> params;
  db::Dialect::Bind bind = binder(dialect, params);
  std::vector<std::string> conditions;
  if (!position_.empty()) conditions.push_back(compare(dialect, ">", position_, bind));
  else conditions.push_back(not_null(dialect));  // past a position, the comparison leaves NULLs out
  if (options_.where_null) conditions.push_back(dialect.quote_table(*options_.where_null) + " IS NULL");
  if (!bounds.hold.empty()) conditions.push_back(compare(dialect, bounds.through_hold ? "<=" : "<", bounds.hold, bind));
  if (!bounds.horizon.empty())
    conditions.push_back(dialect.settled_condition(columns_[0].schema, bind(Value(bounds.horizon))));
  if (has_lag()) {
    auto lag = std::chrono::duration_cast<std::chrono::microseconds>(options_.lag);
    conditions.push_back(fmt::format("{} <= {}", dialect.quote_table(columns_[0]),
                                     dialect.clock_minus(first_type_, options_.time_zone, lag, bind)));
  }
  return with_condition(query, fmt::format("{}", fmt::join(conditions, " AND ")), std::move(params), limit);
}

KeysetCursor::Page KeysetCursor::first_unsettled(std::string_view query, const db::Dialect& dialect,
                                                 const std::string& horizon) const {
  std::vector<Value> params;
  db::Dialect::Bind bind = binder(dialect, params);
  std::string condition = "NOT (" + dialect.settled_condition(columns_[0].schema, bind(Value(horizon))) + ")";
  condition = (position_.empty() ? not_null(dialect) : compare(dialect, ">", position_, bind)) + " AND " + condition;
  if (options_.where_null) condition += " AND " + dialect.quote_table(*options_.where_null) + " IS NULL";
  return with_condition(query, std::move(condition), std::move(params), 1);
}

KeysetCursor::Page KeysetCursor::clock_probe(const db::Dialect& dialect) const {
  Page probe;
  db::Dialect::Bind bind = binder(dialect, probe.params);
  auto lag = std::chrono::duration_cast<std::chrono::microseconds>(options_.lag);
  probe.sql = "SELECT " + dialect.clock_minus(first_type_, options_.time_zone, lag, bind);
  return probe;
}

KeysetCursor::Page KeysetCursor::columns_probe(std::string_view query) const {
  // No condition: a cursor column missing from the query must reach check_columns(), which
  // names it and the query's columns, not fail in the database as an unknown column.
  return with_condition(query, "", {}, 0);
}

void KeysetCursor::check_columns(const Schema& schema) {
  if (indexed_schema_ == &schema) return;
  indexes_.clear();
  for (const db::TableRef& c : columns_) {
    auto index = schema.find(c.name);
    if (!index) {
      std::vector<std::string> names;
      for (const Column& col : schema.columns()) names.push_back(col.name);
      throw Error(ErrorKind::config, fmt::format("cursor column `{}` is not among the query's columns ({})", c.name,
                                                 fmt::join(names, ", ")));
    }
    indexes_.push_back(*index);
  }
  first_type_ = schema[indexes_[0]].type;
  if (has_lag() && !holds_times(first_type_))
    throw Error(ErrorKind::config, lag_mismatch(columns_[0].name, fmt::format("is {}", to_string(first_type_))));
  indexed_schema_ = &schema;
}

std::vector<Value> KeysetCursor::values_of(const Batch& batch, std::size_t row) {
  check_columns(batch.schema());
  std::vector<Value> values;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Value& v = batch.at(row, indexes_[i]);
    if (v.is_null())
      throw Error(ErrorKind::data, fmt::format("cursor column `{}` is NULL in a row; cursor columns must be NOT NULL "
                                               "(filter NULLs out in the query or use COALESCE)",
                                               columns_[i].name));
    values.push_back(v);
  }
  return values;
}

void KeysetCursor::advance(const Batch& batch) {
  if (batch.empty()) return;
  position_ = values_of(batch, batch.rows() - 1);
}

void KeysetCursor::restore(std::vector<Value> position) {
  if (position.empty()) return;  // the runs so far read no row: start where `initial` says
  if (position.size() != columns_.size())
    throw Error(ErrorKind::config,
                fmt::format("the stored checkpoint has {} value(s) but the cursor has {} column(s); "
                            "reset it with `weir run --reset` after changing cursor columns",
                            position.size(), columns_.size()));
  position_ = std::move(position);
}

}  // namespace weir::modules
