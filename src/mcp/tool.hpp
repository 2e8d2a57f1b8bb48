// An MCP tool: its name, what the agent reads about it (description, JSON Schemas of its
// arguments and result, hints of what it does), and the call. Tools are thin faces over the
// library layers the CLI uses too, and return the same JSON shapes as its `--format json`.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace weir::mcp {

// What a call returns: the structured result (matching the tool's output schema) and its text
// rendering for clients that show only text.
struct ToolOutput {
  nlohmann::json structured;
  std::string text;
};

struct Tool {
  std::string name;
  std::string description;
  nlohmann::json input_schema;
  nlohmann::json output_schema;
  nlohmann::json annotations;  // readOnlyHint, destructiveHint, idempotentHint, openWorldHint
  // Throws weir::Error for what the agent should read as a failed call (unknown table, SQL error).
  std::function<ToolOutput(const nlohmann::json& arguments)> call;
};

// Checks `arguments` against a tool's input schema (the subset weir's schemas use: an object's
// properties and required, additionalProperties: false, types string, integer, number,
// boolean, object, array, and enum). Throws RpcError{invalid_params} naming the argument.
void check_arguments(const nlohmann::json& schema, const nlohmann::json& arguments);

// The string member `name` of checked arguments, or "" when it is absent.
std::string optional_string(const nlohmann::json& arguments, const char* name);

}  // namespace weir::mcp
