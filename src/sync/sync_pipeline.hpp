// The pipeline a sync runs: sql_poll over the planned query, sql_write into the target, the
// state store and dead letters of the request — made from the modules' own factories, with
// their options given as YAML nodes, exactly as a project file would give them.
#pragma once

#include <string>

#include "pipeline/project.hpp"
#include "sync/sync.hpp"
#include "sync/table_plan.hpp"

namespace weir::sync {

// Rows per page read and per batch committed.
inline constexpr int kPageRows = 20000;

// A project holding the one pipeline of the sync; its connections are the request's.
pipeline::Project sync_project(const Request& request, const TablePlan& plan);

}  // namespace weir::sync
