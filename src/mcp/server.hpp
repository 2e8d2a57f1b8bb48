// The MCP server's protocol: the initialize handshake and version negotiation, ping, and the
// tools (tools/list, tools/call), over any transport that hands it one message at a time.
// https://modelcontextprotocol.io/specification
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/tool.hpp"

namespace weir::mcp {

// The protocol revisions weir speaks, newest first: those the official TypeScript SDK 1.x
// client offers. A client asking for another one is answered with the newest.
std::span<const std::string_view> supported_protocol_versions();

struct ServerInfo {
  std::string name = "weir";
  std::string version;
  std::string instructions;  // told to the agent once, at initialize
};

class Server {
 public:
  Server(std::vector<Tool> tools, ServerInfo info);

  // The reply to one message from the client, or nothing for notifications and responses. Never
  // throws for what the client sent: a bad message gets a JSON-RPC error, a failing tool an
  // error result, and the server keeps serving.
  std::optional<std::string> handle(std::string_view line);

  // The revision agreed at initialize; empty before.
  const std::string& protocol_version() const noexcept { return protocol_version_; }

 private:
  nlohmann::json initialize(const nlohmann::json& params);
  nlohmann::json list_tools() const;
  nlohmann::json call_tool(const nlohmann::json& params);
  nlohmann::json answer(const std::string& method, const nlohmann::json& params);

  std::vector<Tool> tools_;
  ServerInfo info_;
  std::string protocol_version_;
};

}  // namespace weir::mcp
