// The connection pool, on real SQLite connections (and real failing connects).
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

using namespace std::chrono_literals;

class PoolTest : public ::testing::Test {
 protected:
  ConnectionConfig config(const std::string& url) {
    ConnectionConfig c;
    c.name = "pooled";
    c.url = Url::parse(url);
    return c;
  }
  ConnectionConfig good() { return config("sqlite:" + dir_.file("pool.db")); }
  // Counts real connects.
  Pool::Factory counting() {
    return [this](const ConnectionConfig& c) {
      ++connects_;
      return connect(c);
    };
  }
  // The pool's clock: time passes only when the test says so (no sleeping).
  Pool::Clock clock() {
    return [this] { return start_ + std::chrono::nanoseconds(elapsed_.load()); };
  }
  void advance(std::chrono::nanoseconds by) { elapsed_ += by.count(); }

  test::TempDir dir_;
  std::atomic<int> connects_{0};
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<std::chrono::nanoseconds::rep> elapsed_{0};
};

TEST_F(PoolTest, ReusesConnections) {
  auto pool = Pool::create(good(), {}, counting());
  for (int i = 0; i < 5; ++i) {
    Lease lease = pool->acquire();
    lease->ping();
  }
  EXPECT_EQ(connects_, 1);
  PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.created, 1u);
  EXPECT_EQ(m.acquired, 5u);
  EXPECT_EQ(m.idle, 1u);
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.waits, 0u);
  EXPECT_EQ(std::accumulate(m.acquire_latency.begin(), m.acquire_latency.end(), std::uint64_t{0}), 5u);
}

TEST_F(PoolTest, ExhaustedPoolTimesOut) {
  PoolOptions o;
  o.max_size = 2;
  o.acquire_timeout = 50ms;
  auto pool = Pool::create(good(), o);
  Lease a = pool->acquire(), b = pool->acquire();
  auto started = std::chrono::steady_clock::now();
  try {
    pool->acquire();
    FAIL() << "a third lease from a pool of two";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
    EXPECT_NE(std::string(e.what()).find("no pooled connection became free within 50 ms"), std::string::npos);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, 45ms);
  EXPECT_EQ(pool->metrics().in_use, 2u);
  EXPECT_EQ(pool->metrics().errors.at(ErrorKind::timeout), 1u);
}

TEST_F(PoolTest, WaiterGetsAReleasedConnection) {
  PoolOptions o;
  o.max_size = 1;
  o.acquire_timeout = 5s;
  auto pool = Pool::create(good(), o, counting());
  Lease held = pool->acquire();
  std::thread releaser([&] {
    while (pool->metrics().waiting == 0) std::this_thread::sleep_for(1ms);  // the main thread waits now
    held = Lease();
  });
  Lease got = pool->acquire();
  releaser.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(connects_, 1);
  PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.waits, 1u) << "the second acquisition waited for the first lease";
  EXPECT_EQ(m.acquired, 2u);
  EXPECT_EQ(m.open, 1u);
}

TEST_F(PoolTest, OpenTransactionIsRolledBackOnReturn) {
  auto pool = Pool::create(good());
  {
    Lease l = pool->acquire();
    l->execute_script("CREATE TABLE t(x INTEGER)");
    l->begin();
    l->execute("INSERT INTO t VALUES (1)");
  }
  Lease l = pool->acquire();
  EXPECT_FALSE(l->in_transaction());
  auto cursor = l->query("SELECT count(*) FROM t");
  Batch b;
  cursor->next(b, 1);
  EXPECT_EQ(b.at(0, 0).as_int(), 0);
}

TEST_F(PoolTest, SessionInitRunsOnEveryNewConnection) {
  PoolOptions o;
  o.session_init = {"CREATE TEMP TABLE session_marker(x INTEGER)"};
  auto pool = Pool::create(good(), o);
  Lease a = pool->acquire(), b = pool->acquire();
  for (Lease* l : {&a, &b}) EXPECT_EQ((*l)->execute("INSERT INTO session_marker VALUES (1)"), 1u);
}

TEST_F(PoolTest, IdleAndOldConnectionsAreReplaced) {
  PoolOptions o;
  o.idle_timeout = 10min;
  auto pool = Pool::create(good(), o, counting(), clock());
  { Lease l = pool->acquire(); }
  advance(10min - 1ms);
  { Lease l = pool->acquire(); }
  EXPECT_EQ(connects_, 1) << "idle just under idle_timeout: reused";
  advance(10min);
  { Lease l = pool->acquire(); }
  EXPECT_EQ(connects_, 2);
  EXPECT_EQ(pool->metrics().closed, 1u);

  PoolOptions old;
  old.max_lifetime = 30min;
  auto aging = Pool::create(good(), old, counting(), clock());
  {
    Lease l = aging->acquire();
    advance(29min);
  }  // young enough to go back
  EXPECT_EQ(aging->metrics().idle, 1u);
  {
    Lease l = aging->acquire();
    advance(1min);
  }  // too old to go back
  EXPECT_EQ(aging->metrics().idle, 0u);
  EXPECT_EQ(aging->metrics().closed, 1u);
}

TEST_F(PoolTest, MinSizeIsOpenedUpFront) {
  PoolOptions o;
  o.min_size = 3;
  auto pool = Pool::create(good(), o, counting());
  EXPECT_EQ(connects_, 3);
  EXPECT_EQ(pool->metrics().idle, 3u);
}

TEST_F(PoolTest, CircuitOpensAfterRepeatedConnectFailures) {
  PoolOptions o;
  o.failure_threshold = 3;
  o.open_duration = 5min;
  auto pool = Pool::create(config("sqlite:" + dir_.file("missing/dir/x.db")), o, counting(), clock());
  for (int i = 0; i < 3; ++i) EXPECT_THROW(pool->acquire(), Error);
  EXPECT_EQ(connects_, 3);
  try {
    pool->acquire();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connection);
    EXPECT_NE(std::string(e.what()).find("3 connects failed in a row"), std::string::npos) << e.what();
  }
  EXPECT_EQ(connects_, 3) << "an open circuit does not try the endpoint";
  EXPECT_TRUE(pool->metrics().circuit_open);
  advance(5min - 1ms);
  EXPECT_THROW(pool->acquire(), Error);
  EXPECT_EQ(connects_, 3) << "still open just before open_duration";
  advance(1ms);
  EXPECT_FALSE(pool->metrics().circuit_open);
  EXPECT_THROW(pool->acquire(), Error);
  EXPECT_EQ(connects_, 4) << "after open_duration one attempt goes through";
}

TEST_F(PoolTest, ManyThreadsShareAFewConnections) {
  PoolOptions o;
  o.max_size = 3;
  o.acquire_timeout = 10s;
  auto pool = Pool::create(good(), o, counting());
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        Lease l = pool->acquire();
        l->ping();
        ++done;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(done, 1600);
  EXPECT_LE(connects_, 3);
  PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.acquired, 1600u);
  EXPECT_EQ(m.in_use, 0u);
  EXPECT_EQ(m.waiting, 0u);
}

TEST_F(PoolTest, BadSizesAreConfigErrors) {
  PoolOptions o;
  o.max_size = 0;
  EXPECT_THROW(Pool::create(good(), o), Error);
  o.max_size = 2;
  o.min_size = 3;
  EXPECT_THROW(Pool::create(good(), o), Error);
}

}  // namespace
}  // namespace weir::db
