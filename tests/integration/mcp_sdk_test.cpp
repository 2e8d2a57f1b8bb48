// `weir mcp` driven by the official MCP TypeScript SDK client (tests/mcp/sdk_client.mjs, npm
// @modelcontextprotocol/sdk pinned in tests/mcp/package-lock.json): the handshake, the tool
// list and calls as a real agent's client makes them, the SDK checking each result against the
// tool's output schema.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"

namespace weir {
namespace {

using nlohmann::json;

class McpSdk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = test::mcp_sdk_missing(); !why.empty()) {
      if (test::running_under_ci()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }

  json client(const std::string& config, const std::vector<json>& calls) {
    return test::mcp_sdk_client(config, calls, dir_.path().string());
  }

  std::string config(const std::string& body) {
    std::string file = dir_.file("weir.yaml");
    std::ofstream(file) << body;
    return file;
  }

  test::TempDir dir_;
};

TEST_F(McpSdk, TheSdkClientConnectsListsTheToolsAndSeesEachConnectionsStatus) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string file = config("connections:\n"
                            "  local: \"sqlite:local.db\"\n"
                            "  shop: { url: \"" + *pg + "\" }\n"
                            "  gone: { url: \"postgres://app@127.0.0.1:1/shop\", password: { env: WEIR_TEST_CANARY_PW } }\n");
  json report = client(file, {json{{"name", "list_database_connections"}, {"arguments", json::object()}}});
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["server"]["name"], "weir");
  ASSERT_EQ(report["tools"].size(), 3u);
  const json& tool = report["tools"][0];
  EXPECT_EQ(tool["name"], "list_database_connections");
  EXPECT_EQ(tool["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(tool["annotations"]["destructiveHint"], false);

  const json& result = report["calls"][0]["result"];
  ASSERT_FALSE(result.is_null()) << report["calls"][0];
  EXPECT_EQ(result["isError"], false);
  const json& list = result["structuredContent"]["connections"];
  ASSERT_EQ(list.size(), 3u) << list;
  // In the config's name order.
  EXPECT_EQ(list[0]["name"], "gone");
  EXPECT_EQ(list[0]["type"], "postgres");
  EXPECT_EQ(list[0]["status"], "error");
  EXPECT_NE(list[0]["error_message"].get<std::string>().find("127.0.0.1"), std::string::npos) << list[0];
  EXPECT_EQ(list[1]["name"], "local");
  EXPECT_EQ(list[1]["type"], "sqlite");
  EXPECT_EQ(list[1]["status"], "connected");
  EXPECT_EQ(list[2]["name"], "shop");
  EXPECT_EQ(list[2]["status"], "connected");
  EXPECT_NE(result["content"][0]["text"].get<std::string>().find("local (sqlite,"), std::string::npos) << result;
}

TEST_F(McpSdk, AnUnknownToolOrABadArgumentIsAProtocolErrorAndTheServerKeepsServing) {
  std::string file = config("connections:\n  local: \"sqlite:local.db\"\n");
  json report = client(file, {json{{"name", "drop_everything"}, {"arguments", json::object()}},
                              json{{"name", "list_database_connections"}, {"arguments", {{"verbose", true}}}},
                              json{{"name", "list_database_connections"}, {"arguments", json::object()}}});
  ASSERT_EQ(report["calls"].size(), 3u);
  EXPECT_EQ(report["calls"][0]["error"]["code"], -32602) << report["calls"][0];
  EXPECT_NE(report["calls"][0]["error"]["message"].get<std::string>().find("unknown tool `drop_everything`"),
            std::string::npos);
  EXPECT_EQ(report["calls"][1]["error"]["code"], -32602) << report["calls"][1];
  EXPECT_NE(report["calls"][1]["error"]["message"].get<std::string>().find("unknown argument `verbose`"),
            std::string::npos);
  EXPECT_EQ(report["calls"][2]["result"]["structuredContent"]["connections"][0]["status"], "connected");
}

}  // namespace
}  // namespace weir
