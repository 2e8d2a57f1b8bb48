// The checks a statement meets on a read-only connection before it runs (mcp/safe_query.hpp):
// the functions the connection's config denies, and on PostgreSQL the functions its plan calls
// (EXPLAIN VERBOSE, so views and policies count), refused when they act outside the query or
// are marked volatile in pg_proc; and the read-only snapshot it runs in.
#pragma once

#include <string>
#include <vector>

#include "mcp/error_position.hpp"
#include "mcp/query_limits.hpp"
#include "weir/db/connection.hpp"

namespace weir::mcp {

// Refuses a statement calling a function the connection's config denies.
void refuse_denied(const QueryLimits& limits, const std::vector<std::string>& functions);

// Opens the read-only snapshot a cross-database query's remotes open (query/remote_traits.hpp):
// one spelling of it for every reader.
void begin_read_only(db::Connection& connection);

// The functions the plan of `statement` calls. `open_snapshot`: the read-only transaction is
// still to be opened (begin_read_only): on PostgreSQL's own connection its BEGIN goes in the
// EXPLAIN's round trip (PgConnection::run_after: pipelined, both with the extended protocol).
// The EXPLAIN's errors point into the agent's text `sent` (error_position.hpp).
std::vector<std::string> plan_functions(db::Connection& connection, const std::string& statement, bool open_snapshot,
                                        const SentStatement& sent);

// Refuses (PostgreSQL) a plan calling a function denied by the config, one that acts outside the
// query, or one marked volatile in pg_proc, unless the config allows it by name.
void refuse_volatile(db::Connection& connection, const QueryLimits& limits, const std::vector<std::string>& functions);

}  // namespace weir::mcp
