// Cancellation, progress and a vanishing client in `weir mcp`, driven by the official MCP SDK
// client against real servers: a cancelled query (notifications/cancelled) is stopped on the
// database itself and the next call is answered at once; a call given a progress token gets
// progress notifications while it runs; a client that closes the connection mid-query ends the
// server by itself, with the query cancelled on the database.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <algorithm>
#include <fstream>
#include <map>
#include <thread>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"

namespace weir {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A read that would run for hours on each database, named by its alias in the server's list of
// running statements. A read-only connection takes each (no volatile function, nothing written).
struct Endless {
  const char* connection;
  const char* url_variable;  // null: SQLite
  const char* sql;
  const char* running;  // counts the server's sessions running the read (null: SQLite, in-process)
};

const Endless kEndless[] = {
    {"pg", "WEIR_TEST_PG_URL",
     "SELECT count(*) AS weir_endless_read FROM generate_series(1, 200000) a, generate_series(1, 200000) b",
     "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
     "AND query LIKE '%weir_endless_read%'"},
    {"my", "WEIR_TEST_MYSQL_URL",
     "SELECT count(*) AS weir_endless_read FROM information_schema.collations a, information_schema.collations b, "
     "information_schema.collations c, information_schema.collations d",
     "SELECT count(*) FROM information_schema.processlist WHERE id <> connection_id() AND command = 'Query' "
     "AND info LIKE '%weir_endless_read%'"},
    {"lite", nullptr,
     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS weir_endless_read FROM c",
     nullptr},
};

json query(const std::string& connection, const std::string& sql, json options = json::object()) {
  json call{{"name", "query"}, {"arguments", {{"connection_name", connection}, {"sql", sql}}}};
  call.update(options);
  return call;
}

class McpCancel : public test::McpSdkTest {
 protected:
  void TearDown() override {
    // A failed run leaves no endless read behind on the shared servers.
    for (auto& [name, db] : databases_) {
      try {
        if (name == "pg")
          db.connection->execute_script("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid <> "
                                        "pg_backend_pid() AND query LIKE '%weir_endless_read%'");
      } catch (const std::exception&) {
      }
    }
  }

  // The config naming each database that runs here; skips when a server is missing.
  std::string config_for(std::initializer_list<const char*> connections) {
    std::string yaml = "connections:\n";
    for (const Endless& e : kEndless) {
      if (std::find_if(connections.begin(), connections.end(), [&](const char* c) { return std::string(c) == e.connection; }) ==
          connections.end())
        continue;
      auto db = test::open_target(e.url_variable, dir_, "cancel.db");
      if (!db) return "";
      yaml += std::string("  ") + e.connection + ": \"" + db->url + "\"\n";  // read-only for agents
      databases_.emplace(e.connection, std::move(*db));
    }
    std::string file = dir_.file("weir.yaml");
    std::ofstream(file) << yaml;
    return file;
  }

  // How many of the database's sessions still run the endless read, after waiting up to 10 s for
  // it to go.
  std::string still_running(const Endless& e) {
    std::string count;
    for (int i = 0; i < 100; ++i) {
      count = test::scalar(*databases_.at(e.connection).connection, e.running);
      if (count == "0") break;
      std::this_thread::sleep_for(100ms);
    }
    return count;
  }
  std::map<std::string, test::TargetDatabase> databases_;
};

TEST_F(McpCancel, ACancelledQueryStopsOnTheDatabaseAndTheNextCallIsAnsweredWithProgressWhileItRan) {
  std::string file = config_for({"pg", "my", "lite"});
  if (file.empty()) GTEST_SKIP() << "PostgreSQL and MariaDB are needed (tests/harness/with-servers.sh)";
  std::vector<json> calls;
  for (const Endless& e : kEndless) {
    calls.push_back(query(e.connection, e.sql, {{"cancel_after_ms", 500}}));
    // Answered in good time only if the endless read was stopped: calls run one after another.
    calls.push_back(query(e.connection, "SELECT 1 AS answered", {{"timeout_ms", 20000}}));
    calls.push_back(query(e.connection, e.sql, {{"cancel_on_progress", true}}));
    calls.push_back(query(e.connection, "SELECT 2 AS answered", {{"timeout_ms", 20000}}));
  }
  json report = test::mcp_sdk_client(file, calls, dir_.path().string());
  ASSERT_EQ(report["calls"].size(), calls.size()) << report;
  for (std::size_t i = 0; i < std::size(kEndless); ++i) {
    const Endless& e = kEndless[i];
    json cancelled = report["calls"][4 * i], after = report["calls"][4 * i + 1];
    json progressed = report["calls"][4 * i + 2], after_progress = report["calls"][4 * i + 3];
    EXPECT_NE(cancelled["error"]["message"].get<std::string>().find("cancelled by the test"), std::string::npos)
        << e.connection << ": " << cancelled;
    EXPECT_EQ(after["result"]["structuredContent"]["rows"], json::parse(R"([{"answered": 1}])"))
        << e.connection << ": " << after;
    // A progress token brings a heartbeat a second: "running for 1 s" (later on a loaded machine).
    ASSERT_EQ(progressed["progress"].size(), 1u) << e.connection << ": " << progressed;
    int seconds = progressed["progress"][0]["progress"];
    EXPECT_GE(seconds, 1);
    EXPECT_EQ(progressed["progress"][0]["message"], "running for " + std::to_string(seconds) + " s");
    EXPECT_NE(progressed["error"]["message"].get<std::string>().find("cancelled on progress"), std::string::npos);
    EXPECT_EQ(after_progress["result"]["structuredContent"]["rows"], json::parse(R"([{"answered": 2}])"))
        << e.connection << ": " << after_progress;
    if (e.running) {
      EXPECT_EQ(still_running(e), "0") << e.connection;
    }
  }
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})"));
}

TEST_F(McpCancel, AClientThatClosesMidQueryEndsTheServerByItselfAndTheQueryIsCancelled) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string file = config_for({"pg"});
  ASSERT_FALSE(file.empty());
  json report = test::mcp_sdk_client(file, {query("pg", kEndless[0].sql, {{"close_after_ms", 500}})}, dir_.path().string());
  ASSERT_EQ(report["calls"].size(), 1u) << report;
  EXPECT_TRUE(report["calls"][0].contains("error")) << report["calls"][0];
  // Ended within the SDK's 2 s of grace after closing stdin, not killed by its SIGTERM.
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
  EXPECT_EQ(still_running(kEndless[0]), "0");
}

}  // namespace
}  // namespace weir
