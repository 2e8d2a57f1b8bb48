// `weir mcp` driven by the official MCP TypeScript SDK client (tests/mcp/sdk_client.mjs, npm
// @modelcontextprotocol/sdk pinned in tests/mcp/package-lock.json): the handshake, the tool
// list and calls as a real agent's client makes them, the SDK checking each result against the
// tool's output schema.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "support/test_support.hpp"

namespace weir {
namespace {

using nlohmann::json;

const std::string kCanary = "Canary-Pw-7c1d0";

class McpSdk : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::path modules = std::filesystem::path(WEIR_SOURCE_DIR) / "tests/mcp/node_modules/@modelcontextprotocol/sdk";
    if (!std::filesystem::exists(modules)) {
      std::string why = "the MCP SDK client is not installed (scripts/install-deps test runs npm ci in tests/mcp)";
      if (test::running_under_ci()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }

  // Runs the SDK client against `weir --config CONFIG mcp` with the calls given; its report.
  json client(const std::string& config, const std::vector<json>& calls) {
    std::vector<std::string> argv{"node", std::string(WEIR_SOURCE_DIR) + "/tests/mcp/sdk_client.mjs", WEIR_BINARY, config};
    for (const json& call : calls) argv.push_back(call.dump());
    auto r = test::run_program(argv, dir_.path().string(), {"WEIR_TEST_CANARY_PW=" + kCanary});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(kCanary), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(kCanary), std::string::npos) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json{};
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
  ASSERT_EQ(report["tools"].size(), 1u);
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
