// Runs the official MCP TypeScript SDK client (tests/mcp/sdk_client.mjs over stdio,
// tests/mcp/sdk_http_client.mjs over Streamable HTTP; npm @modelcontextprotocol/sdk pinned in
// tests/mcp/package-lock.json) against `weir mcp`, for the MCP integration tests.
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

inline const std::string kMcpTokenCanary = "Canary-Token-9f2e61b04d";  // the HTTP tests' bearer token

// The JSON report a client script of tests/mcp prints for WEIR, CONFIG and `calls`, or null when
// it failed; checks the canaries (password, token) appear in none of its output.
inline nlohmann::json mcp_client_script(const std::string& script, const std::string& config,
                                        const std::vector<nlohmann::json>& calls, const std::string& working_dir,
                                        std::vector<std::string> env) {
  std::vector<std::string> argv{"node", std::string(WEIR_SOURCE_DIR) + "/tests/mcp/" + script, WEIR_BINARY, config};
  for (const nlohmann::json& call : calls) argv.push_back(call.dump());
  env.push_back("WEIR_TEST_CANARY_PW=" + kMcpCanary);
  auto r = run_program(argv, working_dir, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& canary : {kMcpCanary, kMcpTokenCanary}) {
    EXPECT_EQ(r.out.find(canary), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
  }
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

// The client's report (server info, tools, each call's result or error) for `weir --config
// CONFIG mcp FLAGS…` over stdio given `calls` (tests/mcp/sdk_client.mjs); null when the client
// failed.
inline nlohmann::json mcp_sdk_client(const std::string& config, const std::vector<nlohmann::json>& calls,
                                     const std::string& working_dir, const std::vector<std::string>& flags = {}) {
  std::vector<std::string> env;
  if (!flags.empty()) env.push_back("WEIR_TEST_MCP_ARGS=" + nlohmann::json(flags).dump());
  return mcp_client_script("sdk_client.mjs", config, calls, working_dir, env);
}

// The same over Streamable HTTP (tests/mcp/sdk_http_client.mjs): `weir --config CONFIG mcp --http
// 127.0.0.1:0`, with `token` as its bearer token (empty: none), plus the raw HTTP probes.
inline nlohmann::json mcp_http_client(const std::string& config, const std::vector<nlohmann::json>& calls,
                                      const std::string& working_dir, const std::string& token = kMcpTokenCanary) {
  std::vector<std::string> env;
  if (!token.empty()) env.push_back("WEIR_TEST_MCP_TOKEN=" + token);
  return mcp_client_script("sdk_http_client.mjs", config, calls, working_dir, env);
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
