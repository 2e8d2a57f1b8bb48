// `weir mcp --http`: MCP over Streamable HTTP, driven by the official MCP TypeScript SDK client
// (StreamableHTTPClientTransport, tests/mcp/sdk_http_client.mjs) and by raw HTTP requests: the
// same tools as over stdio, a bearer token checked on every request (401 and a refused client
// without it, never in any output), sessions (400 without the header, 404 once ended), DNS
// rebinding refused, ping, progress on the call's event stream, a cancelled query and a dropped
// stream stopped on the database; 415 and 406 for the wrong media types, the session cap (503)
// and idle sessions ended (404); and the flags' mistakes, each one line and exit 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

#include "integration/mcp_sdk_client.hpp"
#include "support/test_support.hpp"
#include "weir/db/connection.hpp"

namespace weir {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A read that would run for hours, named so that pg_stat_activity finds it; read-only, so an
// agent's connection runs it (pg_sleep is volatile: refused on a read-only connection).
constexpr const char* kEndless =
    "SELECT count(*) AS weir_http_endless FROM generate_series(1, 200000) a, generate_series(1, 200000) b";
constexpr const char* kRunning =
    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
    "AND query LIKE '%weir_http_endless%'";

json query(const std::string& sql, json options = json::object()) {
  json call{{"name", "query"}, {"arguments", {{"connection_name", "pg"}, {"sql", sql}}}};
  call.update(options);
  return call;
}

class McpHttp : public test::McpSdkTest {
 protected:
  void TearDown() override {
    if (pg_) try {
        pg_->connection->execute_script("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid <> "
                                        "pg_backend_pid() AND query LIKE '%weir_http_endless%'");
      } catch (const std::exception&) {
      }
  }
  // weir.yaml with the harness's PostgreSQL as `pg` (read-only for agents); "" without it.
  std::string pg_config() {
    pg_ = test::open_target("WEIR_TEST_PG_URL", dir_, "unused.db");
    if (!pg_) return "";
    return config("connections:\n  pg: \"" + pg_->url + "\"\n");
  }
  // How many sessions still run the endless read, after waiting up to 10 s for none.
  std::string still_running() {
    std::string count;
    for (int i = 0; i < 100 && (count = test::scalar(*pg_->connection, kRunning)) != "0"; ++i)
      std::this_thread::sleep_for(100ms);
    return count;
  }
  std::optional<test::TargetDatabase> pg_;
};

TEST_F(McpHttp, TheSdkClientQueriesPostgresOverHttpWithTheTokenAndIsRefusedWithoutIt) {
  std::string file = pg_config();
  if (file.empty()) GTEST_SKIP() << "PostgreSQL is needed (tests/harness/with-servers.sh)";
  json report = test::mcp_http_client(file, {query("SELECT 1 AS one, 'two' AS two")}, dir_.path().string());
  ASSERT_FALSE(report.is_null());
  const json& probes = report["probes"];
  EXPECT_EQ(probes["no_token"], json::parse(R"({"status": 401, "www-authenticate": "Bearer realm=\"weir mcp\"",
      "message": "Unauthorized: send the server's token as `Authorization: Bearer TOKEN`"})"));
  EXPECT_EQ(probes["wrong_token"]["status"], 401);
  EXPECT_EQ(probes["initialize"], json::parse(R"({"status": 200, "content-type": "application/json",
      "message": null, "has_session_id": true})"));
  EXPECT_EQ(probes["initialized"], json::parse(R"({"status": 202, "message": null})"));
  EXPECT_EQ(probes["no_session"], json::parse(R"j({"status": 400,
      "message": "Bad Request: Mcp-Session-Id header is required (the reply to initialize gives it)"})j"));
  EXPECT_EQ(probes["unknown_session"]["status"], 404);
  EXPECT_EQ(probes["bad_version"]["status"], 400);
  EXPECT_NE(probes["bad_version"]["message"].get<std::string>().find("`1900-01-01` (weir speaks 2025-11-25, "),
            std::string::npos) << probes["bad_version"];
  EXPECT_EQ(probes["tools_list"], json::parse(R"({"status": 200, "content-type": "application/json",
      "message": null, "tool_count": 7})"));
  EXPECT_EQ(probes["get"], json::parse(R"({"status": 405, "allow": "POST, DELETE",
      "message": "Method Not Allowed: weir offers no standalone event stream; POST messages instead"})"));
  EXPECT_EQ(probes["foreign_origin"]["status"], 403) << probes["foreign_origin"];
  EXPECT_EQ(probes["rebinding_host"]["status"], 403) << probes["rebinding_host"];
  EXPECT_EQ(probes["delete"], json::parse(R"({"status": 200, "message": null, "body": ""})"));
  EXPECT_EQ(probes["after_delete"]["status"], 404);

  // The SDK client given a wrong token fails to connect, on the 401.
  EXPECT_EQ(report["rejected"]["connected"], false);
  EXPECT_EQ(report["rejected"]["code"], 401) << report["rejected"];

  // With the token: the protocol revision the SDK asks for, the stdio server's seven tools.
  EXPECT_EQ(report["session_id_set"], true);
  EXPECT_EQ(report["protocol_version"], "2025-11-25");
  EXPECT_EQ(report["server"]["name"], "weir");
  std::vector<std::string> names;
  for (const json& tool : report["tools"]) names.push_back(tool["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"connect_database", "list_database_connections", "list_remote_tables",
                                             "describe_remote_table", "query", "explain_query", "sync_table"}));
  ASSERT_EQ(report["calls"].size(), 1u);
  const json& result = report["calls"][0]["result"];
  EXPECT_EQ(result["isError"], false) << report["calls"][0];
  EXPECT_EQ(result["structuredContent"]["rows"], json::parse(R"([{"one": 1, "two": "two"}])")) << result;
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
}

