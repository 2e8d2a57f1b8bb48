// The `sync_table` tool: copies a table of a connection into the embedded store (or a connection
// the config marks `read_only: false`) through the library `weir sync` runs (src/sync/), with
// progress notifications while it runs and a stop between batches when the call is cancelled
// (what was committed stays, and the next full sync of the table goes on from there).
#pragma once

#include <functional>
#include <memory>

#include "mcp/safe_query.hpp"
#include "mcp/tool.hpp"
#include "weir/db/driver.hpp"

namespace weir::mcp {

// `local_store`: the embedded store, the target when the call names none (as `weir sync --to
// local`); asked for when a call needs it.
Tool sync_table_tool(std::shared_ptr<SafeQueries> sessions, std::function<db::ConnectionConfig()> local_store);

}  // namespace weir::mcp
