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
    o.reconnect.max_attempts = 1;  // the pool's own reconnect retries would hide with_connection's
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

TEST_F(PoolRetryTest, NonRetryableConnectionErrorsAreNotRerun) {
  auto pool = make_pool();
  int runs = 0;
  EXPECT_THROW(with_connection(
                   *pool, policy_,
                   [&](Connection&) {
                     ++runs;
                     throw Error(ErrorKind::connection, "the server does not support TLS", "2026", false);
                   },
                   Idempotent::yes, hooks()),
               Error);
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace weir::db
