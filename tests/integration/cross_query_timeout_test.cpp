// `weir query "SQL"` across connections under a deadline: the connection's `query_timeout` (or
// `--timeout`) bounds the whole statement, not each remote query. Past it, the remote queries
// still running are cancelled on their servers, one line names the timeout and the connection,
// the exit code is 124, and the next statement works.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "db/connections.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPgRunning =
    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%slow_%' AND state = 'active' AND pid <> pg_backend_pid()";
constexpr const char* kMyRunning =
    "SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%slow_%' AND id <> CONNECTION_ID()";

class QueryTimeout : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
    WEIR_SERVER_URL_OR_SKIP(my, "WEIR_TEST_MYSQL_URL");
    pg_url_ = *pg;
    my_url_ = *my;
    s_ = test::unique_suffix();
    pg_ = db::connect(db::resolve_connection(pg_url_, nullptr));
    my_ = db::connect(db::resolve_connection(my_url_, nullptr));
    // A row after 30 s on each server.
    pg_->execute_script(fmt::format("CREATE VIEW slow_{} AS SELECT 1 AS x FROM (SELECT pg_sleep(30)) s", s_));
    my_->execute_script(fmt::format("CREATE VIEW slow_{} AS SELECT 1 AS x FROM (SELECT SLEEP(30) AS s) t", s_));
    my_->execute_script(fmt::format("CREATE TABLE quick_{} (x int)", s_));
    my_->execute_script(fmt::format("INSERT INTO quick_{} VALUES (1)", s_));
    pg_->execute_script(fmt::format("CREATE TABLE quick_{} (x int)", s_));
    pg_->execute_script(fmt::format("INSERT INTO quick_{} VALUES (1)", s_));
    config_ = dir_.file("weir.yaml");
    test::write_file(config_, fmt::format("connections:\n  pg:\n    url: \"{}\"\n    query_timeout: 2s\n  my: \"{}\"\n",
                                          pg_url_, my_url_));
  }
  void TearDown() override {
    if (!pg_) return;
    pg_->execute_script(fmt::format("DROP VIEW IF EXISTS slow_{0}; DROP TABLE IF EXISTS quick_{0}", s_));
    my_->execute_script(fmt::format("DROP VIEW IF EXISTS slow_{}", s_));
    my_->execute_script(fmt::format("DROP TABLE IF EXISTS quick_{}", s_));
  }

  test::CommandResult query(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"--config", config_, "query"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_weir(args, dir_.path().string());
  }
  // Both servers run none of the slow queries (a cancel reaches the server a moment later).
  void expect_nothing_running() {
    std::string pg = "?", my = "?";
    for (auto until = Clock::now() + 3s; Clock::now() < until; std::this_thread::sleep_for(100ms)) {
      pg = test::scalar(*pg_, kPgRunning);
      my = test::scalar(*my_, kMyRunning);
      if (pg == "0" && my == "0") break;
    }
    EXPECT_EQ(pg, "0") << "a query still runs on PostgreSQL";
    EXPECT_EQ(my, "0") << "a query still runs on MariaDB";
  }
  // The next statement over both servers works.
  void expect_next_statement_works() {
    auto next = query({fmt::format("SELECT count(*) AS n FROM pg.quick_{0} a CROSS JOIN my.quick_{0} b ON b.x = a.x", s_),
                       "-f", "csv"});
    EXPECT_EQ(next.exit_code, 0) << next.err;
    EXPECT_EQ(next.out, "n\n1\n") << next.err;
  }

  test::TempDir dir_;
  std::string pg_url_, my_url_, s_, config_;
  std::unique_ptr<db::Connection> pg_, my_;
};

TEST_F(QueryTimeout, QueryTimeoutBoundsTheWholeStatementAndCancelsTheRemoteQuery) {
  // CROSS JOIN keeps SQLite's order: PostgreSQL's slow view is read first, and is running at
  // the deadline; MariaDB's slow view waits for its rows.
  auto start = Clock::now();
  auto r = query({fmt::format("SELECT a.x FROM pg.slow_{0} a CROSS JOIN my.slow_{0} b ON b.x = a.x", s_)});
  auto took = Clock::now() - start;
  EXPECT_EQ(r.exit_code, 124) << r.err;
  EXPECT_EQ(r.err, "weir: timeout error: the statement ran past its query_timeout of `pg` (2s): "
                   "cancelled the queries still running on `pg`\n");
  EXPECT_EQ(r.out, "");
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 5s) << "the 30-second queries were waited for";
  expect_nothing_running();
  expect_next_statement_works();
}

TEST_F(QueryTimeout, TimeoutOptionReplacesItAndCancelsMariadbToo) {
  auto start = Clock::now();
  auto r = query({fmt::format("SELECT a.x FROM my.slow_{0} a CROSS JOIN pg.slow_{0} b ON b.x = a.x", s_), "--timeout",
                  "1500ms"});
  auto took = Clock::now() - start;
  EXPECT_EQ(r.exit_code, 124) << r.err;
  EXPECT_EQ(r.err, "weir: timeout error: the statement ran past its --timeout (1500ms): "
                   "cancelled the queries still running on `my`\n");
  EXPECT_GE(took, 1500ms);
  EXPECT_LT(took, 4500ms) << "the 30-second queries were waited for";
  expect_nothing_running();
  expect_next_statement_works();
}

TEST_F(QueryTimeout, AStatementWithinItsDeadlineIsNotStopped) {
  // No remote query gets the server-side limit: 2 s for the statement, not per query.
  auto r = query({fmt::format("SELECT count(*) AS n FROM pg.quick_{0} a CROSS JOIN my.quick_{0} b ON b.x = a.x", s_),
                  "-f", "csv", "--timeout", "30s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n1\n");
}

TEST_F(QueryTimeout, ABadTimeoutIsOneLineAndExit2) {
  auto r = query({fmt::format("SELECT x FROM pg.quick_{}", s_), "--timeout", "soon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: --timeout `soon`: give a duration such as 30s or 500ms\n");
}

}  // namespace
}  // namespace weir
