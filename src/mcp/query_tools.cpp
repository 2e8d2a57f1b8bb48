#include "mcp/query_tools.hpp"

#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

// The required keys only (and `cursor` when truncated): every byte of the tool list is paid for.
json page_schema() { return {{"type", "object"}, {"required", {"columns", "rows", "row_count", "truncated"}}}; }

json annotations(const SafeQueries& queries) {
  bool writes = queries.any_writable();
  if (!writes) return read_only_hints();
  return {{"readOnlyHint", false}, {"destructiveHint", true}, {"idempotentHint", false}, {"openWorldHint", false}};
}

// The structured page, and the same JSON as text for clients that show only text.
ToolOutput output(json page) {
  std::string text = page.dump(-1, ' ', false, json::error_handler_t::replace);
  return ToolOutput{std::move(page), std::move(text)};
}

std::string required_string(const json& arguments, const char* name) {
  auto it = arguments.find(name);
  if (it == arguments.end() || !it->is_string() || it->get<std::string>().empty())
    throw Error(ErrorKind::config, std::string("give `") + name + "`, or a `cursor` to read on");
  return it->get<std::string>();
}

}  // namespace

Tool query_tool(std::shared_ptr<SafeQueries> queries) {
  Tool tool{
      .name = "query",
      .description = "One SQL statement on a connection (read-only: reads only); without connection_name, over "
                     "several (connection.table). Paged: pass a truncated page's cursor alone for the next.",
      .input_schema = {{"type", "object"},
                       {"properties",
                        {{"sql", {{"type", "string"}}},
                         {"connection_name", {{"type", "string"}}},
                         {"max_rows", {{"type", "integer"}}},
                         {"cursor", {{"type", "string"}}}}},
                       {"additionalProperties", false}},
      .output_schema = page_schema(),
      .annotations = annotations(*queries),
      .call = nullptr,
  };
  tool.call = [queries](const json& arguments, const CallContext& context) {
    std::optional<std::size_t> max_rows;
    if (auto it = arguments.find("max_rows"); it != arguments.end()) {
      if (it->get<std::int64_t>() < 1) throw Error(ErrorKind::config, "`max_rows` must be at least 1");
      max_rows = it->get<std::size_t>();
    }
    if (auto it = arguments.find("cursor"); it != arguments.end())
      return output(queries->next_page(it->get<std::string>(), max_rows, context.stop));
    std::string sql = required_string(arguments, "sql");
    if (!arguments.contains("connection_name")) return output(queries->query_across(sql, max_rows, context.stop));
    return output(queries->query(required_string(arguments, "connection_name"), sql, max_rows, context.stop));
  };
  return tool;
}

Tool explain_query_tool(std::shared_ptr<SafeQueries> queries) {
  Tool tool{
      .name = "explain_query",
      .description = "A statement's plan, not running it.",
      .input_schema = {{"type", "object"},
                       {"properties", {{"sql", {{"type", "string"}}}, {"connection_name", {{"type", "string"}}}}},
                       {"required", {"sql", "connection_name"}},
                       {"additionalProperties", false}},
      .output_schema = {{"type", "object"}, {"required", {"columns", "rows"}}},  // query's page, never truncated
      .annotations = read_only_hints(),
      .call = nullptr,
  };
  tool.call = [queries](const json& arguments, const CallContext& context) {
    return output(queries->explain(arguments["connection_name"].get<std::string>(), arguments["sql"].get<std::string>(),
                                   context.stop));
  };
  return tool;
}

}  // namespace weir::mcp
