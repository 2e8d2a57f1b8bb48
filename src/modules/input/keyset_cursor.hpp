// The incremental cursor of sql_poll: where the last page ended, and the SQL that asks for
// the rows after it.
//
// The user's query holds `{{cursor}}` where the condition goes and orders by the cursor
// columns; each page replaces it with a row-value comparison against the last row seen,
// bound as parameters, and appends LIMIT:
//
//   … WHERE ("updated_at", "id") > ($1, $2) AND "updated_at" <= $3 ORDER BY updated_at, id LIMIT 5000
//
// A row whose transaction commits after rows with higher cursor values were read would be
// behind the cursor when it becomes visible: the classic missed row of timestamp polling
// (kafka-connect-jdbc, logstash-input-jdbc). Two bounds keep the cursor from passing it:
//
// - The transaction horizon, where the database keeps one (PostgreSQL). Each run of the poll
//   first reads the oldest transaction still running (the horizon), then the cursor values of
//   the first row after the position whose transaction is not older than the horizon (the
//   hold). Its pages read only rows before the hold and written by transactions that ended
//   before the horizon:
//
//     … WHERE ("updated_at", "id") > ($1, $2) AND ("updated_at", "id") < ($3, $4)
//           AND age(xmin) NOT BETWEEN 0 AND age(<horizon>) ORDER BY updated_at, id LIMIT 5000
//
//   A row of a transaction still open, or of one that ended after the horizon, is left with
//   every row after it to a later run, however long the transaction stays open; nothing before
//   the position can appear later as long as a transaction's rows do not sort before those of
//   transactions that took their transaction id earlier (cursor values taken from a clock or a
//   sequence when the row is written). The position alone is the checkpoint: the horizon and
//   the hold are read again by each run.
// - `lag`: rows newer than the database's clock less the lag wait for a later run. It is
//   compared in the database, with the column's own type and time zone, never with the
//   host's clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/batch.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/dialect.hpp"

namespace weir::modules {

class KeysetCursor {
 public:
  static constexpr std::string_view kMarker = "{{cursor}}";

  struct Options {
    std::chrono::milliseconds lag{0};
    std::string time_zone = "UTC";  // of the first column's times, when they have none
    bool horizon = true;            // bound by the transaction horizon where the database has one
    // Reads only rows where this column IS NULL (sql_poll's `nulls: first`: a cursor over the
    // other columns reads those rows before the main cursor reads the rest).
    std::optional<db::TableRef> where_null = std::nullopt;
  };
  // Rows whose cursor columns hold a NULL are not read: no position can be after them. Each
  // run counts them (null_count()) so that they are skipped in the open.
  // `columns` may be qualified ("o.updated_at": the horizon then reads o's xmin); `initial` is
  // empty (start from the first row) or one value per column. Throws Error{config} on a bad
  // column name or count, or a `lag` with an integer `initial` (lag compares the first column
  // with a time).
  KeysetCursor(std::vector<std::string> columns, std::vector<Value> initial, Options options);

  struct Page {
    std::string sql;
    std::vector<Value> params;
  };
  // What bounds one run's pages besides the position (see the top of this file).
  struct RunBounds {
    std::string horizon;      // "": none
    std::vector<Value> hold;  // empty: no row waits on a transaction
    // The page reads the hold's own row too: a bound that is the last row of a range (weir
    // sync's key ranges), not the first row waiting.
    bool through_hold = false;
  };
  // The query for the page after the current position, at most `limit` rows.
  Page page(std::string_view query, const db::Dialect& dialect, std::size_t limit, const RunBounds& bounds) const;
  // The query whose first row, if any, is the hold: the first row after the position written
  // by a transaction not older than `horizon`.
  Page first_unsettled(std::string_view query, const db::Dialect& dialect, const std::string& horizon) const;
  // One row, one value: how many rows of the query have a NULL in a cursor column (whatever
  // where_null says).
  Page null_count(std::string_view query, const db::Dialect& dialect) const;
  // One value: the database's clock less the lag, as the pages compare it (NULL: the database
  // does not know the time zone).
  Page clock_probe(const db::Dialect& dialect) const;
  bool uses_horizon(const db::Dialect& dialect) const { return options_.horizon && !dialect.horizon_query().empty(); }
  // The cursor values of a row of `batch`.
  std::vector<Value> values_of(const Batch& batch, std::size_t row);
  // The query without any cursor condition, for its columns only (`validate --check-sql`, the
  // lag check): a cursor column missing from it, or a lag on a column that holds no times, must
  // be explained by check_columns(), not fail in the database.
  Page columns_probe(std::string_view query) const;

  // Moves the position to the last row of `batch` (a page just read); throws Error{config}
  // when the result lacks a cursor column.
  void advance(const Batch& batch);
  // Throws Error{config} when `schema` lacks a cursor column, or when there is a `lag` and the
  // first cursor column does not hold times.
  void check_columns(const Schema& schema);

  std::size_t column_count() const noexcept { return columns_.size(); }
  bool has_lag() const noexcept { return options_.lag.count() > 0; }
  const std::vector<Value>& position() const noexcept { return position_; }
  void restore(std::vector<Value> position);
  // How old rows must be before a page reads them (the `lag` option).
  std::chrono::milliseconds lag() const noexcept { return options_.lag; }
  const std::string& time_zone() const noexcept { return options_.time_zone; }

 private:
  // The condition on the cursor columns against `values`: "(a, b) > ($1, $2)".
  std::string compare(const db::Dialect& dialect, std::string_view op, const std::vector<Value>& values,
                      const db::Dialect::Bind& bind) const;
  Page with_condition(std::string_view query, std::string condition, std::vector<Value> params,
                      std::size_t limit) const;
  // "a IS NOT NULL AND b IS NOT NULL"
  std::string not_null(const db::Dialect& dialect) const;

  std::vector<db::TableRef> columns_;
  std::vector<std::size_t> indexes_;  // of the cursor columns in the result, once seen
  const Schema* indexed_schema_ = nullptr;
  std::vector<Value> position_;       // empty: before the first row
  Options options_;
  Type first_type_ = Type::timestamp;  // of the first cursor column, once seen
};

}  // namespace weir::modules
