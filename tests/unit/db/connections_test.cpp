// Named connections from YAML: URLs, passwords from the environment or a file, paths.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "support/test_support.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::db {
namespace {

struct Loaded {
  Connections connections;
  std::vector<std::string> problems;
};

Loaded load(const std::string& yaml, const std::string& file = "/etc/weir/w.yaml") {
  config::Document doc = config::parse_document(yaml, file);
  config::Diagnostics d(file);
  Loaded out{read_connections(doc, d), d.messages()};
  return out;
}

TEST(Connections, BareUrlAndMapFormsBothWork) {
  auto l = load("connections:\n  a: \"postgres://app@db:5432/shop\"\n  b: { url: \"mysql://u@h/crm\" }\n");
  ASSERT_TRUE(l.problems.empty());
  EXPECT_EQ(l.connections.at("a").url.host, "db");
  EXPECT_EQ(l.connections.at("a").name, "a");
  EXPECT_EQ(l.connections.at("b").url.scheme, "mysql");
}

TEST(Connections, PasswordFromEnvironmentIsResolvedAndMasked) {
  setenv("WEIR_TEST_CONN_PW", "env-Secret-4471", 1);
  auto l = load("connections:\n  a: { url: \"postgres://app@db/shop\", password: { env: WEIR_TEST_CONN_PW } }\n");
  ASSERT_TRUE(l.problems.empty());
  EXPECT_EQ(l.connections.at("a").url.password, "env-Secret-4471");
  EXPECT_EQ(l.connections.at("a").describe(), "connection `a` (postgres://app:***@db/shop)");
  EXPECT_EQ(redact("login with env-Secret-4471 failed"), "login with *** failed");
}

TEST(Connections, PasswordFromFileDropsTheTrailingNewline) {
  test::TempDir dir;
  test::write_file(dir.file("pw"), "file-Secret-8812\n");
  auto l = load("connections:\n  a: { url: \"postgres://app@db/shop\", password: { file: pw } }\n", dir.file("w.yaml"));
  ASSERT_TRUE(l.problems.empty()) << l.problems.front();
  EXPECT_EQ(l.connections.at("a").url.password, "file-Secret-8812");
  EXPECT_EQ(redact("file-Secret-8812"), "***");
}

TEST(Connections, InterpolatedUrlAndDefault) {
  setenv("WEIR_TEST_CONN_HOST", "db.internal", 1);
  unsetenv("WEIR_TEST_CONN_PORT");
  auto l = load("connections:\n  a: \"postgres://app@${WEIR_TEST_CONN_HOST}:${WEIR_TEST_CONN_PORT:-6432}/shop\"\n");
  ASSERT_TRUE(l.problems.empty());
  EXPECT_EQ(l.connections.at("a").url.host, "db.internal");
  EXPECT_EQ(l.connections.at("a").url.port, 6432);
}

TEST(Connections, RelativeSqlitePathsFollowTheConfigFile) {
  auto l = load("connections:\n  a: \"sqlite:data/x.db\"\n  b: \"sqlite:///abs/y.db\"\n  c: \"sqlite::memory:\"\n"
                "  d: { url: \"sqlite:z.db\", init: seed/z.sql }\n",
                "/srv/project/weir.yaml");
  ASSERT_TRUE(l.problems.empty());
  EXPECT_EQ(l.connections.at("a").url.database, "/srv/project/data/x.db");
  EXPECT_EQ(l.connections.at("b").url.database, "/abs/y.db");
  EXPECT_EQ(l.connections.at("c").url.database, ":memory:");
  EXPECT_EQ(l.connections.at("d").init_script, "/srv/project/seed/z.sql");
}

TEST(Connections, EveryBadEntryIsReportedWithItsPath) {
  unsetenv("WEIR_TEST_CONN_MISSING");
  auto l = load(
      "connections:\n"
      "  a: { url: \"postgres://app@db/shop\", password: { env: WEIR_TEST_CONN_MISSING } }\n"
      "  b: { url: \"postgres://app@db/shop\", password: { env: X, file: y } }\n"
      "  c: { url: \"postgres://app@db/shop\", pasword: x }\n"
      "  d: { url: \"nosuch://x\" }\n"
      "  e: { password: x }\n");
  ASSERT_EQ(l.problems.size(), 5u);
  EXPECT_NE(l.problems[0].find("connections.a.password.env: environment variable WEIR_TEST_CONN_MISSING is not set"),
            std::string::npos) << l.problems[0];
  EXPECT_NE(l.problems[1].find("give exactly one of `env` or `file`"), std::string::npos) << l.problems[1];
  EXPECT_NE(l.problems[2].find("did you mean `password`"), std::string::npos) << l.problems[2];
  EXPECT_NE(l.problems[3].find("unknown scheme `nosuch`"), std::string::npos) << l.problems[3];
  EXPECT_NE(l.problems[4].find("missing required option `url`"), std::string::npos) << l.problems[4];
  EXPECT_TRUE(l.connections.empty());
}

TEST(Connections, ResolveByNameOrUrl) {
  config::Document doc = config::parse_document("connections:\n  shop: \"sqlite::memory:\"\n", "w.yaml");
  EXPECT_EQ(resolve_connection("shop", &doc).name, "shop");
  EXPECT_EQ(resolve_connection("sqlite:other.db", &doc).url.database, "other.db");
  EXPECT_EQ(resolve_connection("sqlite:other.db", nullptr).url.database, "other.db");
  try {
    resolve_connection("shp", &doc);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("did you mean `shop`"), std::string::npos) << e.what();
  }
}

TEST(Connections, ResolveReadsOnlyTheConnectionItUses) {
  unsetenv("WEIR_TEST_CONN_UNSET_A");
  unsetenv("WEIR_TEST_CONN_UNSET_B");
  config::Document doc = config::parse_document(
      "connections:\n"
      "  good: \"sqlite::memory:\"\n"
      "  broken: { url: \"postgres://app@h/db\", password: { env: WEIR_TEST_CONN_UNSET_A } }\n"
      "  missing_file: { url: \"postgres://app@h/db\", password: { file: /nonexistent/weir/secret } }\n"
      "pipelines:\n"
      "  p: { output: { sql_write: { table: \"${WEIR_TEST_CONN_UNSET_B}\" } } }\n",
      "/srv/w.yaml");
  EXPECT_EQ(resolve_connection("good", &doc).url.database, ":memory:");
  EXPECT_EQ(resolve_connection("postgres://app@h/db", &doc).url.host, "h");
  try {
    resolve_connection("broken", &doc);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "/srv/w.yaml:3:58: connections.broken.password.env: environment variable WEIR_TEST_CONN_UNSET_A is "
                 "not set");
  }
}

TEST(Connections, PastedPasswordInEnvIsNeverEchoed) {
  auto l = load("connections:\n  a: { url: \"postgres://app@db/shop\", password: { env: \"sx-Pasted#Pw-5521\" } }\n");
  ASSERT_EQ(l.problems.size(), 1u);
  EXPECT_EQ(l.problems[0],
            "/etc/weir/w.yaml:2:56: connections.a.password.env: expects the name of an environment variable, and this "
            "value is not a valid variable name (letters, digits and _); it is not shown, in case it is the password "
            "itself: put the password in an environment variable or a file and name that here");
  EXPECT_EQ(redact("echo sx-Pasted#Pw-5521"), "echo ***") << "registered, so no other message shows it either";
}

}  // namespace
}  // namespace weir::db
