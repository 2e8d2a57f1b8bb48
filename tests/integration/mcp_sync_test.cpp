// The `sync_table` tool of `weir mcp`, driven by the official MCP SDK client: a table of a
// read-only PostgreSQL connection copied into the embedded store (.weir/local.db beside the
// config) whole, then incrementally with a where_clause, into a writable connection, refused into
// a read-only one and with a where_clause that acts outside the query; a long sync reports
// progress and stops when cancelled, keeping only whole committed batches.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"

namespace weir {
namespace {

using nlohmann::json;

json sync_call(json arguments, json options = json::object()) {
  json call{{"name", "sync_table"}, {"arguments", std::move(arguments)}};
  call.update(options);
  return call;
}

class McpSync : public test::McpSdkTest {
 protected:
  std::unique_ptr<db::Connection> local_store() { return test::open_sqlite(dir_.file(".weir/local.db")); }
};

TEST_F(McpSync, ATableIsCopiedIntoTheEmbeddedStoreOrAWritableConnectionAndNeverIntoAReadOnlyOne) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script(
      "DROP TABLE IF EXISTS mcpx_sync_src, mcpx_sync_copy; CREATE TABLE mcpx_sync_src (id int PRIMARY KEY, name text, "
      "amount numeric(10,2)); INSERT INTO mcpx_sync_src SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 1000) g;"
      "CREATE SEQUENCE IF NOT EXISTS mcpx_sync_seq;");
  std::string before_seq = test::scalar(*db->connection, "SELECT last_value::text || is_called::text FROM mcpx_sync_seq");
  std::string file = config("connections:\n"
                            "  shop: \"" + *pg + "\"\n"
                            "  shop_rw: { url: \"" + *pg + "\", read_only: false }\n");
  json report = test::mcp_sdk_client(
      file,
      {sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_src"}}),
       sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_src"}, {"local_table", "recent"},
                  {"sync_mode", "incremental"}, {"incremental_column", "id"}, {"where_clause", "id > 900"}}),
       sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_src"}, {"local_table", "mcpx_sync_copy"},
                  {"target", "shop"}}),
       sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_src"}, {"local_table", "mcpx_sync_copy"},
                  {"target", "shop_rw"}}),
       sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_src"}, {"local_table", "bad"},
                  {"where_clause", "nextval('mcpx_sync_seq') > 0"}}),
       sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_src"}, {"sync_mode", "incremental"}})},
      dir_.path().string());
  json calls = report["calls"];
  ASSERT_EQ(calls.size(), 6u) << report;
  auto text = [&](std::size_t i) { return calls[i]["result"]["content"][0]["text"].get<std::string>(); };
  EXPECT_EQ(calls[0]["result"]["structuredContent"]["rows_written"], 1000) << calls[0];
  EXPECT_EQ(calls[0]["result"]["structuredContent"]["created"], true);
  EXPECT_EQ(calls[1]["result"]["structuredContent"]["rows_written"], 100) << calls[1];
  EXPECT_EQ(text(2), "permission error: `shop` is read-only for agents: sync into the embedded store (leave `target` "
                     "out) or a connection the config marks read_only: false");
  EXPECT_EQ(calls[3]["result"]["structuredContent"]["rows_written"], 1000) << calls[3];
  EXPECT_EQ(calls[4]["result"]["isError"], true) << calls[4];
  EXPECT_NE(text(4).find("nextval"), std::string::npos) << text(4);
  EXPECT_EQ(text(5), "config error: sync_mode incremental needs an incremental_column (the column new rows grow in)");

  auto local = local_store();
  EXPECT_EQ(test::scalar(*local, "SELECT count(*) || ' ' || sum(id) || ' ' || sum(amount) FROM mcpx_sync_src"),
            "1000 500500 750750.0");
  EXPECT_EQ(test::scalar(*local, "SELECT count(*) || ' ' || min(id) FROM recent"), "100 901");
  EXPECT_EQ(test::scalar(*local, "SELECT count(*) FROM sqlite_master WHERE name = 'bad'"), "0");
  EXPECT_EQ(test::scalar(*db->connection, "SELECT count(*) || ' ' || sum(amount) FROM mcpx_sync_copy"), "1000 750750.00");
  EXPECT_EQ(test::scalar(*db->connection, "SELECT last_value::text || is_called::text FROM mcpx_sync_seq"), before_seq);
  for (const json& tool : report["tools"]) {
    if (tool["name"] == "sync_table") {
      EXPECT_EQ(tool["annotations"]["destructiveHint"], true) << "shop_rw is writable";
    }
  }
}

