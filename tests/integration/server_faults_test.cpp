// Real servers misbehaving: wrong passwords, SQL injection attempts, deadlocks, timeouts.
// (Restarts: server_restart_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/retry.hpp"

namespace weir {
namespace {

std::string with_password(const std::string& url, const std::string& password) {
  Url u = Url::parse(url);
  u.password = password;
  return u.to_string_with_password();
}

void expect_auth_error_without_canary(const std::string& good_url) {
  const std::string canary = "Canary-Srv-7d1f0b";
  std::string bad = with_password(good_url, canary);
  auto r = test::run_weir({"--log-level", "debug", "ping", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("weir: auth error: "), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(canary), std::string::npos) << r.out;

  db::ConnectionConfig config;
  config.url = Url::parse(bad);
  try {
    db::connect(config);
    FAIL() << "connected with a wrong password";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::auth) << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_EQ(std::string(e.what()).find(canary), std::string::npos) << e.what();
  }
}

TEST(ServerFaults, PostgresWrongPasswordIsAnAuthErrorWithoutTheSecret) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  expect_auth_error_without_canary(*url);
}

TEST(ServerFaults, MariadbWrongPasswordIsAnAuthErrorWithoutTheSecret) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  expect_auth_error_without_canary(*url);
}

void expect_injection_is_data(const std::string& url) {
  db::ConnectionConfig config;
  config.url = Url::parse(url);
  auto c = db::connect(config);
  std::string table = "weir_inject_" + test::unique_suffix();
  const db::Dialect& d = c->dialect();
  c->execute("CREATE TABLE " + d.quote_identifier(table) + " (id integer primary key, name varchar(200))");
  std::string evil = "'; DROP TABLE " + table + "; --";
  std::vector<Value> params{Value(1), Value(evil)};
  c->execute("INSERT INTO " + d.quote_identifier(table) + " (id, name) VALUES (" + d.placeholder(1) + ", " +
                 d.placeholder(2) + ")",
             params);
  auto cursor = c->query("SELECT name FROM " + d.quote_identifier(table));
  Batch b;
  ASSERT_TRUE(cursor->next(b, 10));
  EXPECT_EQ(b.at(0, 0).as_text(), evil);
  cursor.reset();
  std::vector<Value> nul{Value(2), Value(std::string("a\0b", 3))};
  try {
    c->execute("INSERT INTO " + d.quote_identifier(table) + " (id, name) VALUES (" + d.placeholder(1) + ", " +
                   d.placeholder(2) + ")",
               nul);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
  }
  c->execute("DROP TABLE " + d.quote_identifier(table));
}

TEST(ServerFaults, PostgresStoresInjectionAttemptsVerbatim) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  expect_injection_is_data(*url);
}

TEST(ServerFaults, MariadbStoresInjectionAttemptsVerbatim) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  expect_injection_is_data(*url);
}

// Two sessions update rows 1 and 2 in opposite orders, meeting in the middle: the server
// picks a victim, weir classifies it as a deadlock, the retry policy reruns the victim's
// transaction, and both sessions' work lands.
void expect_deadlock_victim_retried(const std::string& url) {
  db::ConnectionConfig config;
  config.url = Url::parse(url);
  auto setup = db::connect(config);
  const db::Dialect& d = setup->dialect();
  std::string table = d.quote_identifier("weir_deadlock_" + test::unique_suffix());
  setup->execute("CREATE TABLE " + table + " (id integer primary key, v integer not null)");
  setup->execute("INSERT INTO " + table + " (id, v) VALUES (1, 0), (2, 0)");
  std::string bump = "UPDATE " + table + " SET v = v + 1 WHERE id = " + d.placeholder(1);

  std::barrier both_hold_a_lock(2);
  std::atomic<int> attempts{0}, deadlocks{0};
  auto session = [&](int first, int second) {
    auto c = db::connect(config);
    bool met = false;
    RetryHooks hooks;
    hooks.on_retry = [&](const Error& e, int, std::chrono::milliseconds) {
      if (e.kind() == ErrorKind::deadlock) ++deadlocks;
    };
    retry(
        RetryPolicy{5, std::chrono::milliseconds(10), std::chrono::milliseconds(100), 2.0},
        [&] {
          ++attempts;
          db::Transaction tx(*c);
          c->execute(bump, std::vector<Value>{Value(first)});
          if (!met) {
            met = true;
            both_hold_a_lock.arrive_and_wait();
          }
          c->execute(bump, std::vector<Value>{Value(second)});
          tx.commit();
        },
        hooks);
  };
  std::thread a(session, 1, 2), b(session, 2, 1);
  a.join();
  b.join();
  EXPECT_EQ(deadlocks.load(), 1);
  EXPECT_EQ(attempts.load(), 3) << "the victim ran twice, the winner once";
  auto cursor = setup->query("SELECT sum(v) FROM " + table);
  Batch batch;
  ASSERT_TRUE(cursor->next(batch, 1));
  EXPECT_EQ(batch.at(0, 0).to_text(), "4") << "both sessions' two updates landed";
  cursor.reset();
  setup->execute("DROP TABLE " + table);
}

void expect_query_timeout(const std::string& url, const std::string& slow_sql) {
  db::ConnectionConfig config;
  config.url = Url::parse(url);
  config.url.set_option("query_timeout", "300");
  auto c = db::connect(config);
  auto started = std::chrono::steady_clock::now();
  try {
    auto cursor = c->query(slow_sql);
    Batch b;
    while (cursor->next(b, 10)) {
    }
    FAIL() << "a 10 s statement finished under a 300 ms query_timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  c->ping();  // the connection stays usable
}

TEST(ServerFaults, PostgresQueryTimeout) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  expect_query_timeout(*url, "SELECT pg_sleep(10)");
}

TEST(ServerFaults, MariadbQueryTimeout) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  expect_query_timeout(*url, "SELECT SLEEP(10) FROM DUAL WHERE 1 = 1");
}

TEST(ServerFaults, PostgresDeadlockVictimIsRetried) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  expect_deadlock_victim_retried(*url);
}

TEST(ServerFaults, MariadbDeadlockVictimIsRetried) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  expect_deadlock_victim_retried(*url);
}

}  // namespace
}  // namespace weir
