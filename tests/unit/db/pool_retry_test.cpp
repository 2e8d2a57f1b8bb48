// with_connection: which failures rerun the work, on what connection, how often. On real
// SQLite connections; a lost connection is simulated by the work throwing what a driver
// throws then (Error{connection}, retryable). tests/integration/server_restart_test.cpp
// restarts real servers under a running query.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "support/test_support.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

using namespace std::chrono_literals;

Error lost() { return Error(ErrorKind::connection, "server closed the connection unexpectedly", "2013", true); }

class PoolRetryTest : public ::testing::Test {
 protected:
  std::shared_ptr<Pool> make_pool(int failing_connects = 0) {
    ConnectionConfig c;
    c.name = "pooled";
    c.url = Url::parse("sqlite:" + dir_.file("retry.db"));
    PoolOptions o;
    o.failure_threshold = 100;
    return Pool::create(c, o, [this, failing_connects](const ConnectionConfig& config) -> std::unique_ptr<Connection> {
      if (++connects_ <= failing_connects) throw Error(ErrorKind::connection, "connection refused", "2003", true);
      return connect(config);
    });
  }
  // No sleeping; records the delays and the errors retried.
  RetryHooks hooks() {
    RetryHooks h;
    h.sleep = [this](std::chrono::milliseconds d) { delays_.push_back(d); };
    h.on_retry = [this](const Error& e, int, std::chrono::milliseconds) { retried_.push_back(e.kind()); };
    h.seed = 7;
    return h;
  }

  test::TempDir dir_;
  std::atomic<int> connects_{0};
  std::vector<std::chrono::milliseconds> delays_;
  std::vector<ErrorKind> retried_;
  const RetryPolicy policy_{4, 10ms, 100ms, 2.0};
};

TEST_F(PoolRetryTest, IdempotentWorkIsRerunOnAFreshConnectionAfterALostOne) {
  auto pool = make_pool();
  std::vector<Connection*> seen;
  int result = with_connection(
      *pool, policy_,
      [&](Connection& c) {
        seen.push_back(&c);
        if (seen.size() == 1) throw lost();
        c.ping();
        return 42;
      },
      Idempotent::yes, hooks());
  EXPECT_EQ(result, 42);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(retried_, std::vector<ErrorKind>{ErrorKind::connection});
  EXPECT_EQ(delays_.size(), 1u);
  PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.created, 2u) << "the broken connection was not handed out again";
  EXPECT_EQ(m.closed, 1u);
  EXPECT_EQ(m.idle, 1u);
}

TEST_F(PoolRetryTest, NonIdempotentWorkIsNotRerunOnceStarted) {
  auto pool = make_pool();
  int runs = 0;
  try {
    with_connection(
        *pool, policy_, [&](Connection&) { ++runs; throw lost(); }, Idempotent::no, hooks());
    FAIL() << "the lost connection was swallowed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connection);
  }
  EXPECT_EQ(runs, 1) << "work that may have taken effect runs once";
  EXPECT_TRUE(retried_.empty());
  EXPECT_EQ(pool->metrics().closed, 1u) << "the broken connection is still discarded";
}

TEST_F(PoolRetryTest, FailedConnectsAreRetriedEvenForNonIdempotentWork) {
  auto pool = make_pool(2);  // nothing is sent while connecting
  int runs = 0;
  with_connection(
      *pool, policy_, [&](Connection& c) { ++runs; c.execute("CREATE TABLE t (x integer)"); }, Idempotent::no,
      hooks());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(connects_, 3);
  EXPECT_EQ(retried_, (std::vector<ErrorKind>{ErrorKind::connection, ErrorKind::connection}));
}

TEST_F(PoolRetryTest, OtherErrorsPropagateAtOnceAndKeepTheConnection) {
  auto pool = make_pool();
  int runs = 0;
  try {
    with_connection(
        *pool, policy_, [&](Connection& c) { ++runs; c.execute("SELEC 1"); }, Idempotent::yes, hooks());
    FAIL() << "a syntax error was swallowed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::syntax);
  }
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(retried_.empty());
  EXPECT_EQ(pool->metrics().closed, 0u);
  EXPECT_EQ(pool->metrics().idle, 1u) << "a healthy connection goes back to the pool";
}

