#include "mcp/server.hpp"

#include <fmt/format.h>

#include <array>

#include "mcp/json_rpc.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {

using nlohmann::json;

std::span<const std::string_view> supported_protocol_versions() {
  static constexpr std::array<std::string_view, 4> versions{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
  return versions;
}

Server::Server(std::vector<Tool> tools, ServerInfo info) : tools_(std::move(tools)), info_(std::move(info)) {}

json Server::initialize(const json& params) {
  // Another type than a string is the client's mistake, not the server's (json::value threw
  // type_error, answered as internal_error).
  auto asked = params.find("protocolVersion");
  if (asked != params.end() && !asked->is_string())
    throw RpcError(RpcCode::invalid_params, "\"protocolVersion\" must be a string");
  const std::string wanted = asked == params.end() ? std::string() : asked->get<std::string>();
  protocol_version_ = std::string(supported_protocol_versions().front());
  for (std::string_view version : supported_protocol_versions())
    if (version == wanted) protocol_version_ = wanted;
  json result{{"protocolVersion", protocol_version_},
              {"capabilities", {{"tools", {{"listChanged", false}}}}},
              {"serverInfo", {{"name", info_.name}, {"version", info_.version}}}};
  if (!info_.instructions.empty()) result["instructions"] = info_.instructions;
  return result;
}

json Server::list_tools() const {
  json tools = json::array();
  for (const Tool& tool : tools_) {
    json entry{{"name", tool.name}, {"description", tool.description}, {"inputSchema", tool.input_schema}};
    if (!tool.output_schema.is_null()) entry["outputSchema"] = tool.output_schema;
    if (!tool.annotations.is_null()) entry["annotations"] = tool.annotations;
    tools.push_back(std::move(entry));
  }
  return json{{"tools", std::move(tools)}};
}

json Server::call_tool(const json& params) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) throw RpcError(RpcCode::invalid_params, "tools/call needs a tool \"name\"");
  const Tool* tool = nullptr;
  for (const Tool& t : tools_)
    if (t.name == name->get<std::string>()) tool = &t;
  if (!tool) throw RpcError(RpcCode::invalid_params, fmt::format("unknown tool `{}`", name->get<std::string>()));
  json arguments = params.value("arguments", json::object());
  check_arguments(tool->input_schema, arguments);
  try {
    ToolOutput output = tool->call(arguments);
    json result{{"content", json::array({{{"type", "text"}, {"text", output.text}}})}, {"isError", false}};
    if (!output.structured.is_null()) result["structuredContent"] = std::move(output.structured);
    return result;
  } catch (const Error& e) {
    // A failed call is the agent's to read and act on, not a protocol error.
    std::string text = fmt::format("{} error: {}", to_string(e.kind()), redact(e.what()));
    return json{{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
  }
}

json Server::answer(const std::string& method, const json& params) {
  if (method == "initialize") return initialize(params);
  if (method == "ping") return json::object();
  if (method == "tools/list") return list_tools();
  if (method == "tools/call") return call_tool(params);
  throw RpcError(RpcCode::method_not_found, fmt::format("method `{}` is not supported", method));
}

std::optional<std::string> Server::handle(std::string_view line) {
  json message, id;
  try {
    Incoming in = read_message(line, message, id);
    if (in.kind != Incoming::Kind::request) return std::nullopt;  // notifications need no answer
    static const json no_params = json::object();
    const json& params = in.params && in.params->is_object() ? *in.params : no_params;
    return result_message(*in.id, answer(in.method, params));
  } catch (const RpcError& e) {
    return error_message(id, e.code(), e.what());
  } catch (const Error& e) {
    return error_message(id, RpcCode::internal_error, fmt::format("{} error: {}", to_string(e.kind()), redact(e.what())));
  } catch (const std::exception& e) {
    log::error(fmt::format("mcp: internal error answering a request: {}", redact(e.what())));
    return error_message(id, RpcCode::internal_error, "internal error");
  }
}

}  // namespace weir::mcp
