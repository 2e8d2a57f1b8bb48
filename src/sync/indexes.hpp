// --with-indexes: the source table's secondary indexes and unique constraints, built on the
// target after the load (one index build over all the rows is faster than keeping it up to
// date row by row, and the load's batches stay the bulk path's).
#pragma once

#include <string>
#include <vector>

#include "sync/table_plan.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/dialect.hpp"

namespace weir::sync {

struct IndexPlan {
  std::vector<std::string> statements;  // CREATE [UNIQUE] INDEX IF NOT EXISTS …, one per index
  // Indexes that cannot be carried into another database's SQL — on an expression, or partial
  // (their text is the source's dialect) — each "`name` (why)"; the sync warns, naming them.
  std::vector<std::string> left_out;
};

// The statements building `details`' indexes and unique constraints (not the primary key,
// which the target table has from its creation) on the plan's target table. A unique
// constraint and the unique index that backs it are built once.
IndexPlan plan_indexes(const db::TableDetails& details, const TablePlan& plan, const db::Dialect& target);

}  // namespace weir::sync
