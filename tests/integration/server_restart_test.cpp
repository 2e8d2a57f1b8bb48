// Real servers restarting under weir: a pool recovers without a process restart, and an
// idempotent query in flight when the server goes down is rerun by with_connection and
// completes with the right result. PostgreSQL restarts with pg_ctl (WEIR_TEST_PG_BIN/_DATA/
// _LOG), MariaDB with the harness's control script (WEIR_TEST_MYSQL_CTL).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<db::Pool> make_pool(const std::string& url) {
  db::ConnectionConfig config;
  config.url = Url::parse(url);
  db::PoolOptions options;
  options.max_size = 2;
  options.validate_after_idle = 0ms;
  return db::Pool::create(config, options);
}

void expect_pool_recovers(const std::string& url, const test::ServerRestart& restart) {
  auto pool = make_pool(url);
  { pool->acquire()->execute("SELECT 1"); }
  restart();
  std::string one = db::with_connection(
      *pool, RetryPolicy{10, 50ms, 1'000ms, 2.0}, [](db::Connection& c) { return test::scalar(c, "SELECT 1"); },
      db::Idempotent::yes);
  EXPECT_EQ(one, "1");
  db::PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.created, 2u) << "the dead connection was replaced";
  EXPECT_EQ(m.closed, 1u);
}

TEST(ServerRestart, PoolRecoversAfterPostgresRestart) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  if (auto restart = test::postgres_restart()) expect_pool_recovers(*url, *restart);
}

TEST(ServerRestart, PoolRecoversAfterMariadbRestart) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  if (auto restart = test::mariadb_restart()) expect_pool_recovers(*url, *restart);
}

// `slow_sql` takes about two seconds and ends with the column `answer` = 42. It starts, the
// server restarts under it, and with_connection reruns it on a new connection.
void expect_in_flight_query_rerun(const std::string& url, const std::string& slow_sql,
                                  const test::ServerRestart& restart) {
  auto pool = make_pool(url);
  std::atomic<int> runs{0};
  std::atomic<bool> finished{false};
  std::vector<ErrorKind> retried;
  RetryHooks hooks;
  hooks.on_retry = [&](const Error& e, int, std::chrono::milliseconds) { retried.push_back(e.kind()); };
  std::string answer;
  std::optional<Error> failure;
  std::thread worker([&] {
    try {
      answer = db::with_connection(
          // Bounded by time, not attempts: on a loaded machine the server takes seconds to stop,
          // and the pool's breaker fails the connects of that while fast.
          *pool, RetryPolicy{.max_attempts = 0, .initial_delay = 100ms, .max_delay = 2'000ms, .max_time = 60s},
          [&](db::Connection& c) {
            ++runs;
            return test::scalar(c, slow_sql);
          },
          db::Idempotent::yes, hooks);
    } catch (const Error& e) {
      failure = e;
    }
    finished = true;
  });
  while (runs == 0 && !finished) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(500ms);  // the query is running on the server now
  restart();
  worker.join();
  ASSERT_FALSE(failure) << failure->what();
  EXPECT_EQ(answer, "42");
  EXPECT_GE(runs.load(), 2) << "the query was cut off by the restart and ran again";
  ASSERT_FALSE(retried.empty());
  EXPECT_EQ(retried.front(), ErrorKind::connection);
  EXPECT_GE(pool->metrics().closed, 1u) << "the connection the restart broke was discarded";
}

TEST(ServerRestart, PostgresIdempotentQueryInFlightIsRerun) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  if (auto restart = test::postgres_restart())
    expect_in_flight_query_rerun(*url, "SELECT pg_sleep(2) AS slept, 42 AS answer", *restart);
}

TEST(ServerRestart, MariadbIdempotentQueryInFlightIsRerun) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  // Not SLEEP() alone: a SLEEP interrupted by the shutdown returns 1 instead of failing.
  if (auto restart = test::mariadb_restart())
    expect_in_flight_query_rerun(*url, "SELECT SLEEP(2) AS slept, 42 AS answer FROM DUAL WHERE 1 = 1", *restart);
}

}  // namespace
}  // namespace weir
