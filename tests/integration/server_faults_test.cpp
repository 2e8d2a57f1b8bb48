// Real servers misbehaving: wrong passwords, a restart under a pool, SQL injection attempts.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_support.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

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
  auto url = test::server_url("WEIR_TEST_PG_URL");
  if (!url) return;
  expect_auth_error_without_canary(*url);
}

TEST(ServerFaults, MariadbWrongPasswordIsAnAuthErrorWithoutTheSecret) {
  auto url = test::server_url("WEIR_TEST_MYSQL_URL");
  if (!url) return;
  expect_auth_error_without_canary(*url);
}

TEST(ServerFaults, PoolRecoversAfterPostgresRestart) {
  auto url = test::server_url("WEIR_TEST_PG_URL");
  if (!url) return;
  const char* bin = std::getenv("WEIR_TEST_PG_BIN");
  const char* data = std::getenv("WEIR_TEST_PG_DATA");
  const char* log = std::getenv("WEIR_TEST_PG_LOG");
  ASSERT_TRUE(bin && data && log) << "the harness exports WEIR_TEST_PG_BIN, _DATA and _LOG";
  db::ConnectionConfig config;
  config.url = Url::parse(*url);
  db::PoolOptions options;
  options.max_size = 2;
  options.validate_after_idle = std::chrono::milliseconds(0);
  options.reconnect.max_attempts = 10;
  auto pool = db::Pool::create(config, options);
  { pool->acquire()->execute("SELECT 1"); }
  auto r = test::run_program({"runuser", "-u", "postgres", "--", std::string(bin) + "/pg_ctl", "-D", data, "-l", log,
                              "-w", "-m", "fast", "restart"},
                             "/");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  db::Lease lease = pool->acquire();
  EXPECT_EQ(lease->execute("SELECT 1"), 1u);
  db::PoolMetrics m = pool->metrics();
  EXPECT_EQ(m.created, 2u) << "the dead connection was replaced";
  EXPECT_EQ(m.closed, 1u);
}

void expect_injection_is_data(const std::string& url) {
  db::ConnectionConfig config;
  config.url = Url::parse(url);
  auto c = db::connect(config);
  std::string table = "weir_inject_" + std::to_string(std::rand());
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
  auto url = test::server_url("WEIR_TEST_PG_URL");
  if (!url) return;
  expect_injection_is_data(*url);
}

TEST(ServerFaults, MariadbStoresInjectionAttemptsVerbatim) {
  auto url = test::server_url("WEIR_TEST_MYSQL_URL");
  if (!url) return;
  expect_injection_is_data(*url);
}

}  // namespace
}  // namespace weir
