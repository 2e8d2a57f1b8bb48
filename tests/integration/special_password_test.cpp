// A password holding every character a URL gives a meaning to, `p@ss:/#%?&[] "` (issue 17),
// on PostgreSQL and MariaDB: a role made with it logs in with the password percent-encoded in
// the URL, from an environment variable and from a file (with its trailing newline), through
// `weir ping`, `weir query` and a pipeline run, and neither the password nor its encoded form
// appears in anything weir prints, at --log-level debug, nor in the dead letters or state.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPassword = "p@ss:/#%?&[] \"";
constexpr std::string_view kEncoded = "p%40ss%3A%2F%23%25%3F%26%5B%5D%20%22";

struct Server {
  const char* name;
  const char* url_variable;
  const char* create_user;  // SQL naming {user}, {table} and {password} (a quoted literal)
  const char* drop_user;
};

void PrintTo(const Server& s, std::ostream* os) { *os << s.name; }

const Server kServers[] = {
    {"Postgres", "WEIR_TEST_PG_URL",
     "CREATE ROLE {user} LOGIN PASSWORD {password}; GRANT SELECT ON {table} TO {user}", "DROP OWNED BY {user}; DROP ROLE {user}"},
    {"Mariadb", "WEIR_TEST_MYSQL_URL",
     "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY {password}; GRANT SELECT ON {table} TO '{user}'@'127.0.0.1'",
     "DROP USER IF EXISTS '{user}'@'127.0.0.1'"},
};

class SpecialPassword : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override {
    auto url = test::server_url(GetParam().url_variable);
    if (!url) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    admin_url_ = Url::parse(*url);
    db::ConnectionConfig admin;
    admin.name = "admin";
    admin.url = admin_url_;
    db_ = db::connect(admin);
    const std::string suffix = test::unique_suffix();
    user_ = "pw_" + suffix;
    table_ = "pw_t_" + suffix;
    db_->execute_script(fmt::format("CREATE TABLE {} (id INTEGER PRIMARY KEY, name VARCHAR(20)); "
                                    "INSERT INTO {} VALUES (1, 'one'), (2, 'two')",
                                    table_, table_));
    // The password as a SQL literal: it holds no quote of the literal's kind nor a backslash.
    db_->execute_script(sql(GetParam().create_user, "'" + std::string(kPassword) + "'"));
    created_ = true;
  }

  void TearDown() override {
    if (!db_) return;
    if (created_) db_->execute_script(sql(GetParam().drop_user, ""));
    db_->execute("DROP TABLE IF EXISTS " + table_);
  }

  std::string sql(const char* text, const std::string& password) const {
    return fmt::format(fmt::runtime(text), fmt::arg("user", user_), fmt::arg("table", table_),
                       fmt::arg("password", password));
  }

  // The server's URL for the test's role, with `password` (encoded) in it or none.
  std::string url(std::string_view password = {}) const {
    return fmt::format("{}://{}{}{}@{}:{}/{}", admin_url_.scheme, user_, password.empty() ? "" : ":", password,
                       admin_url_.host, admin_url_.port, admin_url_.database);
  }

  void expect_hidden(const test::CommandResult& r, const std::string& what) {
    for (std::string_view secret : {kPassword, kEncoded, std::string_view("p@ss")}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << what << ": " << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << what << ": " << r.err;
    }
  }

  test::TempDir dir_;
  Url admin_url_;
  std::unique_ptr<db::Connection> db_;
  std::string user_, table_;
  bool created_ = false;
};

INSTANTIATE_TEST_SUITE_P(Servers, SpecialPassword, ::testing::ValuesIn(kServers),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(SpecialPassword, WorksEncodedInAUrlFromEnvAndFromAFileAndIsNeverShown) {
  test::write_file(dir_.file("pw.txt"), std::string(kPassword) + "\n");
  test::write_file(dir_.file("weir.yaml"), fmt::format(R"(connections:
  in_url: "{}"
  from_env: {{ url: "{}", password: {{ env: SPECIAL_PW }} }}
  from_file: {{ url: "{}", password: {{ file: pw.txt }} }}
  lite: "sqlite:copy.db"
pipelines:
  copy:
    input: {{ sql_poll: {{ connection: from_file, query: "SELECT id, name FROM {} ORDER BY id" }} }}
    output: {{ sql_write: {{ connection: lite, table: copied, create_table: true }} }}
)",
                                                       url(kEncoded), url(), url(), table_));
  const std::vector<std::string> env{"SPECIAL_PW=" + std::string(kPassword)};
  const std::string cwd = dir_.path().string();
  for (const char* connection : {"in_url", "from_env", "from_file"}) {
    auto ping = test::run_weir({"--log-level", "debug", "ping", connection}, cwd, env);
    EXPECT_EQ(ping.exit_code, 0) << connection << ": " << ping.err;
    expect_hidden(ping, std::string("ping ") + connection);
    auto query = test::run_weir({"--log-level", "debug", "query", connection,
                                 "SELECT name FROM " + table_ + " WHERE id = 2", "--format", "csv"},
                                cwd, env);
    EXPECT_EQ(query.exit_code, 0) << connection << ": " << query.err;
    EXPECT_EQ(query.out, "name\ntwo\n") << connection;
    expect_hidden(query, std::string("query ") + connection);
  }
  auto direct = test::run_weir({"--log-level", "debug", "ping", url(kEncoded)}, cwd);
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  expect_hidden(direct, "ping URL");

  auto run =
      test::run_weir({"--log-level", "debug", "run", "--once", "--progress", "0s", dir_.file("weir.yaml")}, cwd, env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("pipeline copy: read 2 rows, wrote 2 rows"));
  expect_hidden(run, "run");
  for (const char* file : {"copy.db", ".weir/state.db"})
    EXPECT_EQ(test::read_file(dir_.file(file)).find(kPassword), std::string::npos) << file;

  // A wrong password is refused, and the error shows neither it nor the right one.
  auto wrong = test::run_weir({"ping", url("p%40ss%3A%2F%23%25%3F%26%5B%5D%20%23")}, cwd);
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.err, HasSubstr(user_ + ":***@"));
  expect_hidden(wrong, "wrong password");
}

}  // namespace
}  // namespace weir
