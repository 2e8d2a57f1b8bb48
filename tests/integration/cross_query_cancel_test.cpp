// `weir query "SQL"` stopped from outside: Ctrl-C cancels the remote query still running on
// the server and exits 130; a server stopped mid-query gives one line naming the connection,
// and the next statement works once the server is back.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "db/connections.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

struct Server {
  const char* name;        // the connection's name in the config file
  const char* variable;    // its URL's
  const char* slow_view;   // CREATE VIEW … AS a row after 30 s; {} is the view's name
  const char* running;     // counts the sleeps the server is running
  std::optional<test::ServerControl> (*control)();
};

const Server kServers[] = {
    {"pg", "WEIR_TEST_PG_URL", "CREATE VIEW {} AS SELECT 1 AS x FROM (SELECT pg_sleep(30)) s",
     "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%slow_%' AND state = 'active' AND pid <> pg_backend_pid()",
     &test::postgres_control},
    {"my", "WEIR_TEST_MYSQL_URL", "CREATE VIEW {} AS SELECT 1 AS x FROM (SELECT SLEEP(30) AS s) t",
     "SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%slow_%' AND id <> CONNECTION_ID()",
     &test::mariadb_control},
};

class QueryCancel : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(url, GetParam().variable);
    url_ = *url;
    s_ = test::unique_suffix();
    server_ = db::connect(db::resolve_connection(url_, nullptr));
    view_ = fmt::format("slow_{}", s_);
    server_->execute_script(fmt::format(fmt::runtime(GetParam().slow_view), view_));
    config_ = dir_.file("weir.yaml");
    test::write_file(config_, fmt::format("connections:\n  {}: \"{}\"\n", GetParam().name, url_));
  }
  void TearDown() override {
    if (!running_) (*GetParam().control())("start");
    try {
      server_ = db::connect(db::resolve_connection(url_, nullptr));
      server_->execute_script(fmt::format("DROP VIEW IF EXISTS {}", view_));
    } catch (const std::exception&) {
    }
  }

  std::vector<std::string> args(const std::string& sql) const { return {"--config", config_, "query", sql}; }
  // The statement over the slow view: on the virtual tables, joined with itself.
  std::string slow_statement() const {
    return fmt::format("SELECT a.x FROM {0}.{1} a JOIN {0}.{1} b ON b.x = a.x", GetParam().name, view_);
  }
  // Waits until the server runs the slow query; false after 20 s.
  bool wait_running(db::Connection& watcher, int count) {
    for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(100ms))
      if (std::stoi(test::scalar(watcher, GetParam().running)) >= count) return true;
    return false;
  }

  test::TempDir dir_;
  std::string url_, s_, view_, config_;
  std::unique_ptr<db::Connection> server_;
  bool running_ = true;
};

TEST_P(QueryCancel, CtrlCCancelsTheRemoteQueryAndExits130) {
  auto watcher = db::connect(db::resolve_connection(url_, nullptr));
  test::Background weir(args(slow_statement()), dir_.path().string());
  ASSERT_TRUE(wait_running(*watcher, 1)) << weir.err();
  auto sent = std::chrono::steady_clock::now();
  weir.signal(SIGINT);
  EXPECT_EQ(weir.wait(), 130) << weir.err();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 10s) << "the 30-second query was waited for";
  EXPECT_EQ(weir.err(), "weir: cancelling the statement and its remote queries (press Ctrl-C again to abort)\n");
  EXPECT_EQ(test::scalar(*watcher, GetParam().running), "0") << "the query still runs on the server";
}

TEST_P(QueryCancel, AServerStoppedMidQueryIsOneLineAndTheNextQueryWorks) {
  auto watcher = db::connect(db::resolve_connection(url_, nullptr));
  test::Background weir(args(slow_statement()), dir_.path().string());
  ASSERT_TRUE(wait_running(*watcher, 1)) << weir.err();
  watcher.reset();
  (*GetParam().control())("stop");
  running_ = false;
  EXPECT_EQ(weir.wait(), 1) << weir.err();
  std::string err = weir.err();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find(fmt::format("connection `{}`", GetParam().name)), std::string::npos) << err;
  (*GetParam().control())("start");
  running_ = true;
  auto next = test::run_weir(args(fmt::format("SELECT count(*) AS n FROM {}.{}", GetParam().name, view_ + "_none")));
  EXPECT_EQ(next.exit_code, 2) << next.err;  // no such table: the server answered
  server_ = db::connect(db::resolve_connection(url_, nullptr));
  server_->execute_script(fmt::format("CREATE TABLE quick_{} (id int)", s_));
  auto quick = test::run_weir({"--config", config_, "query", fmt::format("SELECT count(*) AS n FROM {}.quick_{}", GetParam().name, s_),
                               "-f", "csv"});
  EXPECT_EQ(quick.out, "n\n0\n") << quick.err;
  server_->execute_script(fmt::format("DROP TABLE quick_{}", s_));
}

INSTANTIATE_TEST_SUITE_P(Servers, QueryCancel, ::testing::ValuesIn(kServers),
                         [](const auto& info) { return std::string(info.param.name) == "pg" ? "Postgres" : "Mariadb"; });

}  // namespace
}  // namespace weir
