// The incremental cursor of sql_poll: where the last page ended, and the SQL that asks for
// the rows after it.
//
// The user's query holds `{{cursor}}` where the condition goes and orders by the cursor
// columns; each page replaces it with a row-value comparison against the last row seen,
// bound as parameters, and appends LIMIT:
//
//   … WHERE ("updated_at", "id") > ($1, $2) AND "updated_at" <= $3 ORDER BY updated_at, id LIMIT 5000
//
// The upper bound is now − lag: rows whose transactions commit late with an older timestamp
// are still ahead of the cursor when they become visible, as long as they are at most `lag`
// late (the classic missed-row failure of timestamp polling).
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

  // `columns` may be qualified ("o.updated_at"); `initial` is empty (start from the first
  // row) or one value per column. Throws Error{config} on a bad column name or count, or a
  // `lag` with an integer `initial` (lag compares the first column with a time).
  KeysetCursor(std::vector<std::string> columns, std::vector<Value> initial, std::chrono::milliseconds lag);

  struct Page {
    std::string sql;
    std::vector<Value> params;
  };
  // The query for the page after the current position, at most `limit` rows. `now` is the
  // wall clock (UTC) this run started at.
  Page page(std::string_view query, const db::Dialect& dialect, std::size_t limit,
            std::chrono::system_clock::time_point now) const;
  // The query without the lag bound, for its columns only (`validate --check-sql`): a lag on a
  // column that holds no times must be explained by check_columns(), not fail in the database.
  Page columns_probe(std::string_view query, const db::Dialect& dialect) const;

  // Moves the position to the last row of `batch` (a page just read); throws Error{config}
  // when the result lacks a cursor column.
  void advance(const Batch& batch);
  // Throws Error{config} when `schema` lacks a cursor column, or when there is a `lag` and the
  // first cursor column does not hold times.
  void check_columns(const Schema& schema);

  bool has_lag() const noexcept { return lag_.count() > 0; }
  const std::vector<Value>& position() const noexcept { return position_; }
  void restore(std::vector<Value> position);
  // How old rows must be before a page reads them (the `lag` option).
  std::chrono::milliseconds lag() const noexcept { return lag_; }

 private:
  std::vector<db::TableRef> columns_;
  std::vector<std::size_t> indexes_;  // of the cursor columns in the result, once seen
  const Schema* indexed_schema_ = nullptr;
  std::vector<Value> position_;       // empty: before the first row
  std::chrono::milliseconds lag_;
};

}  // namespace weir::modules
