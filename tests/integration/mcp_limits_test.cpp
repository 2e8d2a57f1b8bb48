// The `mcp:` block of a connection in the config file (src/mcp/query_limits.cpp): page caps by
// rows and bytes, functions denied on any connection (through views too on PostgreSQL) and
// volatile functions allowed by name on a read-only one, driven by the official MCP SDK client
// against a real PostgreSQL; a wrong value is a config error naming its YAML path.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"

namespace weir {
namespace {

using nlohmann::json;

json query(const std::string& connection, const std::string& sql, json extra = json::object()) {
  json arguments{{"connection_name", connection}, {"sql", sql}};
  arguments.update(extra);
  return json{{"name", "query"}, {"arguments", arguments}};
}

class McpLimits : public test::McpSdkTest {};

TEST_F(McpLimits, EachConnectionsMcpBlockCapsItsPagesAndDeniesOrAllowsFunctions) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script(
      "CREATE OR REPLACE FUNCTION mcpx_volatile_answer() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 42';"
      "CREATE OR REPLACE VIEW mcpx_upper_view AS SELECT upper(g::text) AS u FROM generate_series(1, 2) g;");
  std::string file = config("connections:\n"
                            "  plain: \"" + *pg + "\"\n"
                            "  capped: { url: \"" + *pg + "\", mcp: { max_rows: 3 } }\n"
                            "  narrow: { url: \"" + *pg + "\", mcp: { max_bytes: 1024 } }\n"
                            "  strict: { url: \"" + *pg + "\", mcp: { denied_functions: [UPPER], "
                            "allowed_functions: [MCPX_Volatile_Answer] } }\n"
                            "  strict_rw: { url: \"" + *pg + "\", read_only: false, mcp: { denied_functions: upper } }\n");
  json report = test::mcp_sdk_client(
      file,
      {query("capped", "SELECT g FROM generate_series(1, 10) g", {{"max_rows", 5}}),
       query("plain", "SELECT g FROM generate_series(1, 10) g", {{"max_rows", 5}}),
       query("narrow", "SELECT repeat('x', 300) AS w FROM generate_series(1, 10)"),
       query("strict", "SELECT upper('a') AS u"), query("strict", "SELECT * FROM mcpx_upper_view"),
       query("strict_rw", "SELECT Upper ('a') AS u"), query("plain", "SELECT upper('a') AS u"),
       query("plain", "SELECT mcpx_volatile_answer() AS answer"),
       query("strict", "SELECT mcpx_volatile_answer() AS answer")},
      dir_.path().string());
  json calls = report["calls"];
  ASSERT_EQ(calls.size(), 9u) << report;
  auto page = [&](std::size_t i) { return calls[i]["result"]["structuredContent"]; };
  auto text = [&](std::size_t i) { return calls[i]["result"]["content"][0]["text"].get<std::string>(); };
  // max_rows: 3 holds an agent asking for 5; the default (100) does not.
  EXPECT_EQ(page(0)["row_count"], 3) << calls[0];
  EXPECT_EQ(page(0)["truncated"], true);
  EXPECT_EQ(page(1)["row_count"], 5) << calls[1];
  // max_bytes: 1024 holds three rows of ~310 bytes.
  EXPECT_EQ(page(2)["row_count"], 3) << calls[2];
  EXPECT_EQ(page(2)["truncated"], true);
  const std::string denied = "permission error: `upper()` is denied on this connection (its mcp.denied_functions in the config)";
  EXPECT_EQ(text(3), denied);
  EXPECT_EQ(text(4), denied) << "through the view, by its plan";
  EXPECT_EQ(text(5), denied) << "on a writable connection too";
  EXPECT_EQ(page(6)["rows"], json::parse(R"([{"u": "A"}])")) << calls[6];
  EXPECT_EQ(text(7),
            "permission error: `mcpx_volatile_answer()` is a volatile function, which may change something: not on a "
            "read-only connection (allow it by name in the config if it does not)");
  EXPECT_EQ(page(8)["rows"], json::parse(R"([{"answer": 42}])")) << calls[8];
}

TEST_F(McpLimits, AWrongValueInTheMcpBlockIsAConfigErrorNamingItsPath) {
  std::string file = config("connections:\n  local: { url: \"sqlite:local.db\", mcp: { max_rows: 0, max_row: 5 } }\n");
  auto r = test::run_weir({"--config", file, "mcp"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("connections.local.mcp.max_rows"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean `max_rows`"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace weir
