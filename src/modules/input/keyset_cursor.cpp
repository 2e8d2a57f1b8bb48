#include "modules/input/keyset_cursor.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

std::int64_t micros_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

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

}  // namespace

KeysetCursor::KeysetCursor(std::vector<std::string> columns, std::vector<Value> initial,
                           std::chrono::milliseconds lag)
    : position_(std::move(initial)), lag_(lag) {
  if (columns.empty()) throw Error(ErrorKind::config, "needs at least one cursor column");
  for (const std::string& c : columns) columns_.push_back(db::TableRef::parse(c));
  if (!position_.empty() && position_.size() != columns_.size())
    throw Error(ErrorKind::config, fmt::format("`initial` has {} value(s) for {} cursor column(s)", position_.size(),
                                               columns_.size()));
  if (lag_.count() > 0 && !position_.empty() && position_[0].type() == Type::int64)
    throw Error(ErrorKind::config,
                lag_mismatch(columns_[0].name, fmt::format("starts at the integer {} (`initial`)", position_[0].to_text())));
}

KeysetCursor::Page KeysetCursor::page(std::string_view query, const db::Dialect& dialect, std::size_t limit,
                                      std::chrono::system_clock::time_point now) const {
  Page page;
  std::string condition;
  auto param = [&](Value v) {
    page.params.push_back(std::move(v));
    return dialect.placeholder(page.params.size());
  };
  if (!position_.empty()) {
    std::vector<std::string> names, holders;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      names.push_back(dialect.quote_table(columns_[i]));
      holders.push_back(param(position_[i]));
    }
    condition = columns_.size() == 1 ? fmt::format("{} > {}", names[0], holders[0])
                                     : fmt::format("({}) > ({})", fmt::join(names, ", "), fmt::join(holders, ", "));
  }
  if (lag_.count() > 0) {
    // A wall-clock timestamp in UTC: compares with timestamp, datetime and ISO text columns.
    Timestamp upper{micros_since_epoch(now) - std::chrono::duration_cast<std::chrono::microseconds>(lag_).count()};
    std::string bound = fmt::format("{} <= {}", dialect.quote_table(columns_[0]), param(Value(upper)));
    condition = condition.empty() ? bound : condition + " AND " + bound;
  }
  if (condition.empty()) condition = "1 = 1";
  // Trailing semicolons would end the statement before our LIMIT.
  std::string sql(trim_statement_end(query));
  std::size_t at = sql.find(kMarker);
  sql.replace(at, kMarker.size(), "(" + condition + ")");
  page.sql = fmt::format("{} LIMIT {}", sql, limit);
  return page;
}

KeysetCursor::Page KeysetCursor::columns_probe(std::string_view query, const db::Dialect& dialect) const {
  KeysetCursor unbounded(*this);
  unbounded.lag_ = std::chrono::milliseconds(0);
  return unbounded.page(query, dialect, 0, std::chrono::system_clock::now());
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
  if (Type first = schema[indexes_[0]].type; lag_.count() > 0 && !holds_times(first))
    throw Error(ErrorKind::config, lag_mismatch(columns_[0].name, fmt::format("is {}", to_string(first))));
  indexed_schema_ = &schema;
}

void KeysetCursor::advance(const Batch& batch) {
  if (batch.empty()) return;
  check_columns(batch.schema());
  std::size_t last = batch.rows() - 1;
  position_.resize(columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Value& v = batch.at(last, indexes_[i]);
    if (v.is_null())
      throw Error(ErrorKind::data, fmt::format("cursor column `{}` is NULL in a row; cursor columns must be NOT NULL "
                                               "(filter NULLs out in the query or use COALESCE)",
                                               columns_[i].name));
    position_[i] = v;
  }
}

void KeysetCursor::restore(std::vector<Value> position) {
  if (position.size() != columns_.size())
    throw Error(ErrorKind::config,
                fmt::format("the stored checkpoint has {} value(s) but the cursor has {} column(s); "
                            "reset it with `weir run --reset` after changing cursor columns",
                            position.size(), columns_.size()));
  position_ = std::move(position);
}

}  // namespace weir::modules