TEST_F(McpHttp, PingAnswersDuringACallACancelledQueryStopsOnTheDatabaseAndProgressComesOnTheStream) {
  std::string file = pg_config();
  if (file.empty()) GTEST_SKIP() << "PostgreSQL is needed (tests/harness/with-servers.sh)";
  json report = test::mcp_http_client(file,
                                      {query(kEndless, {{"ping_after_ms", 300}, {"cancel_after_ms", 1500}}),
                                       query("SELECT 1 AS answered", {{"timeout_ms", 20000}}),
                                       query(kEndless, {{"cancel_on_progress", true}}),
                                       query("SELECT 2 AS answered", {{"timeout_ms", 20000}})},
                                      dir_.path().string());
  ASSERT_EQ(report["calls"].size(), 4u) << report;
  const json& calls = report["calls"];
  EXPECT_NE(calls[0]["error"]["message"].get<std::string>().find("cancelled by the test"), std::string::npos) << calls[0];
  // Ping does not wait behind the running call.
  ASSERT_TRUE(calls[0].contains("ping_ms")) << calls[0];
  EXPECT_LT(calls[0]["ping_ms"].get<int>(), 1000) << calls[0];
  // Answered in good time only if the endless read was stopped: a session runs calls in turn.
  EXPECT_EQ(calls[1]["result"]["structuredContent"]["rows"], json::parse(R"([{"answered": 1}])")) << calls[1];
  // A progress token brings a heartbeat a second on the call's event stream.
  ASSERT_EQ(calls[2]["progress"].size(), 1u) << calls[2];
  int seconds = calls[2]["progress"][0]["progress"];
  EXPECT_GE(seconds, 1);
  EXPECT_EQ(calls[2]["progress"][0]["message"], "running for " + std::to_string(seconds) + " s");
  EXPECT_NE(calls[2]["error"]["message"].get<std::string>().find("cancelled on progress"), std::string::npos);
  EXPECT_EQ(calls[3]["result"]["structuredContent"]["rows"], json::parse(R"([{"answered": 2}])")) << calls[3];
  EXPECT_EQ(still_running(), "0");
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
}

