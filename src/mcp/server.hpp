// The MCP server's protocol: the initialize handshake and version negotiation, ping, the tools
// (tools/list, tools/call), cancellation (notifications/cancelled) and progress
// (notifications/progress for a call whose _meta has a progressToken), over any transport that
// hands it one message at a time. https://modelcontextprotocol.io/specification
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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

// Sends one message to the client; the transport makes it safe from any thread.
using Send = std::function<void(const std::string& message)>;

class Server {
 public:
  Server(std::vector<Tool> tools, ServerInfo info);
  ~Server();

  // The reply to one message from the client, or nothing for notifications, responses and a
  // call the client cancelled (the protocol wants no reply then). Never throws for what the
  // client sent: a bad message gets a JSON-RPC error, a failing tool an error result, and the
  // server keeps serving. `send` carries the progress notifications of a call.
  std::optional<std::string> handle(std::string_view line, const Send& send = {});

  // What must not wait behind a running call, answered from the transport's reading thread:
  // ping (the reply goes through `send`) and notifications/cancelled (the call named is asked to
  // stop). False for any other message, which goes to handle() in turn. Thread safe.
  bool handle_at_once(std::string_view line, const Send& send);
  // The client went away: every running call is asked to stop, and any started later at once.
  // Thread safe.
  void end_session();
  // For each running call that asked for progress and reported none of its own this second, a
  // progress notification saying how long it has run (clients reset their timeouts on it).
  // The transport calls it a few times a second; thread safe.
  void heartbeat();

  // The revision agreed at initialize; empty before.
  const std::string& protocol_version() const noexcept { return protocol_version_; }

 private:
  nlohmann::json initialize(const nlohmann::json& params);
  nlohmann::json list_tools() const;
  struct Running;
  nlohmann::json call_tool(const nlohmann::json& id, const nlohmann::json& params, const Send& send);
  nlohmann::json answer(const nlohmann::json& id, const std::string& method, const nlohmann::json& params,
                        const Send& send);
  std::shared_ptr<Running> start_call(const nlohmann::json& id, const nlohmann::json& params, const Send& send);
  void end_call(const std::shared_ptr<Running>& running);
  std::vector<std::shared_ptr<Running>> running_calls();

  std::vector<Tool> tools_;
  ServerInfo info_;
  std::string protocol_version_;
  std::mutex running_mutex_;
  std::map<std::string, std::shared_ptr<Running>> running_;  // by request id, as JSON text
  std::set<std::string> cancelled_early_;  // requests cancelled before they started
  bool ended_ = false;
};

}  // namespace weir::mcp
