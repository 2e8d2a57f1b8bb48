// One source table as sql_apply writes it: which target table and columns its changes go to,
// its key, and the bulk writers of each kind of run (change_runs.hpp) it has needed.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modules/output/change_runs.hpp"
#include "modules/output/column_map.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::modules {

// "schema.table" (or "table" where the source has no schemas): how `tables` names it.
std::string source_name(const SourceTable& source);

// Where a source table's changes go, as configured.
struct TableRoute {
  db::TableRef target;
  ColumnMap columns;             // empty: every source column to the target column of its name
  std::vector<std::string> key;  // target columns; empty: the source's key, else the target's primary key
};

class ApplyTable {
 public:
  // `config`: the target's connection (outliving the table), whose catalog tells its checks.
  ApplyTable(SourceTable source, TableRoute route, OnConflict on_conflict, std::string path,
             const db::ConnectionConfig& config)
      : source_(std::move(source)), route_(std::move(route)), on_conflict_(on_conflict), path_(std::move(path)),
        config_(&config) {}

  // Applies `rows` — changes of this table, one shape — through `connection`, run by run.
  // A rejected row throws (constraint or data); a table, column or key the target lacks
  // throws Error{config}.
  db::WriteCounts apply(db::Connection& connection, const Batch& rows);
  // Before the connection closes or a batch is written again. A shape that altered the target
  // is bound again: a rollback may have undone the alteration.
  void drop_writers() noexcept {
    writers_.clear();
    if (bound_ && bound_->change()) bound_.reset(), info_.reset();
  }
  const db::TableRef& target() const noexcept { return route_.target; }
  // For messages about row `row` of `rows` (the batch apply() was last given): its key in
  // the target, `id=17` (a delete's from its before image); empty when it has none.
  std::string row_key(const Batch& rows, std::size_t row) const;
  // Adds to `e`, the target's refusal of `rows` (one change), which column refused it when
  // the database's message names none (refused_column.hpp).
  void name_refused_column(Error& e, const Batch& rows) const;
  // Whether writing `rows` alters the target first (a schema change not yet bound).
  bool alters_for(const Batch& rows) const noexcept {
    return rows.schema_ptr() != bound_ && rows.schema().change() && route_.columns.empty();
  }
  // Whether `empty`, a batch without rows, announces a shape to alter the target for: one never
  // bound before (an empty batch recycled with an older shape announces nothing).
  bool announced_by(const Batch& empty) const noexcept {
    return alters_for(empty) && std::ranges::find(met_, empty.schema_ptr()) == met_.end();
  }

 private:
  struct Writer {
    std::unique_ptr<db::BulkWriter> writer;
    std::shared_ptr<const Schema> schema;  // the target columns it writes
  };
  void bind(db::Connection& connection, const std::shared_ptr<const Schema>& shape);
  void describe_target(db::Connection& connection);
  void resolve_key(const Schema& shape);
  db::WriteCounts apply_run(db::Connection& connection, const Batch& rows, const ChangeRun& run);
  db::WriteCounts write_run(db::Connection& connection, const Batch& rows, const ChangeRun& run,
                            db::WriteMode mode);
  db::WriteCounts rekey(db::Connection& connection, const Batch& rows, const ChangeRun& run);
  std::vector<std::size_t> run_columns(const ChangeRun& run) const;
  Writer& writer(db::Connection& connection, db::WriteMode mode, const std::vector<std::size_t>& columns);
  db::WriteSpec spec(db::WriteMode mode, const std::vector<std::size_t>& columns) const;
  void check_sent(const Batch& rows, const ChangeRun& run) const;
  const Batch& project(const Batch& rows, const ChangeRun& run, const Writer& writer,
                       const std::vector<std::size_t>& columns);
  std::string where() const;

  SourceTable source_;
  TableRoute route_;
  OnConflict on_conflict_;
  std::string path_;
  const db::ConnectionConfig* config_;
  std::optional<db::TableInfo> info_;      // the target, described once
  std::vector<db::Constraint> checks_;     // its CHECK constraints, to name a column one refuses
  std::shared_ptr<const Schema> bound_;    // the shape sources_ reads
  std::vector<std::shared_ptr<const Schema>> met_;  // every shape bound, kept: a pointer is never reused
  std::vector<std::string> names_;         // the target columns written, in order
  std::vector<std::size_t> sources_;       // per target column: its column in the bound shape
  std::vector<std::size_t> key_;           // the key's target columns; empty: none found
  bool identity_ = false;                  // sources_ is 0, 1, 2 … over the whole shape
  std::map<std::pair<db::WriteMode, std::vector<std::size_t>>, Writer> writers_;
  Batch scratch_;
};

}  // namespace weir::modules
