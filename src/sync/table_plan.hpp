// What a sync of one table reads and writes, worked out and checked before any row moves:
// the source table and its columns, the order its rows are read in (the primary key, or the
// --cursor columns), the query (with --where) and the target table, created when missing with
// the types the target's dialect gives each column, their NOT NULLs and the primary key.
#pragma once

#include <string>
#include <vector>

#include "sync/sync.hpp"
#include "weir/db/connection.hpp"

namespace weir::sync {

struct TablePlan {
  db::TableInfo source;
  db::TableRef target;
  // The columns pages are read in order of, resuming after the last committed row; empty:
  // one pass that is not resumed (a table without a primary key, or --truncate).
  std::vector<std::string> order;
  std::vector<std::string> key;  // the source's primary key (upserts, conflicts)
  std::string query;             // what sql_poll runs: `{{cursor}}` marks the page's condition
  // A full sync of a table without a primary key on PostgreSQL (no --truncate): read in block
  // (ctid) ranges over one snapshot (block_ranges.hpp), restarted whole when stopped midway.
  bool by_blocks = false;
  bool target_exists = false;
  std::vector<Column> target_columns;  // the existing target's, as described
};

// Throws Error{config} naming the table, column or condition at fault, or naming the column
// whose type the target cannot hold exactly (Dialect::cannot_hold).
TablePlan plan_table(db::Connection& source, db::Connection& target, const Request& request);

// Creates the target table (CREATE TABLE IF NOT EXISTS) from the source's columns.
void create_target(db::Connection& target, const TablePlan& plan);

// SELECT of every column of the plan's source (or target) table, for --verify.
std::string select_all(const db::Dialect& dialect, const db::TableRef& table, const std::vector<Column>& columns,
                       const std::string& where);

}  // namespace weir::sync
