// The tools that tell an agent which databases it can reach.
#pragma once

#include <memory>

#include "mcp/safe_query.hpp"
#include "mcp/tool.hpp"

namespace weir::mcp {

// `list_database_connections`: each connection (the config file's and those connect_database
// added) with its type and whether it answers now (connected, or error with the reason; never
// its password).
Tool list_database_connections_tool(std::shared_ptr<SafeQueries> sessions);

}  // namespace weir::mcp