TEST_F(PoolRetryTest, AttemptsAreBoundedByThePolicy) {
  auto pool = make_pool();
  int runs = 0;
  EXPECT_THROW(with_connection(*pool, policy_, [&](Connection&) { ++runs; throw lost(); }, Idempotent::yes, hooks()),
               Error);
  EXPECT_EQ(runs, policy_.max_attempts);
  EXPECT_EQ(retried_.size(), static_cast<std::size_t>(policy_.max_attempts - 1));
  for (std::size_t i = 0; i < delays_.size(); ++i)
    EXPECT_LE(delays_[i], policy_.backoff_cap(static_cast<int>(i) + 1)) << "full jitter within the cap";
}

// A killed session can surface as an error the driver calls permanent (a TLS error): the
// connection is gone either way, so idempotent work runs again on a fresh one.
TEST_F(PoolRetryTest, AConnectionLostWithAPermanentLookingErrorIsRerunOnAFreshOne) {
  auto pool = make_pool();
  int runs = 0;
  int result = with_connection(
      *pool, policy_,
      [&](Connection&) {
        if (++runs == 1) throw Error(ErrorKind::connection, "SSL connection has been closed unexpectedly", "2026", false);
        return 7;
      },
      Idempotent::yes, hooks());
  EXPECT_EQ(result, 7);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(pool->metrics().closed, 1u) << "the connection that failed was discarded";
}

// Connecting that fails for good (a TLS setup the server refuses, a wrong password) is said at
// once: nothing was sent, and another try would fail the same way.
TEST_F(PoolRetryTest, APermanentConnectFailureIsNotRetried) {
  ConnectionConfig c;
  c.url = Url::parse("sqlite:" + dir_.file("never.db"));
  int connects = 0;
  auto pool = Pool::create(c, {}, [&](const ConnectionConfig&) -> std::unique_ptr<Connection> {
    ++connects;
    throw Error(ErrorKind::connection, "the server does not support TLS", "2026", false);
  });
  int runs = 0;
  EXPECT_THROW(with_connection(*pool, policy_, [&](Connection&) { ++runs; }, Idempotent::yes, hooks()), Error);
  EXPECT_EQ(connects, 1);
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(retried_.empty());
}

// Each rerun is counted in the pool's metrics, so they describe what the process really did.
TEST_F(PoolRetryTest, RerunsCountInThePoolMetrics) {
  auto pool = make_pool(2);
  with_connection(*pool, policy_, [&](Connection& c) { c.ping(); }, Idempotent::yes, hooks());
  PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.retries, 2u);
  EXPECT_EQ(m.errors.at(ErrorKind::connection), 2u);
  EXPECT_EQ(m.created, 1u);
  EXPECT_EQ(m.acquired, 1u);
  EXPECT_EQ(m.open, 1u);
}

// The policy's total time bounds the reruns as the attempts do (with_connection used to count
// attempts only), and the run's stop token ends the wait between them.
TEST_F(PoolRetryTest, TotalTimeAndStopEndTheReruns) {
  auto pool = make_pool();
  RetryPolicy by_time{0, 10ms, 100ms, 2.0, 1s};
  auto now = std::chrono::steady_clock::now();
  RetryHooks h = hooks();
  h.now = [&] { return now; };
  h.sleep = [&](std::chrono::milliseconds d) { now += std::max(d, 300ms); };
  int runs = 0;
  EXPECT_THROW(with_connection(*pool, by_time, [&](Connection&) { ++runs; throw lost(); }, Idempotent::yes, h), Error);
  EXPECT_EQ(runs, 5) << "attempts at 0, 300, 600, 900 and 1200 ms: none starts after 1 s";

  std::stop_source stop;
  stop.request_stop();
  RetryHooks stopped = hooks();
  stopped.stop = stop.get_token();
  runs = 0;
  try {
    with_connection(*pool, by_time, [&](Connection&) { ++runs; throw lost(); }, Idempotent::yes, stopped);
    FAIL() << "a stopped run kept retrying";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stopped while retrying"), std::string::npos) << e.what();
  }
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace weir::db
