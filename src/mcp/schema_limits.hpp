// Which schemas an agent on a connection sees and reads: the `allowed_schemas` and
// `denied_schemas` of its `mcp:` block (src/mcp/query_limits.cpp). The catalog tools check the
// table they are given; `query` checks the relations PostgreSQL's plan reads (EXPLAIN VERBOSE
// names each scanned relation with its schema, views expanded), and is refused on MySQL and
// SQLite connections whose schemas are limited: their plans do not say which schema a view reads.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "mcp/query_limits.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/connection.hpp"

namespace weir::mcp {

// Whether the block limits schemas at all.
bool schemas_limited(const QueryLimits& limits);

// Whether the tables of `schema` are open to agents under `limits`.
bool schema_open(const QueryLimits& limits, std::string_view schema);

// Throws Error{permission} "schema `x` is not open to agents on connection `c`" unless it is.
void refuse_closed_schema(const QueryLimits& limits, const std::string& connection, const std::string& schema);

// The schema `table` names, or for an unqualified name the one the connection resolves it to
// (PostgreSQL: its search_path, MySQL: the current database, SQLite: main).
std::string schema_of(db::Connection& connection, const db::TableRef& table);

// Throws Error{permission} when a relation a PostgreSQL plan (EXPLAIN (VERBOSE, FORMAT JSON),
// parsed) reads lies in a schema not open under `limits`.
void refuse_closed_relations(const QueryLimits& limits, const std::string& connection, const nlohmann::json& plan);

// Refuses `statement` on a connection whose schemas are limited when it reads a table of a
// closed schema: by its plan on PostgreSQL (a leading EXPLAIN is refused, SHOW passes); every
// statement elsewhere. Throws Error{permission}, and the database's errors from EXPLAIN.
void refuse_closed_schemas(db::Connection& connection, const QueryLimits& limits, const std::string& name,
                           const std::string& statement);

}  // namespace weir::mcp
