// The `query` and `explain_query` tools of `weir mcp`, driven by the official MCP SDK client
// against real servers: the red-team corpus (tests/mcp/redteam/attacks.json) refused on
// read-only PostgreSQL, MariaDB and SQLite connections with each database left as it was and no
// file written, the valid analytical reads (reads_*.json) all answered, and results paged by
// rows and bytes from one snapshot.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

using nlohmann::json;

json corpus(const std::string& file) {
  std::ifstream in(std::string(WEIR_SOURCE_DIR) + "/tests/mcp/redteam/" + file);
  return json::parse(in)["statements"];
}

// What the red team must not change: every row of the fixture tables, the tables there are, and
// (PostgreSQL) the sequence.
std::string fingerprint(db::Connection& c, bool postgres) {
  std::string out;
  for (const db::TableRef& t : c.list_tables())
    if (t.name.starts_with("rt_")) out += t.name + ";";
  for (const char* table : {"rt_accounts", "rt_orders"}) {
    auto cursor = c.query(std::string("SELECT * FROM ") + table + " ORDER BY id");
    Batch batch;
    while (cursor->next(batch, 100))
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        for (std::size_t col = 0; col < batch.width(); ++col) out += batch.at(r, col).to_text() + "|";
        out += "\n";
      }
  }
  if (postgres) out += test::scalar(c, "SELECT last_value::text || is_called::text FROM rt_seq");
  return out;
}

std::vector<std::string> redteam_files() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp"))
    if (entry.path().filename().string().starts_with("weir_redteam_")) out.push_back(entry.path().string());
  return out;
}

// The fixture of tests/mcp/redteam/fixture_FAMILY.sql (shared with peers.mjs).
void create_fixture(db::Connection& c, const std::string& family) {
  c.execute_script(test::read_file(std::string(WEIR_SOURCE_DIR) + "/tests/mcp/redteam/fixture_" + family + ".sql"));
}

class McpQuery : public test::McpSdkTest {
 protected:
};

struct Target {
  const char* name;
  const char* url_variable;  // null: SQLite
  const char* family;
  const char* reads;
};

TEST_F(McpQuery, TheRedTeamCorpusIsRefusedOnEveryReadOnlyConnectionAndNothingChanges) {
  const Target targets[] = {{"pg", "WEIR_TEST_PG_URL", "postgres", "reads_postgres.json"},
                            {"my", "WEIR_TEST_MYSQL_URL", "mysql", "reads_mysql.json"},
                            {"lite", nullptr, "sqlite", "reads_sqlite.json"}};
  std::map<std::string, test::TargetDatabase> databases;
  std::string yaml = "connections:\n";
  for (const Target& t : targets) {
    auto db = test::open_target(t.url_variable, dir_, "redteam.db");
    if (!db) GTEST_SKIP() << test::no_server_reason(t.url_variable);
    create_fixture(*db->connection, t.family);
    yaml += std::string("  ") + t.name + ": \"" + db->url + "\"\n";  // no read_only: read-only for agents
    databases.emplace(t.name, std::move(*db));
  }
  for (const std::string& file : redteam_files()) std::filesystem::remove(file);
  std::map<std::string, std::string> before;
  for (auto& [name, db] : databases) before[name] = fingerprint(*db.connection, name == "pg");

  json attacks = corpus("attacks.json");
  ASSERT_GE(attacks.size(), 40u);
  std::vector<json> calls;
  std::vector<std::pair<std::string, std::string>> asked;  // connection, SQL
  for (const Target& t : targets)
    for (const json& sql : attacks) {
      calls.push_back({{"name", "query"}, {"arguments", {{"connection_name", t.name}, {"sql", sql}}}});
      asked.emplace_back(t.name, sql.get<std::string>());
    }
  std::size_t first_read = calls.size();
  for (const Target& t : targets) {
    json reads = corpus(t.reads);
    EXPECT_GE(reads.size(), 20u) << t.reads;
    for (const json& sql : reads) {
      calls.push_back({{"name", "query"}, {"arguments", {{"connection_name", t.name}, {"sql", sql}}}});
      asked.emplace_back(t.name, sql.get<std::string>());
    }
  }
  json report = test::mcp_sdk_client(config(yaml), calls, dir_.path().string());
  ASSERT_EQ(report["calls"].size(), calls.size()) << report;

  std::map<std::string, int> refused_by_weir;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const json& result = report["calls"][i]["result"];
    const auto& [connection, sql] = asked[i];
    ASSERT_TRUE(result.is_object()) << connection << ": " << sql << "\n" << report["calls"][i];
    std::string text = result["content"][0]["text"];
    if (i < first_read) {
      EXPECT_EQ(result["isError"], true) << connection << " let through: " << sql << "\n" << text;
      EXPECT_EQ(text.find('\n'), std::string::npos) << "not one line: " << text;
      if (text.starts_with("permission error:")) ++refused_by_weir[connection];
    } else {
      EXPECT_EQ(result["isError"], false) << connection << " refused a read: " << sql << "\n" << text;
    }
  }
  for (auto& [name, db] : databases) EXPECT_EQ(fingerprint(*db.connection, name == "pg"), before[name]) << name;
  EXPECT_TRUE(redteam_files().empty()) << "a statement wrote " << redteam_files().front();
  for (const auto& [name, count] : refused_by_weir)
    std::cout << "[ redteam ] " << name << ": " << attacks.size() << " statements refused, " << count
              << " by weir's checks before or beside the database's own\n";
}

