// The tools that show an agent what a database holds: `list_remote_tables` and
// `describe_remote_table`, the catalog code of `weir tables` and `weir describe` returning the
// same JSON as their `--format json`.
#pragma once

#include <memory>

#include "mcp/safe_query.hpp"
#include "mcp/tool.hpp"

namespace weir::mcp {

Tool list_remote_tables_tool(std::shared_ptr<SafeQueries> sessions);
Tool describe_remote_table_tool(std::shared_ptr<SafeQueries> sessions);

}  // namespace weir::mcp