TEST_F(McpHttp, AClientThatDropsTheCallsStreamHasTheQueryCancelledOnTheDatabaseWhileTheServerRuns) {
  std::string file = pg_config();
  if (file.empty()) GTEST_SKIP() << "PostgreSQL is needed (tests/harness/with-servers.sh)";
  // close_after_ms closes the client: its fetch of the call's stream is aborted, no message sent.
  // The script then waits 8 s before it stops the server (which would cancel the read too), while
  // this test watches the database: the read must go within 4 s of its start.
  auto script = std::async(std::launch::async, [&] {
    return test::mcp_http_client(file, {query(kEndless, {{"close_after_ms", 500}, {"then_wait_ms", 8000}})},
                                 dir_.path().string());
  });
  std::optional<std::chrono::steady_clock::time_point> seen, gone;
  while (!gone && script.wait_for(50ms) != std::future_status::ready) {
    bool running = test::scalar(*pg_->connection, kRunning) != "0";
    if (running && !seen) seen = std::chrono::steady_clock::now();
    if (seen && !running) gone = std::chrono::steady_clock::now();
  }
  json report = script.get();
  ASSERT_TRUE(seen && gone) << "the read was never seen, or never went";
  EXPECT_LT(*gone - *seen, 4s) << "the read ran until the server stopped";
  ASSERT_EQ(report["calls"].size(), 1u) << report;
  EXPECT_TRUE(report["calls"][0].contains("error")) << report["calls"][0];
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
}

TEST_F(McpHttp, OnLoopbackNoTokenIsNeeded) {
  test::open_sqlite(dir_.file("local.db"));
  std::string file = config("connections:\n  local: \"sqlite:local.db\"\n");
  json report = test::mcp_http_client(file, {json{{"name", "query"}, {"arguments", {{"connection_name", "local"}, {"sql", "SELECT 40 + 2 AS answer"}}}}},
                                      dir_.path().string(), "");
  ASSERT_FALSE(report.is_null());
  EXPECT_FALSE(report["probes"].contains("no_token"));
  EXPECT_EQ(report["probes"]["initialize"]["status"], 200);
  EXPECT_EQ(report["probes"]["no_session"]["status"], 400);
  EXPECT_EQ(report["calls"][0]["result"]["structuredContent"]["rows"], json::parse(R"([{"answer": 42}])")) << report["calls"];
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
}

TEST_F(McpHttp, WrongMediaTypesGet415And406AndTheSessionCapAndIdleExpiryHold) {
  std::string file = config("connections: {}\n");
  json report = test::mcp_client_script("http_limits_client.mjs", file, {}, dir_.path().string(), {});
  ASSERT_FALSE(report.is_null());
  const std::string not_acceptable = "Not Acceptable: the client must accept application/json and text/event-stream";
  EXPECT_EQ(report["media"], json::parse(R"({
      "text_plain": {"status": 415, "message": "Unsupported Media Type: POST a JSON-RPC message as application/json"},
      "html_only": {"status": 406, "message": ")" + not_acceptable + R"("},
      "q_zero": {"status": 406, "message": ")" + not_acceptable + R"("},
      "json_only": {"status": 200, "content-type": "application/json"},
      "sse_only": {"status": 200, "content-type": "application/json"},
      "wildcard": {"status": 200, "content-type": "application/json"},
      "application_wildcard": {"status": 200, "content-type": "application/json"},
      "no_accept": {"status": 200, "message": null},
      "charset": {"status": 200, "message": null}})"));
  // --max-sessions 2: a third initialize gets 503 (no session id), and succeeds once one ends.
  EXPECT_EQ(report["cap"], json::parse(R"({
      "first": {"status": 200, "has_id": true}, "second": {"status": 200, "has_id": true},
      "third": {"status": 503, "has_id": false,
                "message": "Service Unavailable: too many sessions; end one (DELETE) or retry later"},
      "delete_first": {"status": 200, "message": null}, "after_delete": {"status": 200, "has_id": true}})"));
  // --session-idle 2s: the session left alone 3.5 s has ended (404); the one used meanwhile answers.
  EXPECT_EQ(report["idle"], json::parse(R"({
      "idle_session": {"status": 404, "message": "Session not found: it ended or never existed; initialize a new one"},
      "busy_session": {"status": 200, "message": null}, "new_session": {"status": 200}})"));
  EXPECT_NE(report["stderr"].get<std::string>().find("ended after 2 s idle"), std::string::npos) << report["stderr"];
  EXPECT_EQ(report["server_exit"], json::parse(R"({"code": 0, "signal": null})")) << report["stderr"];
}