TEST_F(McpQuery, PagesAreCappedByRowsAndBytesAndTheCursorReadsOnInTheSameSnapshot) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  auto db = test::open_target("WEIR_TEST_PG_URL", dir_, "");
  ASSERT_TRUE(db);
  db->connection->execute_script("DROP TABLE IF EXISTS rt_pages; CREATE TABLE rt_pages AS "
                                 "SELECT g AS id, repeat('x', 900) AS wide FROM generate_series(1, 250) g");
  std::string file = config("connections:\n"
                            "  pg: \"" + *pg + "\"\n"
                            "  pgw: { url: \"" + *pg + "\", read_only: false }\n");
  auto q = [](const char* connection, const std::string& sql, json extra = json::object()) {
    json args{{"connection_name", connection}, {"sql", sql}};
    args.update(extra);
    return json{{"name", "query"}, {"arguments", args}};
  };
  json next{{"name", "query"}, {"arguments", {{"cursor", "$last_cursor"}}}};
  json report = test::mcp_sdk_client(
      file,
      {q("pg", "SELECT id FROM rt_pages ORDER BY id"),
       // A row written between pages: the open result does not see it.
       q("pgw", "INSERT INTO rt_pages VALUES (251, 'late') RETURNING id"), next, next, next,
       q("pg", "SELECT id, wide FROM rt_pages ORDER BY id", {{"max_rows", 100}}),
       q("pg", "SELECT id FROM rt_pages ORDER BY id", {{"max_rows", 250}}),
       q("pg", "DELETE FROM rt_pages"), q("pgw", "DELETE FROM rt_pages WHERE id > 250 RETURNING id"),
       q("nope", "SELECT 1"), q("pg", "SELECT no_such_column FROM rt_pages")},
      dir_.path().string());
  json calls = report["calls"];  // not const: a missing member reads as null, not a crash
  ASSERT_EQ(calls.size(), 11u) << report;
  auto page = [&](std::size_t i) { return calls[i]["result"]["structuredContent"]; };
  auto ids = [&](std::size_t i) {
    std::vector<std::int64_t> out;
    json rows = page(i)["rows"];
    for (const json& row : rows) out.push_back(row["id"]);
    if (out.empty()) out.push_back(-1);  // front() and back() of a page that came back empty
    return out;
  };
  // 100 rows, a probe row behind them: truncated, with a cursor.
  EXPECT_EQ(page(0)["row_count"], 100);
  EXPECT_EQ(page(0)["truncated"], true);
  EXPECT_EQ(ids(0).front(), 1);
  EXPECT_EQ(ids(0).back(), 100);
  EXPECT_EQ(page(1)["rows"][0]["id"], 251) << calls[1];
  EXPECT_EQ(ids(2).front(), 101);
  EXPECT_EQ(ids(2).back(), 200);
  EXPECT_EQ(page(2)["truncated"], true);
  EXPECT_EQ(ids(3).size(), 50u);
  EXPECT_EQ(ids(3).back(), 250);  // not 251: the same snapshot
  EXPECT_EQ(page(3)["truncated"], false);
  EXPECT_FALSE(page(3).contains("cursor"));
  // The last page read, the cursor is closed.
  EXPECT_EQ(calls[4]["result"]["isError"], true);
  EXPECT_NE(calls[4]["result"]["content"][0]["text"].get<std::string>().find("no longer open"), std::string::npos);
  // 64 KB: rows of ~920 bytes stop well before 100.
  EXPECT_EQ(page(5)["truncated"], true);
  EXPECT_LT(page(5)["row_count"].get<int>(), 100);
  EXPECT_GT(page(5)["row_count"].get<int>(), 60);
  EXPECT_LE(page(5)["rows"].dump().size(), 64u * 1024);
  // max_rows above the connection's cap is held to it.
  EXPECT_EQ(page(6)["row_count"], 100);
  EXPECT_EQ(calls[7]["result"]["isError"], true);
  EXPECT_EQ(page(8)["rows"][0]["id"], 251) << calls[8];
  EXPECT_EQ(calls[9]["result"]["content"][0]["text"], "config error: unknown connection `nope` (known: pg, pgw)");
  std::string sql_error = calls[10]["result"]["content"][0]["text"];
  EXPECT_NE(sql_error.find("no_such_column"), std::string::npos) << sql_error;
  EXPECT_EQ(test::scalar(*db->connection, "SELECT count(*) FROM rt_pages"), "250");
  // Read-only tools say so; the query tool of a server with a writable connection says it may write.
  for (const json& tool : report["tools"]) {
    if (tool["name"] == "query") {
      EXPECT_EQ(tool["annotations"]["destructiveHint"], true);
    }
  }
}

