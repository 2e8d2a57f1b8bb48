// JSON-RPC 2.0 as MCP's stdio and HTTP transports carry it: one message per line (per POST), each a
// request (has an id, wants a reply), a notification (no id) or a response to something the
// server asked. https://www.jsonrpc.org/specification
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace weir::mcp {

enum class RpcCode : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  // Implementation-defined (-32000 to -32099): a request the HTTP transport refuses before any
  // MCP handling (no session, a bad header, no token), as the SDK's own server answers them.
  transport_error = -32000,
};

// A message the server answers with a JSON-RPC error; `id` is the request's when it was read.
class RpcError : public std::runtime_error {
 public:
  RpcError(RpcCode code, const std::string& message);
  RpcCode code() const noexcept { return code_; }

 private:
  RpcCode code_;
};

struct Incoming {
  enum class Kind { request, notification, response };
  Kind kind = Kind::request;
  std::string method;                // empty for a response
  const nlohmann::json* id = nullptr;      // into `message`; null for a notification
  const nlohmann::json* params = nullptr;  // into `message`; null when absent
};

// Reads one line into `message` and says what it is. Throws RpcError: parse_error for text that
// is not JSON, invalid_request for JSON that is not a JSON-RPC 2.0 message (a batch array too:
// MCP 2025-06-18 removed batching). `request_id` receives the id when one could be read, so the
// error reply can carry it.
Incoming read_message(std::string_view line, nlohmann::json& message, nlohmann::json& request_id);

std::string result_message(const nlohmann::json& id, const nlohmann::json& result);
std::string error_message(const nlohmann::json& id, RpcCode code, std::string_view text);
std::string notification_message(std::string_view method, const nlohmann::json& params);

}  // namespace weir::mcp