TEST_F(McpSync, ALongSyncReportsProgressAndStopsWhenCancelledKeepingWholeBatches) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script("DROP TABLE IF EXISTS mcpx_sync_big; CREATE TABLE mcpx_sync_big AS SELECT g AS id, "
                                 "md5(g::text) AS digest FROM generate_series(1, 1000000) g;"
                                 "ALTER TABLE mcpx_sync_big ADD PRIMARY KEY (id); ANALYZE mcpx_sync_big;");
  std::string file = config("connections:\n  shop: \"" + *pg + "\"\n");
  json report = test::mcp_sdk_client(
      file,
      {sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_big"}}, {{"cancel_on_progress", true}}),
       json{{"name", "query"}, {"arguments", {{"connection_name", "shop"}, {"sql", "SELECT 1 AS one"}}}, {"timeout_ms", 20000}},
       json{{"name", "list_database_connections"}, {"arguments", json::object()}, {"timeout_ms", 20000}}},
      dir_.path().string());
  json calls = report["calls"];
  ASSERT_EQ(calls.size(), 3u) << report;
  ASSERT_EQ(calls[0]["progress"].size(), 1u) << calls[0];
  EXPECT_NE(calls[0]["error"]["message"].get<std::string>().find("cancelled on progress"), std::string::npos);
  // The server keeps serving: the connection answers a query, and is connected then.
  EXPECT_EQ(calls[1]["result"]["structuredContent"]["rows"][0]["one"], 1) << calls[1];
  EXPECT_EQ(calls[2]["result"]["structuredContent"]["connections"][0]["status"], "connected") << calls[2];
  // Stopped well before the end, with only committed rows: ids 1..n without a gap.
  auto local = local_store();
  std::string copied = test::scalar(*local, "SELECT count(*) || ' ' || coalesce(max(id), 0) FROM mcpx_sync_big");
  std::int64_t rows = std::stoll(copied.substr(0, copied.find(' ')));
  EXPECT_LT(rows, 1000000) << copied;
  EXPECT_EQ(copied, std::to_string(rows) + " " + std::to_string(rows));
}

TEST_F(McpSync, AClientThatGoesAwayMidSyncEndsTheServerByItselfWithOnlyWholeBatchesCopied) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script("DROP TABLE IF EXISTS mcpx_sync_gone; CREATE TABLE mcpx_sync_gone AS SELECT g AS id, "
                                 "md5(g::text) AS digest FROM generate_series(1, 1000000) g;"
                                 "ALTER TABLE mcpx_sync_gone ADD PRIMARY KEY (id); ANALYZE mcpx_sync_gone;");
  std::string file = config("connections:\n  shop: \"" + *pg + "\"\n");
  // close_after_ms closes the server's stdin mid-call: MCP's way to end a stdio session.
  json report = test::mcp_sdk_client(
      file, {sync_call({{"connection_name", "shop"}, {"source_table", "mcpx_sync_gone"}}, {{"close_after_ms", 400}})},
      dir_.path().string());
  ASSERT_EQ(report["calls"].size(), 1u) << report;
  EXPECT_TRUE(report["calls"][0].contains("error")) << report["calls"][0];
  // Ended within the SDK's 2 s of grace after closing stdin, not killed by its SIGTERM.
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
  // What was copied is whole batches: ids 1..n without a gap, short of the end — or no table at
  // all when the client went before the first commit (the sync drops the table it created).
  auto local = local_store();
  const bool created = test::scalar(*local, "SELECT count(*) FROM sqlite_master WHERE name = 'mcpx_sync_gone'") != "0";
  std::string copied =
      created ? test::scalar(*local, "SELECT count(*) || ' ' || coalesce(max(id), 0) FROM mcpx_sync_gone") : "0 0";
  std::int64_t rows = std::stoll(copied.substr(0, copied.find(' ')));
  EXPECT_LT(rows, 1000000) << copied;
  EXPECT_EQ(copied, std::to_string(rows) + " " + std::to_string(rows));
}

}  // namespace
}  // namespace weir