TEST_F(McpQuery, ConnectDatabaseTestsTheConnectionKeepsItReadOnlyAndNeverShowsThePassword) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  Url url = Url::parse(*pg);
  auto connect = [&](const std::string& name, const std::string& password, json options = json::object()) {
    return json{{"name", "connect_database"},
                {"arguments",
                 {{"connection_name", name},
                  {"database_type", "postgres"},
                  {"connection_params",
                   {{"host", url.host}, {"port", url.port}, {"database", url.database}, {"username", url.user},
                    {"password", password}, {"ssl_mode", "disable"}}},
                  {"options", options}}}};
  };
  std::string file = config("connections: {}\n");
  json report = test::mcp_sdk_client(
      file,
      {connect("wrong", test::kMcpCanary), connect("live", url.password),
       json{{"name", "query"}, {"arguments", {{"connection_name", "live"}, {"sql", "SELECT current_user AS who"}}}},
       json{{"name", "query"}, {"arguments", {{"connection_name", "live"}, {"sql", "CREATE TABLE rt_agent (a int)"}}}},
       connect("live", url.password), connect("rw", url.password, {{"read_only", false}}),
       json{{"name", "list_database_connections"}, {"arguments", json::object()}}},
      dir_.path().string());
  json calls = report["calls"];
  ASSERT_EQ(calls.size(), 7u) << report;
  // The canary is checked absent from everything the client printed; the real password too.
  EXPECT_EQ(report.dump().find(url.password), std::string::npos);
  EXPECT_EQ(calls[0]["result"]["isError"], true);
  EXPECT_NE(calls[0]["result"]["content"][0]["text"].get<std::string>().find("auth error"), std::string::npos) << calls[0];
  EXPECT_EQ(calls[1]["result"]["structuredContent"]["read_only"], true) << calls[1];
  EXPECT_EQ(calls[1]["result"]["structuredContent"]["target"],
            fmt::format("postgres://{}@{}:{}/{}", url.user, url.host, url.port, url.database));
  EXPECT_EQ(calls[2]["result"]["structuredContent"]["rows"][0]["who"], url.user) << calls[2];
  EXPECT_EQ(calls[3]["result"]["isError"], true);
  EXPECT_EQ(calls[4]["result"]["content"][0]["text"], "config error: a connection named `live` already exists");
  EXPECT_EQ(calls[5]["result"]["content"][0]["text"],
            "permission error: a writable connection is declared in the config file (read_only: false), not by "
            "connect_database");
  // Listed with the config file's connections (none here) from then on.
  json listed = calls[6]["result"]["structuredContent"]["connections"];
  ASSERT_EQ(listed.size(), 1u) << calls[6];
  EXPECT_EQ(listed[0]["name"], "live");
  EXPECT_EQ(listed[0]["status"], "connected");
}

