// The `retry:` option on real servers stopped under a run: sql_poll, sql_call and sql_write
// each keep retrying for the configured time, say so once, and then either succeed when the
// server is back or give up with one line saying how long they tried.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "support/test_support.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

struct Server {
  const char* name;
  const char* url_variable;
  const char* password_variable;
  std::optional<test::ServerControl> (*control)();
};

void PrintTo(const Server& server, std::ostream* os) { *os << server.name; }

const Server kPostgres{"Postgres", "WEIR_TEST_PG_URL", "WEIR_TEST_PG_PASSWORD", &test::postgres_control};
const Server kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL", "WEIR_TEST_MYSQL_PASSWORD", &test::mariadb_control};

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class RetryOnEachServer : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override {
    auto url = test::server_url(GetParam().url_variable);
    if (!url) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    url_ = *url;
    auto control = GetParam().control();
    ASSERT_TRUE(control);
    control_ = *control;
    table_ = "rt_" + test::unique_suffix();
    query_ok("CREATE TABLE " + table_ + " (id INTEGER PRIMARY KEY, name VARCHAR(20))");
    query_ok("INSERT INTO " + table_ + " VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    query_ok("CREATE TABLE " + table_ + "_dst (id INTEGER PRIMARY KEY, name VARCHAR(20))");
    std::string lite = "sqlite:" + dir_.file("lite.db");
    auto r = test::run_weir({"query", lite, "CREATE TABLE src (id INTEGER PRIMARY KEY, name TEXT)"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = test::run_weir({"query", lite, "INSERT INTO src VALUES (1, 'one'), (2, 'two'), (3, 'three')"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void TearDown() override {
    if (stopped_) control_("start");
    if (!table_.empty()) test::run_weir({"query", url_, "DROP TABLE IF EXISTS " + table_ + ", " + table_ + "_dst"});
  }

  void query_ok(const std::string& sql) {
    auto r = test::run_weir({"query", url_, sql});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void stop() {
    control_("stop");
    stopped_ = true;
  }
  void start() {
    control_("start");
    stopped_ = false;
  }

  // Three pipelines, each with the server in one role and SQLite in the others; every module
  // on the server retries for `max_time`.
  std::string project(const std::string& max_time) {
    std::string retry = "retry: { max_time: " + max_time + " }";
    std::string yaml = fmt::format(R"(connections:
  server: "${{{var}}}"
  lite: "sqlite:lite.db"
pipelines:
  reader:
    input: {{ sql_poll: {{ connection: server, query: "SELECT id, name FROM {t} ORDER BY id", {retry} }} }}
    output: {{ sql_write: {{ connection: lite, table: read_rows, create_table: true }} }}
  lookup:
    input: {{ sql_poll: {{ connection: lite, query: "SELECT id FROM src ORDER BY id" }} }}
    filters:
      - sql_call: {{ connection: server, {retry}, queries: [{{ sql: "SELECT name FROM {t} WHERE id = {{{{record.id}}}}" }}] }}
    output: {{ sql_write: {{ connection: lite, table: looked_up, create_table: true }} }}
  writer:
    input: {{ sql_poll: {{ connection: lite, query: "SELECT id, name FROM src ORDER BY id" }} }}
    output: {{ sql_write: {{ connection: server, table: {t}_dst, {retry} }} }}
)",
                                   fmt::arg("var", GetParam().url_variable), fmt::arg("t", table_),
                                   fmt::arg("retry", retry));
    test::write_file(dir_.file("p.yaml"), yaml);
    return dir_.file("p.yaml");
  }

  // What a retrying module logs must name the server once, masked, on one line.
  void expect_one_clear_warning(const std::string& err, const std::string& max_time) {
    auto warnings = lines_with(err, "retrying for up to " + max_time);
    ASSERT_EQ(warnings.size(), 1u) << err;
    std::string host_port = url_.substr(url_.find('@') + 1);
    host_port = host_port.substr(0, host_port.find('/'));
    EXPECT_EQ(occurrences(warnings[0], host_port), 1u) << warnings[0];
    EXPECT_NE(warnings[0].find(":***@"), std::string::npos) << warnings[0];
    const char* password = std::getenv(GetParam().password_variable);
    if (password) {
      EXPECT_EQ(err.find(password), std::string::npos) << "the password leaked";
    }
  }

  std::string url_, table_;
  test::ServerControl control_;
  bool stopped_ = false;
  test::TempDir dir_;
};

// With the server down for good, each module retries for max_time, then the run fails with
// one line saying how many attempts it made in how long.
TEST_P(RetryOnEachServer, EachModuleGivesUpAfterMaxTimeWithOneLine) {
  std::string file = project("2s");
  stop();
  for (const char* pipeline : {"reader", "lookup", "writer"}) {
    SCOPED_TRACE(pipeline);
    auto r = test::run_weir({"run", "--once", "--progress", "0s", "--pipeline", pipeline, file});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    expect_one_clear_warning(r.err, "2.0 s");
    auto gave_up = lines_with(r.err, "gave up after ");
    ASSERT_EQ(gave_up.size(), 1u) << r.err;
    EXPECT_NE(gave_up[0].find(" attempts in "), std::string::npos) << gave_up[0];
    EXPECT_EQ(lines_with(r.err, "succeeded on attempt").size(), 0u) << r.err;
  }
}

// The server is down when the run starts and comes back a little later, well within
// max_time: the run waits for it and completes.
TEST_P(RetryOnEachServer, RunWaitsForAStoppedServerAndCompletes) {
  std::string file = project("2m");
  stop();
  test::Background weir({"run", "--once", "--progress", "0s", "--pipeline", "reader", file}, dir_.path().string());
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (lines_with(weir.err(), "retrying for up to").empty() && weir.running() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(weir.running()) << weir.err();
  std::this_thread::sleep_for(1s);  // a few more attempts fail meanwhile
  start();
  EXPECT_EQ(weir.wait(), 0) << weir.err();
  expect_one_clear_warning(weir.err(), "120.0 s");
  EXPECT_EQ(lines_with(weir.err(), "succeeded on attempt").size(), 1u) << weir.err();
  EXPECT_EQ(lines_with(weir.err(), "gave up").size(), 0u) << weir.err();
  auto r = test::run_weir({"query", "sqlite:" + dir_.file("lite.db"), "SELECT count(*) AS n FROM read_rows", "-f", "csv"});
  EXPECT_EQ(r.out, "n\n3\n") << r.err;
}

INSTANTIATE_TEST_SUITE_P(Servers, RetryOnEachServer, ::testing::Values(kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
