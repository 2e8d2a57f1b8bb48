// `weir mcp` driven by the official MCP TypeScript SDK client (tests/mcp/sdk_client.mjs, npm
// @modelcontextprotocol/sdk pinned in tests/mcp/package-lock.json): the handshake, the tool
// list and calls as a real agent's client makes them, the SDK checking each result against the
// tool's output schema.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"

namespace weir {
namespace {

using nlohmann::json;

class McpSdk : public test::McpSdkTest {
 protected:
  json client(const std::string& config, const std::vector<json>& calls) {
    return test::mcp_sdk_client(config, calls, dir_.path().string());
  }

  // An agent's connections are read-only: a SQLite file must exist to be opened.
  void make_sqlite(const std::string& name) { test::open_sqlite(dir_.file(name)); }
};

TEST_F(McpSdk, TheSdkClientConnectsListsTheToolsAndSeesEachConnectionsStatus) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  test::open_sqlite(dir_.file("local.db"))->execute_script("CREATE TABLE a (x INTEGER); CREATE VIEW b AS SELECT x FROM a;");
  std::string file = config("connections:\n"
                            "  local: \"sqlite:local.db\"\n"
                            "  missing: \"sqlite:missing.db\"\n"
                            "  shop: { url: \"" + *pg + "\" }\n"
                            "  gone: { url: \"postgres://app@127.0.0.1:1/shop\", password: { env: WEIR_TEST_CANARY_PW } }\n");
  auto query = [](const std::string& connection) {
    return json{{"name", "query"}, {"arguments", {{"connection_name", connection}, {"sql", "SELECT 1 AS one"}}}};
  };
  const json list_call{{"name", "list_database_connections"}, {"arguments", json::object()}};
  json report = client(file, {query("local"), query("gone"), query("missing"), list_call, query("shop"), list_call});
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["server"]["name"], "weir");
  ASSERT_EQ(report["tools"].size(), 7u);
  const json& tool = report["tools"][1];
  EXPECT_EQ(tool["name"], "list_database_connections");
  EXPECT_EQ(tool["annotations"]["readOnlyHint"], true);
  // destructiveHint is for tools that write; left out here, as every byte of the list counts.
  EXPECT_EQ(tool["annotations"], json::parse(R"({"readOnlyHint": true, "idempotentHint": true, "openWorldHint": false})"));
  EXPECT_EQ(report["calls"][1]["result"]["isError"], true) << report["calls"][1];
  EXPECT_EQ(report["calls"][2]["result"]["isError"], true) << report["calls"][2];

  const json& result = report["calls"][3]["result"];
  ASSERT_FALSE(result.is_null()) << report["calls"][3];
  EXPECT_EQ(result["isError"], false);
  const json& list = result["structuredContent"]["connections"];
  ASSERT_EQ(list.size(), 4u) << list;
  // In the config's name order. `error`: opening it failed when a tool used it, with that line.
  EXPECT_EQ(list[0]["name"], "gone");
  EXPECT_EQ(list[0]["type"], "postgres");
  EXPECT_EQ(list[0]["status"], "error");
  EXPECT_NE(list[0]["error_message"].get<std::string>().find("127.0.0.1"), std::string::npos) << list[0];
  EXPECT_FALSE(list[0].contains("table_count")) << list[0];
  // `connected`: the session the query used is live (it answered a ping).
  EXPECT_EQ(list[1]["name"], "local");
  EXPECT_EQ(list[1]["type"], "sqlite");
  EXPECT_EQ(list[1]["status"], "connected");
  EXPECT_FALSE(list[1].contains("error_message")) << list[1];
  // Tables and views an agent may see; when a tool last ran a statement there (the query above).
  EXPECT_EQ(list[1]["table_count"], 2) << list[1];
  EXPECT_TRUE(list[1]["last_used"].is_string()) << list[1];
  EXPECT_EQ(list[1]["last_used"].get<std::string>().size(), std::string("2026-12-07T05:30:00Z").size()) << list[1];
  // Read-only for an agent: opening a SQLite file that is not there does not create it.
  EXPECT_EQ(list[2]["name"], "missing");
  EXPECT_EQ(list[2]["status"], "error");
  EXPECT_NE(list[2]["error_message"].get<std::string>().find("missing.db"), std::string::npos) << list[2];
  EXPECT_FALSE(std::filesystem::exists(dir_.file("missing.db")));
  // `disconnected`: nothing has used it yet, and listing does not open it.
  EXPECT_EQ(list[3]["name"], "shop");
  EXPECT_EQ(list[3]["status"], "disconnected");
  EXPECT_FALSE(list[3].contains("error_message")) << list[3];
  EXPECT_FALSE(list[3].contains("table_count")) << list[3];
  EXPECT_TRUE(list[3]["last_used"].is_null()) << list[3];
  EXPECT_NE(result["content"][0]["text"].get<std::string>().find("local (sqlite,"), std::string::npos) << result;
  EXPECT_NE(result["content"][0]["text"].get<std::string>().find("shop (postgres,"), std::string::npos) << result;

