// The MCP server's JSON-RPC reading (`weir mcp`, over stdio or HTTP): each line of the input is
// one message handed to Server::handle, on one server for the whole input (initialize, then
// calls), with a tool like the real ones (a schema with a required string, an integer and an
// enum). Invariants: handle never throws; a reply is one line (stdio frames by newlines) of a
// JSON-RPC 2.0 object with a result or an error; a request (a valid id and a method) gets a
// reply with its id, a notification none; and what a client sends never gets internal_error
// (-32603), which says the server broke. The tool is the unit tests' (tests/support/).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.hpp"
#include "mcp/json_rpc.hpp"
#include "mcp/server.hpp"
#include "../support/mcp_echo_tool.hpp"

namespace weir::fuzz {
namespace {

using nlohmann::json;

// The id of a message a server must answer (a JSON object, version 2.0, a string method and a
// string or integer id), or null.
json answerable_id(std::string_view line) {
  json message = json::parse(line.begin(), line.end(), nullptr, false);
  if (!message.is_object() || message.value("jsonrpc", json()) != "2.0") return nullptr;
  auto id = message.find("id");
  auto method = message.find("method");
  if (id == message.end() || method == message.end() || !method->is_string()) return nullptr;
  if (!id->is_string() && !id->is_number_integer()) return nullptr;
  return *id;
}

void check_line(mcp::Server& server, std::string_view line) {
  std::optional<std::string> reply;
  try {
    reply = server.handle(line);
  } catch (const std::exception& e) {
    require(false, fmt::format("handle threw: {}", e.what()));
  }
  const json id = answerable_id(line);
  if (!reply) {
    require(id.is_null(), fmt::format("no reply to a request: {}", line));
    return;
  }
  require(reply->find('\n') == std::string::npos, fmt::format("a reply of more than one line: {}", *reply));
  json r = json::parse(*reply, nullptr, false);
  require(r.is_object() && r.value("jsonrpc", json()) == "2.0", fmt::format("not a JSON-RPC reply: {}", *reply));
  require(r.contains("result") != r.contains("error"), fmt::format("neither or both result and error: {}", *reply));
  if (!id.is_null()) require(r["id"] == id, fmt::format("another id in {} for {}", *reply, line));
  if (r.contains("error")) {
    const json& code = r["error"]["code"];
    require(code.is_number_integer() && code != static_cast<int>(mcp::RpcCode::internal_error),
            fmt::format("a client's message broke the server: {} for {}", *reply, line));
  }
}

void check(std::string_view input) {
  mcp::Server server({mcp::test::echo_tool()}, mcp::ServerInfo{"weir", "0", "instructions"});
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    check_line(server, input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
