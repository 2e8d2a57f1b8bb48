// `weir query "SQL" --into CONN.TABLE`: a statement's rows stored in a new table of a
// connection. The table is created as weir sync creates its targets (db::create_table_sql: the
// types the connection's dialect gives each column; a column SQLite computed takes the type of
// its first values, text when they are all NULL) and filled by the driver's bulk writer, all in
// one transaction: on an error no row stays, and the table is dropped again (MySQL commits its
// CREATE TABLE at once).
#pragma once

#include <cstdint>

#include "weir/db/catalog.hpp"
#include "weir/db/driver.hpp"

namespace weir::query {

// Reads `rows` to the end into `table` of the connection `target`; returns how many. Throws
// Error{config}, before anything reaches the server, for a read-only connection, and for a
// table that already exists.
std::uint64_t store_result(db::Cursor& rows, const db::ConnectionConfig& target, const db::TableRef& table);

}  // namespace weir::query
