// The pipeline a sync runs: sql_poll over the planned query, sql_write into the target, the
// state store and dead letters of the request — made from the modules' own factories, with
// their options given as YAML nodes, exactly as a project file would give them.
#pragma once

#include <string>

#include "pipeline/project.hpp"
#include "sync/bad_values.hpp"
#include "sync/sync.hpp"
#include "sync/table_plan.hpp"

namespace weir::sync {

// Rows per page read and per batch committed.
inline constexpr int kPageRows = 20000;

// A project holding the one pipeline of the sync; its connections are the request's. `ranged`:
// its input reads the table's key ranges, or its block ranges (plan.by_blocks;
// ranged_read.hpp), else sql_poll reads it. `bad` decides and counts the values that cannot be
// carried (bad_values.hpp). `target_was_empty`: what block ranges' checkpoint keeps.
pipeline::Project sync_project(const Request& request, const TablePlan& plan, bool ranged,
                               std::shared_ptr<BadValues> bad, bool target_was_empty = false);

}  // namespace weir::sync
