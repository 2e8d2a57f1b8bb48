// sql_call's options: declared once (the spec validation, docs and examples come from) and
// read into a checked configuration while the whole file is validated, before anything
// connects.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config_spec.hpp"
#include "pipeline/expression.hpp"
#include "lookup/lookup.hpp"
#include "pipeline/module.hpp"
#include "modules/retry_option.hpp"
#include "lookup/sql_template.hpp"

namespace weir::modules {

enum class MergeKind { columns, nested, rows };
enum class OnError { fail, skip, null, dead_letter };

struct QueryConfig {
  std::string path;  // YAML path of the item: "….sql_call.queries[0]"
  lookup::SqlTemplate sql;
  MergeKind merge = MergeKind::columns;
  std::string field;  // the added field, for nested and rows
  OnError on_error = OnError::fail;
  lookup::LookupOptions options;
};

struct SqlCallConfig {
  std::string path;
  std::shared_ptr<db::Pool> pool;  // the run's pool of the `connection:`
  std::optional<pipeline::Expression> when;
  std::vector<QueryConfig> queries;
  // Transient failures (dropped connection, deadlock, timeout) are retried this way before
  // on_error decides (the `retry:` option).
  RetryPolicy retry;
};

const config::Spec& sql_call_spec();

// Throws Error{config} naming the YAML path of the first bad option.
SqlCallConfig read_sql_call_config(const config::Section& section, const pipeline::ModuleContext& context);

}  // namespace weir::modules
