// A connection's `mcp: { allowed_schemas, denied_schemas }` (src/mcp/schema_limits.hpp), driven by
// the official MCP SDK client against a real PostgreSQL: the catalog tools neither list nor
// describe the tables of a closed schema, sync_table does not read them, and `query` refuses a
// statement whose plan reads one, through a view in an open schema too.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"

namespace weir {
namespace {

using nlohmann::json;

json call(const std::string& tool, json arguments) { return json{{"name", tool}, {"arguments", std::move(arguments)}}; }

json query(const std::string& connection, const std::string& sql) {
  return call("query", {{"connection_name", connection}, {"sql", sql}});
}

class McpSchemas : public test::McpSdkTest {
 protected:
  void TearDown() override {
    if (db_) db_->connection->execute_script(fmt::format("DROP SCHEMA IF EXISTS so_{0}, sh_{0} CASCADE", s_));
  }
  std::string s_ = test::unique_suffix();
  std::optional<test::TargetDatabase> db_;
};

TEST_F(McpSchemas, AgentsSeeAndReadOnlyTheTablesOfOpenSchemas) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script(fmt::format(
      "CREATE SCHEMA so_{0}; CREATE SCHEMA sh_{0};"
      "CREATE TABLE so_{0}.items (id int PRIMARY KEY, name text); INSERT INTO so_{0}.items VALUES (1, 'open');"
      "CREATE TABLE sh_{0}.salaries (id int PRIMARY KEY, amount int); INSERT INTO sh_{0}.salaries VALUES (1, 9000);"
      "CREATE VIEW so_{0}.peek AS SELECT amount FROM sh_{0}.salaries;",
      s_));
  db_ = std::move(*db);
  const std::string open = "so_" + s_, hidden = "sh_" + s_;
  std::string file = config(fmt::format("connections:\n"
                                        "  pg: {{ url: \"{0}\", mcp: {{ denied_schemas: [{1}] }} }}\n"
                                        "  narrow: {{ url: \"{0}\", mcp: {{ allowed_schemas: [{2}] }} }}\n"
                                        "  rw: {{ url: \"{0}\", read_only: false, mcp: {{ denied_schemas: [{1}] }} }}\n"
                                        "  lite: {{ url: \"sqlite:{3}\", mcp: {{ denied_schemas: [temp] }} }}\n",
                                        *pg, hidden, open, dir_.file("lite.db")));
  ASSERT_TRUE(test::open_sqlite(dir_.file("lite.db")));
  json report = test::mcp_sdk_client(
      file,
      {call("list_remote_tables", {{"connection_name", "pg"}, {"table_pattern", "%"}, {"schema_filter", hidden}}),
       call("list_remote_tables", {{"connection_name", "narrow"}, {"table_pattern", "%"}}),
       call("describe_remote_table", {{"connection_name", "pg"}, {"table_name", hidden + ".salaries"}}),
       query("pg", "SELECT amount FROM " + hidden + ".salaries"), query("pg", "SELECT * FROM " + open + ".items"),
       query("pg", "SELECT * FROM " + open + ".peek"),
       call("explain_query", {{"connection_name", "pg"}, {"sql", "SELECT * FROM " + hidden + ".salaries"}}),
       call("sync_table", {{"connection_name", "pg"}, {"source_table", hidden + ".salaries"}}),
       query("narrow", "SELECT count(*) FROM pg_catalog.pg_class"), query("lite", "SELECT 1 AS one"),
       call("describe_remote_table", {{"connection_name", "pg"}, {"table_name", open + ".items"}}),
       query("pg", "EXPLAIN SELECT * FROM " + open + ".items"), query("rw", "SELECT * FROM " + open + ".peek"),
       call("describe_remote_table", {{"connection_name", "narrow"}, {"table_name", "items"}}),
       call("query", {{"sql", "SELECT * FROM pg.items"}})},
      dir_.path().string());
  json calls = report["calls"];
  ASSERT_EQ(calls.size(), 15u) << report;
  auto result = [&](std::size_t i) { return calls[i]["result"]; };
  auto text = [&](std::size_t i) { return calls[i]["result"]["content"][0]["text"].get<std::string>(); };
  // list_remote_tables leaves the closed schema out, even when asked for it by name.
  EXPECT_EQ(result(0)["structuredContent"]["tables"], json::array()) << calls[0];
  json listed = json::array();
  json narrow_tables = result(1)["structuredContent"]["tables"];
  for (const json& t : narrow_tables) listed.push_back(t["schema"].get<std::string>() + "." + t["name"].get<std::string>());
  EXPECT_EQ(listed, json({open + ".items", open + ".peek"})) << calls[1];
  const std::string closed = "permission error: schema `" + hidden + "` is not open to agents on connection `pg`";
  EXPECT_EQ(result(2)["isError"], true);
  EXPECT_EQ(text(2), closed) << "describe_remote_table";
  EXPECT_EQ(text(3), closed) << "query of the closed schema";
  EXPECT_EQ(result(4)["isError"], false) << calls[4];
  EXPECT_EQ(result(4)["structuredContent"]["rows"], json::parse(R"([{"id": 1, "name": "open"}])")) << calls[4];
  EXPECT_EQ(text(5), closed) << "a view in an open schema over a closed table, by its plan";
  EXPECT_EQ(text(6), closed) << "explain_query";
  EXPECT_EQ(text(7), closed) << "sync_table";
  EXPECT_EQ(text(8), "permission error: schema `pg_catalog` is not open to agents on connection `narrow`");
  EXPECT_EQ(text(9), "permission error: connection `lite` limits its schemas, which weir checks through PostgreSQL's "
                     "plan only: no query is open to agents on it");
  EXPECT_EQ(result(10)["structuredContent"]["name"], "items") << calls[10];
  EXPECT_EQ(text(11), "permission error: connection `pg` limits its schemas: send the statement without EXPLAIN to "
                      "explain_query");
  EXPECT_EQ(text(12), "permission error: schema `" + hidden + "` is not open to agents on connection `rw`")
      << "a writable connection too";
  // An unqualified name counts in the schema the search_path resolves it to (public here).
  EXPECT_EQ(text(13), "permission error: schema `public` is not open to agents on connection `narrow`");
  EXPECT_EQ(result(14)["isError"], true) << calls[14];
  EXPECT_NE(text(14).find("connection `pg` limits its schemas: it is not open to statements over several connections"),
            std::string::npos)
      << text(14);
}

}  // namespace
}  // namespace weir
