// The documented shapes of explore's results (docs/explore.md): JSON for `--format json` and the
// MCP server's structuredContent, and rows for the table and CSV formats. Key order is fixed and
// keys are only ever added, never renamed: scripts depend on them.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "explore/connections.hpp"
#include "explore/describe.hpp"
#include "weir/batch.hpp"
#include "weir/db/catalog.hpp"

namespace weir::explore {

using Json = nlohmann::ordered_json;

Json connections_json(const std::string& config_file, const std::vector<ConnectionStatus>& connections);
Json tables_json(const std::string& connection, const std::vector<db::TableSummary>& tables);
Json description_json(const std::string& connection, const TableDescription& description);

// One row per connection, table or column, with the JSON's scalar fields as columns.
Batch connections_rows(const std::vector<ConnectionStatus>& connections);
Batch tables_rows(const std::vector<db::TableSummary>& tables);
Batch columns_rows(const TableDescription& description);

// The keys, constraints and indexes as SQL-like lines ("PRIMARY KEY (id)", "FOREIGN KEY
// fk_a (a) REFERENCES public.t (id) ON DELETE CASCADE", "INDEX i ON (a, b)"), for the table format.
std::vector<std::string> constraint_lines(const TableDescription& description);

}  // namespace weir::explore
