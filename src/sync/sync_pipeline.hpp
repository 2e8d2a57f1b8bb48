// The pipeline a sync runs: sql_poll over the planned query, sql_write into the target, the
// state store and dead letters of the request — made from the modules' own factories, with
// their options given as YAML nodes, exactly as a project file would give them.
#pragma once

#include <string>

#include "pipeline/project.hpp"
#include "sync/bad_values.hpp"
#include "sync/range_feed.hpp"
#include "sync/sync.hpp"
#include "sync/table_plan.hpp"

namespace weir::sync {

// Rows per page read and per batch committed.
inline constexpr int kPageRows = 20000;

// The name of a sync's pipeline (and of its first writer's): its checkpoint's key.
std::string sync_pipeline_name(const Request& request, const TablePlan& plan, bool ranged);
// The name of writer `lane` of a sync named `sync_name`.
std::string lane_name(const std::string& sync_name, std::size_t lane);

// A project holding the sync's pipelines, one per writer; its connections are the request's.
// With a `feed`, each pipeline's input reads a lane of the table's key ranges, or its block
// ranges (plan.by_blocks; range_feed.hpp), else one pipeline's sql_poll reads it. `bad` decides
// and counts the values that cannot be carried (bad_values.hpp). The pipelines lease from
// `pools`, so the connection the sync planned the target with is their first.
pipeline::Project sync_project(const Request& request, const TablePlan& plan, const std::shared_ptr<RangeFeed>& feed,
                               std::shared_ptr<BadValues> bad, std::shared_ptr<db::Pools> pools);

}  // namespace weir::sync
