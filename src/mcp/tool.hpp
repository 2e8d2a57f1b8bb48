// An MCP tool: its name, what the agent reads about it (description, JSON Schemas of its
// arguments and result, hints of what it does), and the call. Tools are thin faces over the
// library layers the CLI uses too, and return the same JSON shapes as its `--format json`.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace weir::mcp {

// What a call returns: the structured result (matching the tool's output schema) and its text
// rendering for clients that show only text.
struct ToolOutput {
  nlohmann::json structured;
  std::string text;
};

// What a running call has besides its arguments: whether the client still wants it (a stop is
// requested when the client cancels the call or goes away: a tool passes it on to the statement
// it runs), and a way to tell a client that asked for progress how far the call has got.
struct CallContext {
  std::stop_token stop;
  // `done` so far (rising with each report) of `total` when known; a no-op when the client asked
  // for no progress. Thread safe.
  std::function<void(double done, std::optional<double> total, std::string_view message)> progress =
      [](double, std::optional<double>, std::string_view) {};
};

struct Tool {
  std::string name;
  std::string description;
  nlohmann::json input_schema;
  nlohmann::json output_schema;
  nlohmann::json annotations;  // readOnlyHint, destructiveHint, idempotentHint, openWorldHint
  // Throws weir::Error for what the agent should read as a failed call (unknown table, SQL error).
  std::function<ToolOutput(const nlohmann::json& arguments, const CallContext& context)> call;
};

// Checks `arguments` against a tool's input schema (the subset weir's schemas use: an object's
// properties and required, additionalProperties: false, types string, integer, number,
// boolean, object, array, and enum). Throws RpcError{invalid_params} naming the argument.
void check_arguments(const nlohmann::json& schema, const nlohmann::json& arguments);

// The hints of a tool that only reads: read-only, idempotent, closed world (destructiveHint, which
// the protocol reads only for tools that write, is left out: every byte of the tool list counts).
nlohmann::json read_only_hints();

// The string member `name` of checked arguments, or "" when it is absent.
std::string optional_string(const nlohmann::json& arguments, const char* name);

}  // namespace weir::mcp