TEST(McpHttpFlags, APortTakenByAnotherServerIsOneLineAndExit1) {
  test::TempDir dir;
  test::Background first({"mcp", "--http", "127.0.0.1:0"}, dir.path().string());
  std::string port;
  for (int i = 0; i < 100 && port.empty(); ++i) {
    std::string err = first.err();
    const std::string serving = "serving on http://127.0.0.1:";
    if (auto at = err.find(serving); at != std::string::npos)
      port = err.substr(at + serving.size(), err.find("/mcp", at) - at - serving.size());
    else
      std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(port.empty()) << first.err();
  auto r = test::run_weir({"mcp", "--http", "127.0.0.1:" + port}, dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "weir: connection error: cannot listen on 127.0.0.1:" + port +
                       ": the port is taken, or the address is not this machine's\n");
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(), 0);
}

TEST(McpHttpFlags, ABadAddressOrAMissingTokenIsOneLineAndExit2) {
  test::TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::string short_token = "WEIR_TEST_SHORT_TOKEN=Short-9f2e";
  const Case cases[] = {
      {{"--http", "localhost"}, "--http `localhost`: expected HOST:PORT, such as 127.0.0.1:8808"},
      {{"--http", "127.0.0.1:99999"}, "--http `127.0.0.1:99999`: `99999` is not a port (0 to 65535, 0 for any free one)"},
      {{"--http", "999.0.0.1:8808"}, "--http `999.0.0.1:8808`: `999.0.0.1` is not an IP address or a host name"},
      {{"--http", "::1:8808"},
       "--http `::1:8808`: `::1` is not an IP address or a host name (write an IPv6 address in brackets: [::1]:8808)"},
      {{"--http", "0.0.0.0:0"},
       "--http 0.0.0.0:0 is reachable from other machines: give a bearer token with --token-env VAR (or listen on 127.0.0.1)"},
      {{"--http", "127.0.0.1:0", "--token-env", "WEIR_TEST_UNSET_TOKEN"},
       "--token-env WEIR_TEST_UNSET_TOKEN: the environment variable is not set or empty"},
      {{"--http", "127.0.0.1:0", "--token-env", "WEIR_TEST_SHORT_TOKEN"},
       "--token-env WEIR_TEST_SHORT_TOKEN: the token has 10 characters; use at least 16 (e.g. `openssl rand -hex 32`)"},
      {{"--token-env", "WEIR_TEST_SHORT_TOKEN"}, "--token-env applies to --http only (stdio needs no token)"},
      {{"--http", "127.0.0.1:0", "--session-idle", "500ms"},
       "--session-idle `500ms`: give a duration of at least 1s, such as 30m"},
      {{"--http", "127.0.0.1:0", "--session-idle", "soon"}, "--session-idle `soon`: give a duration of at least 1s, such as 30m"},
      {{"--max-sessions", "2"}, "--max-sessions and --session-idle apply to --http only"},
      {{"--http", "127.0.0.1:0", "--max-sessions", "0"}, "--max-sessions `0`: give a number of sessions from 1 to 999999"},
      {{"--http", "127.0.0.1:0", "--max-sessions", "many"}, "--max-sessions `many`: give a number of sessions from 1 to 999999"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"mcp"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = test::run_weir(args, dir.path().string(), {short_token});
    EXPECT_EQ(r.exit_code, 2) << c.err;
    EXPECT_EQ(r.err, "weir: config error: " + c.err + "\n");
    EXPECT_EQ(r.err.find("Short-9f2e"), std::string::npos);
  }
}

}  // namespace
}  // namespace weir
