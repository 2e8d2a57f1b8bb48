#include "mcp/json_rpc.hpp"

#include <nlohmann/json.hpp>

namespace weir::mcp {

using nlohmann::json;

RpcError::RpcError(RpcCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

namespace {

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

Incoming read_message(std::string_view line, json& message, json& request_id) {
  request_id = nullptr;
  message = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) throw RpcError(RpcCode::parse_error, "the message is not JSON");
  if (message.is_array()) throw RpcError(RpcCode::invalid_request, "batches are not supported: send one message per line");
  if (!message.is_object()) throw RpcError(RpcCode::invalid_request, "a message must be a JSON object");
  auto id = message.find("id");
  if (id != message.end() && valid_id(*id)) request_id = *id;
  auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0")
    throw RpcError(RpcCode::invalid_request, "\"jsonrpc\" must be \"2.0\"");
  if (id != message.end() && !valid_id(*id))
    throw RpcError(RpcCode::invalid_request, "\"id\" must be a string or an integer");

  Incoming in;
  auto method = message.find("method");
  if (method == message.end()) {
    if (id == message.end() || (!message.contains("result") && !message.contains("error")))
      throw RpcError(RpcCode::invalid_request, "a message needs a \"method\", or an \"id\" and a \"result\" or \"error\"");
    in.kind = Incoming::Kind::response;
    in.id = &*id;
    return in;
  }
  if (!method->is_string()) throw RpcError(RpcCode::invalid_request, "\"method\" must be a string");
  in.method = method->get<std::string>();
  auto params = message.find("params");
  if (params != message.end()) {
    if (!params->is_object() && !params->is_array())
      throw RpcError(RpcCode::invalid_request, "\"params\" must be an object or an array");
    in.params = &*params;
  }
  in.kind = id == message.end() ? Incoming::Kind::notification : Incoming::Kind::request;
  if (id != message.end()) in.id = &*id;
  return in;
}

std::string result_message(const json& id, const json& result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_message(const json& id, RpcCode code, std::string_view text) {
  json error{{"code", static_cast<int>(code)}, {"message", text}};
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}}.dump(-1, ' ', false,
                                                                               json::error_handler_t::replace);
}

std::string notification_message(std::string_view method, const json& params) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}}.dump(-1, ' ', false,
                                                                              json::error_handler_t::replace);
}

}  // namespace weir::mcp
