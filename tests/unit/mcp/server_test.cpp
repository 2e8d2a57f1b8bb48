// The MCP protocol layer (src/mcp/server.cpp, json_rpc.cpp, tool.cpp): what a client gets for
// each message, good or bad, with a tool made here.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp/server.hpp"
#include "weir/error.hpp"

namespace weir::mcp {
namespace {

using nlohmann::json;

Tool echo_tool() {
  return Tool{
      .name = "echo",
      .description = "Says the text again.",
      .input_schema = {{"type", "object"},
                       {"properties", {{"text", {{"type", "string"}}},
                                       {"times", {{"type", "integer"}}},
                                       {"mode", {{"type", "string"}, {"enum", {"plain", "loud"}}}}}},
                       {"required", {"text"}},
                       {"additionalProperties", false}},
      .output_schema = {{"type", "object"}, {"properties", {{"said", {{"type", "string"}}}}}},
      .annotations = {{"readOnlyHint", true}},
      .call =
          [](const json& args, const CallContext&) {
            std::string text = args["text"];
            if (text == "fail") throw Error(ErrorKind::syntax, "table `nope` does not exist");
            return ToolOutput{json{{"said", text}}, text};
          },
  };
}

json ask(Server& server, const std::string& line) {
  auto reply = server.handle(line);
  EXPECT_TRUE(reply.has_value()) << line;
  return reply ? json::parse(*reply) : json{};
}

TEST(McpServer, InitializeAgreesOnTheClientsVersionOrOffersTheNewest) {
  Server server({echo_tool()}, ServerInfo{"weir", "1.2.3", ""});
  json r = ask(server, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26",
      "capabilities":{},"clientInfo":{"name":"t","version":"0"}}})");
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-03-26");
  EXPECT_EQ(r["result"]["serverInfo"], (json{{"name", "weir"}, {"version", "1.2.3"}}));
  EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));

  Server other({}, ServerInfo{});
  r = ask(other, R"({"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"1999-01-01"}})");
  EXPECT_EQ(r["id"], "a");
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25");
}

TEST(McpServer, NotificationsGetNoAnswerAndPingAnEmptyResult) {
  Server server({}, ServerInfo{});
  EXPECT_FALSE(server.handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_FALSE(server.handle(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}})"));
  EXPECT_FALSE(server.handle(R"({"jsonrpc":"2.0","id":9,"result":{}})")) << "a response to the server";
  EXPECT_EQ(ask(server, R"({"jsonrpc":"2.0","id":7,"method":"ping"})"),
            (json{{"jsonrpc", "2.0"}, {"id", 7}, {"result", json::object()}}));
}

TEST(McpServer, ListsToolsWithTheirSchemasAndHints) {
  Server server({echo_tool()}, ServerInfo{});
  json tools = ask(server, R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})")["result"]["tools"];
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0]["name"], "echo");
  EXPECT_EQ(tools[0]["inputSchema"]["required"], json::array({"text"}));
  EXPECT_EQ(tools[0]["outputSchema"]["properties"]["said"]["type"], "string");
  EXPECT_EQ(tools[0]["annotations"]["readOnlyHint"], true);
}

TEST(McpServer, ACallReturnsStructuredContentAndItsText) {
  Server server({echo_tool()}, ServerInfo{});
  json r = ask(server, R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})");
  EXPECT_EQ(r["result"]["structuredContent"], (json{{"said", "hi"}}));
  EXPECT_EQ(r["result"]["content"], json::parse(R"([{"type":"text","text":"hi"}])"));
  EXPECT_EQ(r["result"]["isError"], false);
}

TEST(McpServer, AFailingToolIsAToolErrorWithOneLineAndTheServerGoesOn) {
  Server server({echo_tool()}, ServerInfo{});
  json r = ask(server, R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"fail"}}})");
  EXPECT_FALSE(r.contains("error"));
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_EQ(r["result"]["content"][0]["text"], "syntax error: table `nope` does not exist");
  EXPECT_EQ(ask(server, R"({"jsonrpc":"2.0","id":5,"method":"ping"})")["result"], json::object());
}

TEST(McpServer, BadArgumentsAreInvalidParamsNamingTheArgument) {
  Server server({echo_tool()}, ServerInfo{});
  auto error_of = [&](const std::string& arguments) {
    json r = ask(server, R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":)" +
                             arguments + "}}");
    EXPECT_EQ(r["error"]["code"], -32602) << r;
    return r["error"]["message"].get<std::string>();
  };
  EXPECT_EQ(error_of("{}"), "argument `text` is required");
  EXPECT_EQ(error_of(R"({"text":5})"), "argument `text` must be of type string, not number");
  EXPECT_EQ(error_of(R"({"text":"a","times":"2"})"), "argument `times` must be of type integer, not string");
  EXPECT_EQ(error_of(R"({"text":"a","mode":"soft"})"), R"(argument `mode` must be one of ["plain","loud"])");
  EXPECT_EQ(error_of(R"({"text":"a","colour":"red"})"), "unknown argument `colour`");
  EXPECT_EQ(error_of(R"([1])"), "\"arguments\" must be an object");
  json r = ask(server, R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"drop_everything"}})");
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_EQ(r["error"]["message"], "unknown tool `drop_everything`");
}

TEST(McpServer, MalformedMessagesGetJsonRpcErrorsWithTheIdWhenKnown) {
  Server server({echo_tool()}, ServerInfo{});
  json r = ask(server, "{not json");
  EXPECT_EQ(r["error"]["code"], -32700);
  EXPECT_TRUE(r["id"].is_null());
  r = ask(server, R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(r["error"]["code"], -32600);
  r = ask(server, R"({"id":11,"method":"ping"})");
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(r["id"], 11) << "the id is read before the message is refused";
  r = ask(server, R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})");
  EXPECT_EQ(r["error"]["code"], -32600);
  r = ask(server, R"({"jsonrpc":"2.0","id":12,"method":"resources/list"})");
  EXPECT_EQ(r["error"]["code"], -32601);
  EXPECT_EQ(r["error"]["message"], "method `resources/list` is not supported");
  r = ask(server, R"({"jsonrpc":"2.0","id":13,"method":"ping","params":"x"})");
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(ask(server, R"({"jsonrpc":"2.0","id":14,"method":"ping"})")["result"], json::object());
}

}  // namespace
}  // namespace weir::mcp
