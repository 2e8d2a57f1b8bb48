// The remote tables of a cross-database statement as SQLite virtual tables (module
// `weir_remote`): each reads one table of one connection through a weir cursor, sending the
// projection, WHERE terms and LIMIT that pushdown.hpp allows as bound parameters.
//
// Encoding between xBestIndex and xFilter: idxNum is the index of the ScanPlan kept in the
// table's definition (plans are kept for the statement's life); argv[i] holds the value of
// plan.terms[i] (an IN list as one all-at-once value: sqlite3_vtab_in), then LIMIT, then
// OFFSET when the plan pushes them. A term pushed `exact` has omit set; a `filter` term does not,
// so SQLite checks each row again. Columns the statement does not read are not fetched and
// read as NULL. A join key whose value is a cell of another open scan is looked up in batches
// (key_batches.hpp).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "query/key_batches.hpp"
#include "query/pushdown.hpp"
#include "query/remote_source.hpp"

struct sqlite3;

namespace weir::query {

struct RemoteTable {
  std::string label;  // as the statement names it: "pg.public.orders"
  RemoteSource* source = nullptr;
  db::TableRef ref;
  std::vector<Column> columns;
  std::optional<std::int64_t> row_estimate;
  int unique_column = -1;  // the one-column primary key, -1 for none
  RemoteTraits traits;
  TableStats stats;
  std::deque<ScanPlan> plans;  // what xBestIndex chose, by idxNum (stay put: scans point at them)
  // The rows of batched join-key lookups, by plan (idxNum) and term.
  std::map<std::pair<int, std::size_t>, std::unique_ptr<KeyCache>> key_caches;
};

// The remote tables of one statement, and the module that serves them on one SQLite database.
class RemoteTables {
 public:
  // Registers the module on `db` (which must not outlive this object).
  void register_module(sqlite3* db);
  // Adds `table` and returns its index; the statement then creates it with
  // CREATE VIRTUAL TABLE temp.<name> USING weir_remote(<index>).
  std::size_t add(std::unique_ptr<RemoteTable> table);
  RemoteTable& at(std::size_t index) const { return *tables_.at(index); }
  std::size_t size() const noexcept { return tables_.size(); }

  // The scans open now (xOpen … xClose): a nested scan looks there for where its key comes from.
  std::vector<ScanCursor*>& open_scans() noexcept { return open_; }
  // A clock that orders the reads of cells and the moves from row to row of every scan.
  std::uint64_t tick() noexcept { return ++clock_; }

 private:
  std::vector<std::unique_ptr<RemoteTable>> tables_;
  std::vector<ScanCursor*> open_;
  std::uint64_t clock_ = 0;
};

// The CREATE TABLE statement sqlite3_declare_vtab takes for `columns`: their SQLite types, exact
// decimals as DECIMAL_TEXT with the weir_decimal collation (numeric order).
std::string declare_statement(const std::vector<Column>& columns);

}  // namespace weir::query
