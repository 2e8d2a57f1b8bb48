// `query` without a connection_name in `weir mcp`: one statement over tables of several
// connections (`connection.table`) through the cross-database query engine (src/query/),
// driven by the official MCP SDK client against PostgreSQL, MariaDB and SQLite: joined rows paged
// with a cursor, what would write or reach outside refused, the databases unchanged, and a
// cancelled call (notifications/cancelled) stopping its remote queries on the servers at once.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"

namespace weir {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json across(const std::string& sql, json extra = json::object()) {
  json arguments{{"sql", sql}};
  arguments.update(extra);
  return json{{"name", "query"}, {"arguments", arguments}};
}

class McpAcross : public test::McpSdkTest {};

TEST_F(McpAcross, AStatementOverTwoConnectionsIsAnsweredInPagesAndWritesAreRefused) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script("DROP TABLE IF EXISTS mcpx_people; CREATE TABLE mcpx_people (id int PRIMARY KEY, name text);"
                                 "INSERT INTO mcpx_people VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Edsger');");
  auto lite = test::open_sqlite(dir_.file("stock.db"));
  lite->execute_script("CREATE TABLE mcpx_stock (person_id INTEGER, qty INTEGER);"
                       "INSERT INTO mcpx_stock VALUES (1, 5), (2, 7), (3, 9);");
  std::string file = dir_.file("weir.yaml");
  std::ofstream(file) << "connections:\n  pg: \"" << *pg << "\"\n  lite: \"sqlite:stock.db\"\n";
  const std::string join =
      "SELECT p.id, p.name, s.qty FROM pg.mcpx_people p JOIN lite.mcpx_stock s ON s.person_id = p.id ORDER BY p.id";
  json report = test::mcp_sdk_client(
      file,
      {across(join, {{"max_rows", 2}}), json{{"name", "query"}, {"arguments", {{"cursor", "$last_cursor"}}}},
       across("ATTACH DATABASE 'escape.db' AS e"), across("SELECT load_extension('x') FROM pg.mcpx_people"),
       across("WITH d AS (DELETE FROM lite.mcpx_stock RETURNING *) SELECT * FROM d"),
       across("SELECT count(*) AS n FROM pg.mcpx_people; DELETE FROM lite.mcpx_stock")},
      dir_.path().string());
  json calls = report["calls"];
  ASSERT_EQ(calls.size(), 6u) << report;
  json first = calls[0]["result"]["structuredContent"];
  EXPECT_EQ(first["rows"], json::parse(R"([{"id": 1, "name": "Ada", "qty": 5}, {"id": 2, "name": "Grace", "qty": 7}])"))
      << calls[0];
  EXPECT_EQ(first["truncated"], true);
  json second = calls[1]["result"]["structuredContent"];
  EXPECT_EQ(second["rows"], json::parse(R"([{"id": 3, "name": "Edsger", "qty": 9}])")) << calls[1];
  EXPECT_EQ(second["truncated"], false);
  for (std::size_t i = 2; i < 6; ++i) {
    EXPECT_EQ(calls[i]["result"]["isError"], true) << calls[i];
    EXPECT_TRUE(calls[i]["result"]["content"][0]["text"].get<std::string>().starts_with("permission error:")) << calls[i];
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.file("escape.db")));
  EXPECT_EQ(test::scalar(*lite, "SELECT count(*) FROM mcpx_stock"), "3");
  EXPECT_EQ(test::scalar(*db->connection, "SELECT count(*) FROM mcpx_people"), "3");
}

// A view on each server whose one row comes after a minute, and how to count the server's
// sessions still reading it.
struct Slow {
  const char* name;  // the connection's
  const char* url_variable;
  const char* view;     // CREATE VIEW … AS; {} is the view's name
  const char* running;  // {} is the view's name
};

const Slow kSlow[] = {
    {"pg", "WEIR_TEST_PG_URL", "CREATE VIEW {} AS SELECT 1 AS x FROM (SELECT pg_sleep(60)) s",
     "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%{}%'"},
    {"my", "WEIR_TEST_MYSQL_URL", "CREATE VIEW {} AS SELECT 1 AS x FROM (SELECT SLEEP(60) AS s) t",
     "SELECT count(*) FROM information_schema.processlist WHERE id <> connection_id() AND command = 'Query' "
     "AND info LIKE '%{}%'"},
};

TEST_F(McpAcross, ACancelledStatementOverSeveralConnectionsStopsItsRemoteQueriesAtOnce) {
  const std::string view = "mcpx_slow_" + test::unique_suffix();
  std::vector<test::TargetDatabase> servers;
  for (const Slow& slow : kSlow) {
    auto db = test::open_target(slow.url_variable, dir_, "");
    if (!db) GTEST_SKIP() << test::no_server_reason(slow.url_variable);
    db->connection->execute_script(fmt::format(fmt::runtime(slow.view), view));
    servers.push_back(std::move(*db));
  }
  test::open_sqlite(dir_.file("keys.db"))->execute_script("CREATE TABLE k (x INTEGER); INSERT INTO k VALUES (1);");
  std::ofstream(dir_.file("weir.yaml")) << "connections:\n  pg: \"" << servers[0].url << "\"\n  my: \""
                                        << servers[1].url << "\"\n  lite: \"sqlite:keys.db\"\n";
  std::vector<json> calls;
  for (const Slow& slow : kSlow) {
    // Over two connections, so it runs on the embedded SQLite, reading the slow view remotely.
    calls.push_back(across(fmt::format("SELECT v.x FROM {}.{} v JOIN lite.k ON k.x = v.x", slow.name, view)));
    calls.back()["cancel_after_ms"] = 1000;
    // Calls run one after another: answered at once only if the cancel freed the server.
    calls.push_back(across("SELECT count(*) AS n FROM lite.k"));
    calls.back()["timeout_ms"] = 20000;
  }
  json report = test::mcp_sdk_client(dir_.file("weir.yaml"), calls, dir_.path().string());
  ASSERT_EQ(report["calls"].size(), 4u) << report;
  for (std::size_t i = 0; i < std::size(kSlow); ++i) {
    json cancelled = report["calls"][2 * i], next = report["calls"][2 * i + 1];
    EXPECT_NE(cancelled["error"]["message"].get<std::string>().find("cancelled by the test"), std::string::npos)
        << kSlow[i].name << ": " << cancelled;
    EXPECT_EQ(next["result"]["structuredContent"]["rows"], json::parse(R"([{"n": 1}])")) << kSlow[i].name << ": " << next;
    // The remote query (a minute of sleep) was stopped within a second or two of the cancel.
    EXPECT_LT(next["elapsed_ms"].get<int>(), 3000) << kSlow[i].name << ": " << next;
    std::cout << kSlow[i].name << ": the call after the cancelled one was answered in " << next["elapsed_ms"] << " ms\n";
    // Nothing left running on the server (waiting at most a second for its process list).
    std::string count;
    for (int tries = 0; tries < 10; ++tries, std::this_thread::sleep_for(100ms))
      if ((count = test::scalar(*servers[i].connection, fmt::format(fmt::runtime(kSlow[i].running), view))) == "0") break;
    EXPECT_EQ(count, "0") << kSlow[i].name;
  }
  for (std::size_t i = 0; i < servers.size(); ++i)
    servers[i].connection->execute_script(fmt::format("DROP VIEW IF EXISTS {}", view));
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
}

}  // namespace
}  // namespace weir
