// PostgreSQL's shared snapshots: one connection exports the snapshot its transaction sees
// (pg_export_snapshot(), or CREATE_REPLICATION_SLOT … SNAPSHOT 'export' on a replication
// connection), others import it, and every query of every importer then sees the same rows.
// The snapshot lives only while the exporting transaction stays open: import it everywhere
// before that transaction ends. Used by postgres_cdc's initial snapshot and weir sync's
// parallel ranges.
#pragma once

#include <string>
#include <string_view>

#include "weir/db/connection.hpp"

namespace weir::db {

// Whether `name` is what the server exports: hexadecimal digits and dashes
// ("00000003-00000002-1").
bool plain_snapshot_name(std::string_view name);

// Opens on `connection` a REPEATABLE READ, READ ONLY transaction and exports its snapshot;
// returns its name. The transaction stays open (the caller ends it once the importers have
// imported).
std::string export_snapshot(Connection& connection);

// Opens on `connection` a REPEATABLE READ, READ ONLY transaction seeing snapshot `name`.
// Throws Error{connection} when `name` is not a snapshot name (SET TRANSACTION SNAPSHOT
// takes no parameter: the name is checked before it goes into SQL), or the server's error.
void import_snapshot(Connection& connection, std::string_view name);

}  // namespace weir::db
