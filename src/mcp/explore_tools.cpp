#include "mcp/explore_tools.hpp"

#include "explore/describe.hpp"
#include "explore/json.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/driver.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

constexpr std::size_t kSampleRows = 5;

json object_with(std::initializer_list<const char*> required) {
  return {{"type", "object"}, {"required", required}};
}

ToolOutput output(const explore::Json& shaped) {
  std::string text = shaped.dump(-1, ' ', false, explore::Json::error_handler_t::replace);
  return ToolOutput{json::parse(text), text};
}

}  // namespace

Tool list_remote_tables_tool(std::shared_ptr<SafeQueries> sessions) {
  Tool tool{
      .name = "list_remote_tables",
      .description = "Tables and views: schema, kind, estimated rows, last modified. table_pattern: SQL LIKE.",
      .input_schema = {{"type", "object"},
                       {"properties",
                        {{"connection_name", {{"type", "string"}}},
                         {"schema_filter", {{"type", "string"}}},
                         {"table_pattern", {{"type", "string"}}}}},
                       {"required", {"connection_name"}},
                       {"additionalProperties", false}},
      .output_schema = object_with({"connection", "tables"}),
      .annotations = read_only_hints(),
      .call = nullptr,
  };
  tool.call = [sessions](const json& arguments, const CallContext& context) {
    std::string name = arguments["connection_name"].get<std::string>();
    const db::Driver& driver = db::Registry::builtin().for_scheme(sessions->config(name).url.scheme);
    db::TableFilter filter{optional_string(arguments, "schema_filter"), optional_string(arguments, "table_pattern")};
    db::Connection& connection = sessions->connection(name);
    CancelOnStop cancel(connection, context.stop);
    std::vector<db::TableSummary> tables = driver.catalog().tables(connection, filter);
    // Tables of schemas the config keeps from agents are left out, as if not there.
    std::erase_if(tables, [&](const db::TableSummary& t) { return !sessions->schema_open(name, t.ref.schema); });
    return output(explore::tables_json(name, tables));
  };
  return tool;
}

Tool describe_remote_table_tool(std::shared_ptr<SafeQueries> sessions) {
  Tool tool{
      .name = "describe_remote_table",
      .description = "Columns (native, logical, DuckDB types), keys, foreign keys, unique constraints, "
                     "indexes, sample rows.",
      .input_schema = {{"type", "object"},
                       {"properties",
                        {{"connection_name", {{"type", "string"}}},
                         {"table_name", {{"type", "string"}}},
                         {"include_sample", {{"type", "boolean"}}}}},
                       {"required", {"connection_name", "table_name"}},
                       {"additionalProperties", false}},
      .output_schema = object_with({"connection", "name", "columns"}),
      .annotations = read_only_hints(),
      .call = nullptr,
  };
  tool.call = [sessions](const json& arguments, const CallContext& context) {
    std::string name = arguments["connection_name"].get<std::string>();
    const db::Driver& driver = db::Registry::builtin().for_scheme(sessions->config(name).url.scheme);
    std::size_t sample = arguments.value("include_sample", true) ? kSampleRows : 0;
    std::string table = arguments["table_name"].get<std::string>();
    sessions->check_table(name, db::TableRef::parse(table));
    db::Connection& connection = sessions->connection(name);
    CancelOnStop cancel(connection, context.stop);
    explore::TableDescription d =
        explore::describe_table(connection, driver, table, sample);
    return output(explore::description_json(name, d));
  };
  return tool;
}

}  // namespace weir::mcp
