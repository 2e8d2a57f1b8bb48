// The test harness's real servers are up and reachable with the URLs it exported. Under
// CI=true a missing URL fails here instead of silently skipping everything that needs it.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_support.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

TEST(Servers, PostgresAnswersOnLoopback) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  Url u = Url::parse(*url);
  EXPECT_EQ(u.host, "127.0.0.1");
  auto r = test::run_program({"psql", "-X", "-tA", "-h", u.host, "-p", std::to_string(u.port), "-U", u.user, "-d",
                              u.database, "-c", "SELECT current_setting('server_version_num')::int / 10000, current_setting('wal_level')"},
                             {}, {"PGPASSWORD=" + u.password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "15|logical\n");
}

// PgBouncer in front of PostgreSQL, with its default settings: a startup parameter it does not
// track (here `options`, from PGOPTIONS) is refused, as on a stock installation.
TEST(Servers, PgbouncerAnswersOnLoopbackAndRefusesOptions) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PGBOUNCER_URL");
  Url u = Url::parse(*url);
  EXPECT_EQ(u.host, "127.0.0.1");
  const std::vector<std::string> psql{"psql", "-X", "-tA", "-h", u.host, "-p", std::to_string(u.port), "-U", u.user,
                                      "-d", u.database, "-c", "SELECT current_setting('server_version_num')::int / 10000"};
  auto r = test::run_program(psql, {}, {"PGPASSWORD=" + u.password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "15\n");
  r = test::run_program(psql, {}, {"PGPASSWORD=" + u.password, "PGOPTIONS=-c work_mem=64MB"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unsupported startup parameter: options"), std::string::npos) << r.err;
}

TEST(Servers, MariadbAnswersOnLoopback) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  Url u = Url::parse(*url);
  EXPECT_EQ(u.host, "127.0.0.1");
  auto r = test::run_program({"mariadb", "--protocol=tcp", "-h", u.host, "-P", std::to_string(u.port), "-u", u.user,
                              u.database, "-N", "-B", "-e", "SELECT @@character_set_server, DATABASE()"},
                             {}, {"MYSQL_PWD=" + u.password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "utf8mb4\tweir_test\n");
}

}  // namespace
}  // namespace weir
