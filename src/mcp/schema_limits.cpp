#include "mcp/schema_limits.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "mcp/statement_classifier.hpp"
#include "weir/batch.hpp"
#include "weir/db/dialect.hpp"
#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

bool schemas_limited(const QueryLimits& limits) {
  return !limits.allowed_schemas.empty() || !limits.denied_schemas.empty();
}

bool schema_open(const QueryLimits& limits, std::string_view schema) {
  std::string name(schema);
  if (limits.denied_schemas.contains(name)) return false;
  return limits.allowed_schemas.empty() || limits.allowed_schemas.contains(name);
}

void refuse_closed_schema(const QueryLimits& limits, const std::string& connection, const std::string& schema) {
  if (!schema_open(limits, schema))
    throw Error(ErrorKind::permission,
                fmt::format("schema `{}` is not open to agents on connection `{}`", schema, connection));
}

std::string schema_of(db::Connection& connection, const db::TableRef& table) {
  if (!table.schema.empty()) return table.schema;
  std::string sql;
  std::vector<Value> parameters;
  switch (sql_family(connection.dialect().name())) {
    case SqlFamily::sqlite: return "main";
    case SqlFamily::mysql: sql = "SELECT DATABASE()"; break;
    case SqlFamily::postgres:
      // The schema the name resolves to through the search_path; the first one when it does not resolve.
      sql = "SELECT coalesce((SELECT n.nspname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.to_regclass($1::text)), current_schema()::text)";
      parameters.emplace_back(connection.dialect().quote_table(table));
      break;
  }
  auto cursor = connection.query(sql, parameters);
  Batch batch;
  if (!cursor->next(batch, 1) || batch.at(0, 0).is_null())
    throw Error(ErrorKind::permission, fmt::format("the schema of `{}` is unknown: not open to agents", table.name));
  std::string schema = batch.at(0, 0).to_text();
  while (cursor->next(batch, 16)) {
  }
  return schema;
}

namespace {

void check_nodes(const QueryLimits& limits, const std::string& connection, const json& node) {
  if (node.is_object()) {
    auto schema = node.find("Schema");
    if (schema != node.end() && schema->is_string() && node.contains("Relation Name"))
      refuse_closed_schema(limits, connection, schema->get<std::string>());
  }
  if (node.is_structured())
    for (const json& member : node) check_nodes(limits, connection, member);
}

}  // namespace

void refuse_closed_relations(const QueryLimits& limits, const std::string& connection, const json& plan) {
  if (schemas_limited(limits)) check_nodes(limits, connection, plan);
}

// Refuses a statement reading a table of a schema the connection's config keeps from agents:
// PostgreSQL's plan names each relation it reads with its schema (views expanded); other
// databases' plans do not, so a connection whose schemas are limited refuses every statement.
void refuse_closed_schemas(db::Connection& connection, const QueryLimits& limits, const std::string& name,
                           const std::string& statement) {
  if (!schemas_limited(limits)) return;
  if (sql_family(connection.dialect().name()) != SqlFamily::postgres)
    throw Error(ErrorKind::permission,
                fmt::format("connection `{}` limits its schemas, which weir checks through PostgreSQL's plan only: "
                            "no query is open to agents on it",
                            name));
  std::string verb = statement.substr(0, statement.find_first_of(" \t\r\n("));
  if (iequals(verb, "SHOW")) return;
  if (iequals(verb, "EXPLAIN"))
    throw Error(ErrorKind::permission, fmt::format("connection `{}` limits its schemas: send the statement without "
                                                   "EXPLAIN to explain_query",
                                                   name));
  auto cursor = connection.query("EXPLAIN (VERBOSE, FORMAT JSON) " + statement);
  Batch batch;
  while (cursor->next(batch, 16))
    for (std::size_t r = 0; r < batch.rows(); ++r)
      refuse_closed_relations(limits, name, json::parse(batch.at(r, 0).to_text()));
}

}  // namespace weir::mcp