  // Once a query used it, it is connected, and its tables are counted.
  const json& after = report["calls"][5]["result"]["structuredContent"]["connections"];
  ASSERT_EQ(after.size(), 4u) << report["calls"][5];
  EXPECT_EQ(after[3]["status"], "connected") << after[3];
  EXPECT_TRUE(after[3]["table_count"].is_number_integer()) << after[3];
  EXPECT_TRUE(after[3]["last_used"].is_string()) << after[3];
  EXPECT_EQ(after[0]["status"], "error") << after[0];
}

// A live session that stops answering (its backend ended by another one) is an error the
// listing finds with its ping, until a tool opens it again.
TEST_F(McpSdk, AConnectionLostSinceItsLastUseIsAnErrorUntilAToolOpensItAgain) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string shop = *pg + (pg->find('?') == std::string::npos ? "?" : "&") + "application_name=weir_mcp_lost";
  std::string file = config("connections:\n  admin: { url: \"" + *pg + "\", read_only: false }\n  shop: \"" + shop + "\"\n");
  auto query = [](const std::string& connection, const std::string& sql) {
    return json{{"name", "query"}, {"arguments", {{"connection_name", connection}, {"sql", sql}}}};
  };
  const json list_call{{"name", "list_database_connections"}, {"arguments", json::object()}};
  json report = client(
      file, {query("shop", "SELECT 1 AS one"), list_call,
             query("admin", "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity "
                            "WHERE application_name = 'weir_mcp_lost' AND pid <> pg_backend_pid()"),
             list_call, list_call, query("shop", "SELECT 2 AS two"), list_call});
  ASSERT_EQ(report["calls"].size(), 7u) << report;
  auto shop_entry = [&](std::size_t call) { return report["calls"][call]["result"]["structuredContent"]["connections"][1]; };
  EXPECT_EQ(shop_entry(1)["status"], "connected") << report["calls"][1];
  EXPECT_EQ(report["calls"][2]["result"]["structuredContent"]["rows"][0]["ended"], 1) << report["calls"][2];
  EXPECT_EQ(shop_entry(3)["status"], "error") << report["calls"][3];
  EXPECT_FALSE(shop_entry(3)["error_message"].get<std::string>().empty()) << report["calls"][3];
  // Still an error on the next look (nothing reopens it but a tool), with the same line.
  EXPECT_EQ(shop_entry(4)["status"], "error") << report["calls"][4];
  EXPECT_EQ(shop_entry(4)["error_message"], shop_entry(3)["error_message"]);
  EXPECT_EQ(report["calls"][5]["result"]["structuredContent"]["rows"][0]["two"], 2) << report["calls"][5];
  EXPECT_EQ(shop_entry(6)["status"], "connected") << report["calls"][6];
  EXPECT_FALSE(shop_entry(6).contains("error_message")) << report["calls"][6];
}

// A session keeps its read-only transaction while a truncated result's cursor may read on (it
// lists as connected, unchecked: nothing is sent on it then), and ends it when the result is
// done: ROLLBACK is sent without waiting for its answer, yet the server ends the transaction
// without waiting for the session's next use.
TEST_F(McpSdk, ASessionHoldsItsSnapshotOnlyWhileAResultIsOpen) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  // Waits (up to 5 s) for the session to leave its transaction; its state then.
  db->connection->execute_script(
      "CREATE OR REPLACE FUNCTION weir_test_wait_idle(app text) RETURNS text LANGUAGE plpgsql AS $$ "
      "DECLARE s text; BEGIN FOR i IN 1..100 LOOP PERFORM pg_stat_clear_snapshot(); "
      "SELECT state INTO s FROM pg_stat_activity WHERE application_name = app; "
      "IF s = 'idle' THEN RETURN s; END IF; PERFORM pg_sleep(0.05); END LOOP; RETURN s; END $$");
  std::string shop = *pg + (pg->find('?') == std::string::npos ? "?" : "&") + "application_name=weir_mcp_idle";
  std::string file = config("connections:\n  admin: { url: \"" + *pg + "\", read_only: false }\n  shop: \"" + shop + "\"\n");
  auto query = [](const std::string& connection, const std::string& sql, json more = json::object()) {
    more["connection_name"] = connection;
    more["sql"] = sql;
    return json{{"name", "query"}, {"arguments", more}};
  };
  const json list_call{{"name", "list_database_connections"}, {"arguments", json::object()}};
  json report = client(
      file, {query("shop", "SELECT g FROM generate_series(1, 3) g", {{"max_rows", 1}}), list_call,
             query("admin", "SELECT state FROM pg_stat_activity WHERE application_name = 'weir_mcp_idle'"),
             query("shop", "SELECT 1 AS one"), query("admin", "SELECT weir_test_wait_idle('weir_mcp_idle') AS state"),
             list_call});
  ASSERT_EQ(report["calls"].size(), 6u) << report;
  EXPECT_EQ(report["calls"][0]["result"]["structuredContent"]["truncated"], true) << report["calls"][0];
  const json& open = report["calls"][1]["result"]["structuredContent"]["connections"][1];
  EXPECT_EQ(open["status"], "connected") << open;
  EXPECT_FALSE(open.contains("table_count")) << open;
  EXPECT_EQ(report["calls"][2]["result"]["structuredContent"]["rows"][0]["state"], "idle in transaction")
      << report["calls"][2];
  EXPECT_EQ(report["calls"][3]["result"]["structuredContent"]["rows"][0]["one"], 1) << report["calls"][3];
  EXPECT_EQ(report["calls"][4]["result"]["structuredContent"]["rows"][0]["state"], "idle") << report["calls"][4];
  const json& done = report["calls"][5]["result"]["structuredContent"]["connections"][1];
  EXPECT_EQ(done["status"], "connected") << done;
  EXPECT_TRUE(done["table_count"].is_number_integer()) << done;
  db->connection->execute_script("DROP FUNCTION weir_test_wait_idle(text)");
}

