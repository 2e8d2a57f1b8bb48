// What a PostgreSQL session needs before weir uses it, had without the `options` startup
// parameter (which connection poolers refuse: PgBouncer accepts only the parameters it tracks),
// and whether a transaction pooler sits between weir and the server.
#pragma once

#include <libpq-fe.h>

#include <string_view>

namespace weir::db::postgres {

// A pooler in transaction mode (PgBouncer's pool_mode=transaction, RDS Proxy, Supavisor) hands
// each transaction to any of its server connections: named prepared statements and session
// settings it does not track are lost between transactions. URL option pooler=auto|none|transaction.
enum class Pooler { automatic, none, transaction };

// Gives the session the settings types.cpp reads text by (DateStyle ISO, TimeZone UTC,
// IntervalStyle postgres or iso_8601, full float precision), changing only those the server
// reports otherwise, in one round trip. Returns whether statements must suit a transaction
// pooler: `pooler` when given, else detected (automatic). `query_timeout` (milliseconds, from
// the URL, sent as the startup parameter `options`) must have reached the server: a pooler told
// to ignore `options` would drop it silently. Throws on failure.
bool start_session(PGconn* conn, Pooler pooler, std::string_view query_timeout);

}  // namespace weir::db::postgres
