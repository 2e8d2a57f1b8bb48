// The tools that tell an agent which databases it can reach.
#pragma once

#include "db/connections.hpp"
#include "mcp/tool.hpp"

namespace weir::mcp {

// `list_database_connections`: each connection of the config file with its type and whether it
// answers now (connected, or error with the reason; never its password).
Tool list_database_connections_tool(db::Connections connections);

}  // namespace weir::mcp