TEST_F(McpSdk, AnUnknownToolOrABadArgumentIsAProtocolErrorAndTheServerKeepsServing) {
  make_sqlite("local.db");
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
  // Still serving: no tool has opened the connection yet.
  EXPECT_EQ(report["calls"][2]["result"]["structuredContent"]["connections"][0]["status"], "disconnected");
}

TEST_F(McpSdk, TheCatalogToolsReturnWhatWeirTablesAndDescribeReturnAndTheToolListStaysSmall) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script(
      "DROP TABLE IF EXISTS mcp_lines, mcp_heads; CREATE TABLE mcp_heads (id int PRIMARY KEY, code text UNIQUE);"
      "CREATE TABLE mcp_lines (head_id int REFERENCES mcp_heads (id), n int, amount numeric(12,2), PRIMARY KEY (head_id, n));"
      "INSERT INTO mcp_heads VALUES (1, 'a'), (2, 'b'); INSERT INTO mcp_lines VALUES (1, 1, 9.50);");
  std::string file = config("connections:\n  shop: \"" + *pg + "\"\n");
  json report = client(file, {json{{"name", "list_remote_tables"},
                                   {"arguments", {{"connection_name", "shop"}, {"table_pattern", "mcp\\_%"}}}},
                              json{{"name", "describe_remote_table"},
                                   {"arguments", {{"connection_name", "shop"}, {"table_name", "mcp_lines"}}}},
                              json{{"name", "describe_remote_table"},
                                   {"arguments", {{"connection_name", "shop"}, {"table_name", "mcp_line"}}}}});
  ASSERT_EQ(report["calls"].size(), 3u) << report;
  json tables = report["calls"][0]["result"]["structuredContent"];
  ASSERT_EQ(tables["tables"].size(), 2u) << tables;
  EXPECT_EQ(tables["connection"], "shop");
  EXPECT_EQ(tables["tables"][0]["name"], "mcp_heads");
  EXPECT_EQ(tables["tables"][0]["schema"], "public");
  EXPECT_EQ(tables["tables"][0]["kind"], "table");
  json lines = report["calls"][1]["result"]["structuredContent"];
  EXPECT_EQ(lines["name"], "mcp_lines");
  EXPECT_EQ(lines["primary_key"], json({"head_id", "n"})) << lines;
  ASSERT_EQ(lines["columns"].size(), 3u);
  EXPECT_EQ(lines["columns"][2]["native_type"], "numeric(12,2)") << lines["columns"][2];
  EXPECT_EQ(lines["foreign_keys"].size(), 1u);
  EXPECT_EQ(lines["sample"].size(), 1u) << lines;
  EXPECT_EQ(report["calls"][2]["result"]["isError"], true);
  EXPECT_NE(report["calls"][2]["result"]["content"][0]["text"].get<std::string>().find("mcp_line"), std::string::npos);

  // Agents pay for every byte of the tool list on every turn.
  std::size_t bytes = json{{"tools", report["tools"]}}.dump().size();
  std::cout << "[ tools/list ] " << report["tools"].size() << " tools, " << bytes << " bytes\n";
  EXPECT_LE(bytes, 4000u);
}

}  // namespace
}  // namespace weir
