// `connect_database`: a connection an agent adds at run time. It is tested before it is kept,
// always read-only (write access is the config file's to give), and its password stays in this process's memory
// (registered as a secret, so no message or log shows it) and is never sent back.
#pragma once

#include <memory>

#include "mcp/safe_query.hpp"
#include "mcp/tool.hpp"

namespace weir::mcp {

Tool connect_database_tool(std::shared_ptr<SafeQueries> sessions);

// The connection `arguments` (connect_database's) describe. Throws Error{config} naming what is
// missing or wrong.
db::ConnectionConfig connection_from_arguments(const nlohmann::json& arguments);

}  // namespace weir::mcp
