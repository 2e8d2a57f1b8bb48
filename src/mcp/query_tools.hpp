// The tools that read data: `query` (paged, capped) and `explain_query`, over SafeQueries, so an
// agent's SQL meets the same read-only guarantees wherever it comes from.
#pragma once

#include <memory>

#include "mcp/safe_query.hpp"
#include "mcp/tool.hpp"

namespace weir::mcp {

Tool query_tool(std::shared_ptr<SafeQueries> queries);
Tool explain_query_tool(std::shared_ptr<SafeQueries> queries);

}  // namespace weir::mcp
