// Runs the official MCP TypeScript SDK client (tests/mcp/sdk_client.mjs, npm
// @modelcontextprotocol/sdk pinned in tests/mcp/package-lock.json) against `weir mcp`, for the
// MCP integration tests.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace weir::test {

inline const std::string kMcpCanary = "Canary-Pw-7c1d0";  // in WEIR_TEST_CANARY_PW: never in any output

// Why the SDK client cannot run here, or empty when it can.
inline std::string mcp_sdk_missing() {
  std::filesystem::path sdk = std::filesystem::path(WEIR_SOURCE_DIR) / "tests/mcp/node_modules/@modelcontextprotocol/sdk";
  return std::filesystem::exists(sdk) ? ""
                                      : "the MCP SDK client is not installed (scripts/install-deps test runs npm ci in tests/mcp)";
}

// The client's report (server info, tools, each call's result or error) for `weir --config
// CONFIG mcp` given `calls`; null when the client failed. Checks the canary password appears in
// none of its output.
inline nlohmann::json mcp_sdk_client(const std::string& config, const std::vector<nlohmann::json>& calls,
                                     const std::string& working_dir) {
  std::vector<std::string> argv{"node", std::string(WEIR_SOURCE_DIR) + "/tests/mcp/sdk_client.mjs", WEIR_BINARY, config};
  for (const nlohmann::json& call : calls) argv.push_back(call.dump());
  auto r = run_program(argv, working_dir, {"WEIR_TEST_CANARY_PW=" + kMcpCanary});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(kMcpCanary), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(kMcpCanary), std::string::npos) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

// A test of `weir mcp` through the SDK client, in a folder of its own: skipped with the reason
// when the client is not installed, failed for it under CI=true.
class McpSdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = mcp_sdk_missing(); !why.empty()) {
      if (running_under_ci()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }

  // Writes `body` as the folder's weir.yaml; its path.
  std::string config(const std::string& body) {
    std::string file = dir_.file("weir.yaml");
    std::ofstream(file) << body;
    return file;
  }

  TempDir dir_;
};

}  // namespace weir::test
