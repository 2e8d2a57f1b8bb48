#include "mcp/query_limits.hpp"

#include "core/text.hpp"

namespace weir::mcp {

using config::Field;

const config::Spec& query_limits_spec() {
  static const config::Spec spec{
      "mcp",
      "What `weir mcp` lets an AI agent do on this connection (see docs/mcp.md). The statement timeout is the "
      "connection's `query_timeout`, 300s for agents when unset.",
      {
          Field{.name = "max_rows", .shapes = config::kInteger, .default_value = std::to_string(kDefaultMaxRows),
                .description = "The most rows a page of the `query` tool holds: an agent asking for more gets this "
                               "many, `truncated: true` and a cursor to the next page.",
                .example = "500", .minimum = 1, .maximum = 100000},
          Field{.name = "max_bytes", .shapes = config::kInteger, .default_value = std::to_string(kDefaultMaxBytes),
                .description = "The most bytes of rows (as JSON) a page holds; a page always holds at least one row.",
                .example = "262144", .minimum = 1024, .maximum = 64 * 1024 * 1024},
          Field{.name = "allowed_functions", .shapes = config::kStringList,
                .description = "Volatile PostgreSQL functions a query on a read-only connection may call all the "
                               "same, besides random, clock_timestamp, timeofday, gen_random_uuid and "
                               "uuid_generate_v4 (functions that act outside the query, like pg_read_file or "
                               "lo_export, stay refused).",
                .example = "[txid_current_if_assigned]"},
          Field{.name = "denied_functions", .shapes = config::kStringList,
                .description = "Functions no query on this connection may call, read-only or not, whatever the "
                               "database says of them (names as written in SQL; on PostgreSQL read-only connections "
                               "those the plan calls count too, through views).",
                .example = "[pg_sleep, version]"},
          Field{.name = "allowed_schemas", .shapes = config::kStringList,
                .description = "The schemas (MySQL: databases) whose tables an agent on this connection sees and "
                               "reads; all when unset. list_remote_tables leaves the others out, describe_remote_table "
                               "and sync_table refuse them, and `query` refuses a statement whose plan reads them "
                               "(through views too) on PostgreSQL; on MySQL and SQLite a connection with schema "
                               "limits refuses `query` and `explain_query`. Names as the database stores them; "
                               "pg_catalog and information_schema count as schemas.",
                .example = "[public, sales]"},
          Field{.name = "denied_schemas", .shapes = config::kStringList,
                .description = "Schemas whose tables an agent on this connection neither sees nor reads, taken out "
                               "of allowed_schemas (or of all schemas); checked as allowed_schemas is.",
                .example = "[hr]"},
      }};
  return spec;
}

QueryLimits read_query_limits(const YAML::Node& node, const std::string& path) {
  config::Section section(node.IsDefined() ? node : YAML::Node(YAML::NodeType::Map), query_limits_spec(), path);
  QueryLimits limits;
  limits.max_rows = static_cast<std::size_t>(section.integer("max_rows"));
  limits.max_bytes = static_cast<std::size_t>(section.integer("max_bytes"));
  for (const std::string& name : section.string_list("allowed_functions")) limits.allowed_functions.insert(to_lower(name));
  for (const std::string& name : section.string_list("denied_functions")) limits.denied_functions.insert(to_lower(name));
  for (const std::string& name : section.string_list("allowed_schemas")) limits.allowed_schemas.insert(name);
  for (const std::string& name : section.string_list("denied_schemas")) limits.denied_schemas.insert(name);
  return limits;
}

}  // namespace weir::mcp
