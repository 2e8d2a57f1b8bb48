// `query` without a connection_name in `weir mcp`: one statement over tables of several
// connections (`connection.table`) through the cross-database query engine (src/query/),
// driven by the official MCP SDK client against PostgreSQL and SQLite: joined rows paged with a
// cursor, and what would write or reach outside refused, the databases unchanged.
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

}  // namespace
}  // namespace weir
