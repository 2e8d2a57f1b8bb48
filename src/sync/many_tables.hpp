// `weir sync CONN --to TARGET --tables 'public.*'`: every table of a connection whose name
// matches a pattern, copied by sync::run each, several at once, in foreign-key order — a table
// starts once the tables it references are copied, so that a target whose tables already
// hold the foreign keys takes every row (tables that reference each other in a cycle start in
// name order when nothing else can).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sync/sync.hpp"

namespace weir::sync {

struct ManyRequest {
  Request each;         // source_table and target_table are set per table
  std::string pattern;  // [SCHEMA.]NAME, each part a glob (* any run, ? one character)
  int at_once = 2;      // tables copied at the same time
};

// The tables `pattern` matches on the source, in foreign-key order (referenced tables first,
// then by name). Throws Error{config} when none does.
std::vector<db::TableRef> tables_matching(const ManyRequest& request);

// Copies each table; `done` is called (from the thread that copied it, one call at a time) as
// each ends. A table whose plan is refused (Error{config}) is reported with its error and the
// others go on. Returns the reports in the order the tables ended.
std::vector<Report> run_many(const ManyRequest& request, const std::function<void(const Report&)>& done);

}  // namespace weir::sync