// A statement the database refuses comes back as one tool-error line saying where in the text
// the agent sent: PostgreSQL's character offset into what it received (on a read-only connection
// the statement first runs behind `EXPLAIN (VERBOSE, FORMAT JSON) `) told as line and column of
// the agent's text; MariaDB's own "near '…' at line N".
TEST_F(McpQuery, ASqlErrorSaysWhereInTheAgentsTextItIs) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::optional<std::string> my = test::server_url("WEIR_TEST_MYSQL_URL");
  std::string file = config("connections:\n  pg: { url: \"" + *pg + "\" }\n  rw: { url: \"" + *pg +
                            "\", read_only: false }\n" + (my ? "  my: { url: \"" + *my + "\" }\n" : ""));
  auto call = [](const std::string& tool, const std::string& connection, const std::string& sql) {
    return json{{"name", tool}, {"arguments", {{"connection_name", connection}, {"sql", sql}}}};
  };
  std::vector<json> calls{call("query", "pg", "SELECT *\nFORM pg_class"),
                          call("query", "pg", "/* the count */ SELECT 'é', nope FROM pg_class;"),
                          call("query", "rw", "SELECT 1,\n  nope"),
                          call("explain_query", "pg", "SELECT 1,\n\tnope"),
                          call("explain_query", "rw", "SELECT nope"),
                          call("query", "pg", "SELECT (1")};
  if (my) calls.push_back(call("query", "my", "SELECT *\nFORM t"));
  json report = test::mcp_sdk_client(file, calls, dir_.path().string());
  ASSERT_EQ(report["calls"].size(), calls.size()) << report;
  auto text = [&](std::size_t i) {
    const json& result = report["calls"][i]["result"];
    EXPECT_EQ(result["isError"], true) << report["calls"][i];
    std::string line = result["content"][0]["text"].get<std::string>();
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find("at character"), std::string::npos) << line;
    return line;
  };
  EXPECT_NE(text(0).find("syntax error at or near \"FORM\" (line 2, column 1) [SQLSTATE 42601]"), std::string::npos)
      << text(0);
  // Columns count characters (é is one), after the comment before the statement.
  EXPECT_NE(text(1).find("column \"nope\" does not exist (line 1, column 29) [SQLSTATE 42703]"), std::string::npos)
      << text(1);
  EXPECT_NE(text(2).find("column \"nope\" does not exist (line 2, column 3)"), std::string::npos) << text(2);
  EXPECT_NE(text(3).find("column \"nope\" does not exist (line 2, column 2)"), std::string::npos) << text(3);
  EXPECT_NE(text(4).find("column \"nope\" does not exist (line 1, column 8)"), std::string::npos) << text(4);
  // At the end of the text: the column just past its last character.
  EXPECT_NE(text(5).find("syntax error at end of input (line 1, column 10)"), std::string::npos) << text(5);
  if (my) {
    EXPECT_NE(text(6).find("near 'FORM t' at line 2"), std::string::npos) << text(6);
  }
}

}  // namespace
}  // namespace weir
