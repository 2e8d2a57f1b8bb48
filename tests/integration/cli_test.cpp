// The weir command as a user runs it: exit codes, output formats, one-line errors, secrets.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "support/test_support.hpp"

namespace weir {
namespace {

using test::run_weir;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run_weir({"query", db_, "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, note TEXT)"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_weir({"query", db_,
                  "INSERT INTO people VALUES (1, 'Ana', 'likes, commas'), (2, 'Zoë', 'says \"hi\"'), (3, 'Bo', NULL)"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  test::TempDir dir_;
  std::string db_ = "sqlite:" + dir_.file("people.db");
};

TEST_F(Cli, VersionNamesTheDrivers) {
  auto r = run_weir({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("weir 0.1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("drivers: sqlite"), std::string::npos) << r.out;
}

TEST_F(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"version", "ping", "query", "run"}) {
    auto r = run_weir({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
  }
  auto r = run_weir({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"ping", "query", "run", "version"}) EXPECT_NE(r.out.find(cmd), std::string::npos);
}

// What a user cannot guess from a run: that the pipelines of a file race each other, and what
// each exit code means.
TEST_F(Cli, RunHelpSaysPipelinesRunConcurrentlyAndListsTheExitCodes) {
  auto r = run_weir({"run", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("The pipelines of the file run concurrently"), std::string::npos) << r.out;
  for (const char* code : {"\n  0 ", "\n  1 ", "\n  2 ", "\n  3 ", "\n  130 ", "\n  143 "})
    EXPECT_NE(r.out.find(code), std::string::npos) << code << r.out;
  EXPECT_NE(r.out.find("INTERRUPTED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_errors"), std::string::npos) << r.out;
}

TEST_F(Cli, UnknownCommandIsAUsageError) {
  auto r = run_weir({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(Cli, QueryTableAlignsUnicodeAndCountsRows) {
  auto r = run_weir({"query", db_, "SELECT id, name FROM people ORDER BY id"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "id | name\n---+-----\n 1 | Ana\n 2 | Zoë\n 3 | Bo\n(3 rows)\n");
}

TEST_F(Cli, QueryCsvQuotesAndLeavesNullEmpty) {
  auto r = run_weir({"query", db_, "SELECT * FROM people ORDER BY id", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "id,name,note\n1,Ana,\"likes, commas\"\n2,Zoë,\"says \"\"hi\"\"\"\n3,Bo,\n");
}

TEST_F(Cli, QueryJsonAndNdjson) {
  auto r = run_weir({"query", db_, "SELECT id, note FROM people WHERE id >= ? ORDER BY id", "-p", "2", "-f", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[\n{\"id\":2,\"note\":\"says \\\"hi\\\"\"},\n{\"id\":3,\"note\":null}\n]\n");
  r = run_weir({"query", db_, "SELECT id FROM people WHERE id > 5", "-f", "json"});
  EXPECT_EQ(r.out, "[]\n");
  r = run_weir({"query", db_, "SELECT id FROM people ORDER BY id", "-f", "ndjson"});
  EXPECT_EQ(r.out, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
}

TEST_F(Cli, ExplainShowsThePlanWithoutRunning) {
  auto r = run_weir({"query", db_, "DELETE FROM people WHERE id = ?", "-p", "1", "--explain", "-f", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("detail"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("people"), std::string::npos) << r.out;
  r = run_weir({"query", db_, "SELECT count(*) FROM people", "-f", "csv"});
  EXPECT_EQ(r.out, "count(*)\n3\n") << "the explained DELETE did not run";
}

TEST_F(Cli, ParametersAreBoundNeverSpliced) {
  std::string evil = "x'); DROP TABLE people; --";
  auto r = run_weir({"query", db_, "INSERT INTO people(id, name) VALUES (?, ?)", "-p", "9", "-p", evil});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_weir({"query", db_, "SELECT name FROM people WHERE id = ?", "-p", "9", "-f", "csv"});
  EXPECT_EQ(r.out, "name\n" + evil + "\n");
}

TEST_F(Cli, SqlErrorsAreOneLineWithKind) {
  auto r = run_weir({"query", db_, "SELECT nope FROM people"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "weir: syntax error: preparing statement: no such column: nope\n");
  r = run_weir({"query", db_, "SELECT ?", "-p", "1", "-p", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("1 parameter placeholder(s) but 2 value(s)"), std::string::npos) << r.err;
}

TEST_F(Cli, PingReportsSuccessAndFailure) {
  auto r = run_weir({"ping", db_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok: sqlite:"), std::string::npos);
  r = run_weir({"ping", "sqlite:" + dir_.file("missing/dir/x.db")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("connection error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

TEST_F(Cli, NamedConnectionsComeFromTheConfigFile) {
  test::write_file(dir_.file("weir.yaml"), "connections:\n  people: \"sqlite:people.db\"\n");
  auto r = run_weir({"query", "people", "SELECT count(*) AS n FROM people", "-f", "csv"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n3\n");
  r = run_weir({"ping", "peple"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean `people`"), std::string::npos) << r.err;
}

TEST_F(Cli, QueryAndPingReadOnlyTheConnectionTheyUse) {
  auto pg = test::server_url("WEIR_TEST_PG_URL");
  if (!pg) GTEST_SKIP() << "WEIR_TEST_PG_URL is not set (run under tests/harness/with-servers.sh)";
  test::write_file(dir_.file("weir.yaml"),
                   "connections:\n"
                   "  people: \"sqlite:people.db\"\n"
                   "  broken: { url: \"postgres://app@127.0.0.1:1/shop\", password: { env: WEIR_TEST_UNSET_PW } }\n"
                   "  nofile: { url: \"postgres://app@127.0.0.1:1/shop\", password: { file: missing/secret } }\n"
                   "  byvar: \"postgres://app:${WEIR_TEST_UNSET_PW}@127.0.0.1:1/shop\"\n"
                   "pipelines:\n"
                   "  p:\n"
                   "    input: { sql_poll: { connection: broken, query: \"SELECT 1\" } }\n"
                   "    output: { sql_write: { connection: people, table: \"${WEIR_TEST_UNSET_TABLE}\" } }\n");
  auto r = run_weir({"query", *pg, "SELECT 41 + 1 AS n", "-f", "csv"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n42\n");
  r = run_weir({"ping", *pg}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_weir({"query", "people", "SELECT count(*) AS n FROM people", "-f", "csv"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n3\n");
  // What the command does use still fails it, with its own one line.
  r = run_weir({"ping", "broken"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: weir.yaml:3:70: connections.broken.password.env: environment variable "
                   "WEIR_TEST_UNSET_PW is not set\n");
  r = run_weir({"ping", "byvar"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: weir.yaml:5:10: connections.byvar: environment variable WEIR_TEST_UNSET_PW "
                   "is not set (write ${WEIR_TEST_UNSET_PW:-default} for a fallback)\n");
  // A file that does not parse at all is not needed for a URL either.
  test::write_file(dir_.file("weir.yaml"), "connections: [unclosed\n");
  r = run_weir({"query", *pg, "SELECT 1 AS n", "-f", "csv"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_weir({"ping", "people"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("weir.yaml:2:1: invalid YAML"), std::string::npos) << r.err;
}

TEST_F(Cli, PastedPasswordsAndRawPercentSignsAreExplainedNotEchoed) {
  const std::string canary = "Canary-Pw-9f3e1";
  std::string file = dir_.file("pw.yaml");
  test::write_file(file, "connections:\n"
                         "  pasted: { url: \"postgres://app@127.0.0.1:1/shop\", password: { env: \"" + canary + "!\" } }\n"
                         "  raw: \"postgres://app:" + canary + "%@127.0.0.1:1/shop\"\n");
  auto r = run_weir({"validate", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: " + file + ":2:70: connections.pasted.password.env: expects the name of an "
                   "environment variable, and this value is not a valid variable name (letters, digits and _); it is "
                   "not shown, in case it is the password itself: put the password in an environment variable or a "
                   "file and name that here\n" + file + ":3:8: connections.raw: invalid connection URL "
                   "`postgres://app:***@127.0.0.1:1/shop`: the password holds a `%` not followed by two hex digits: "
                   "percent-encode special characters (`%` as %25, `@` as %40, `/` as %2F), or give the password in "
                   "`password:` instead\n");
}

TEST_F(Cli, CanaryPasswordNeverAppearsInAnyOutput) {
  const std::string canary = "Canary-Pw-9f3e1";
  test::write_file(dir_.file("weir.yaml"),
                   "connections:\n"
                   "  inline: \"postgres://app:" + canary + "@127.0.0.1:1/shop\"\n"
                   "  fromenv: { url: \"postgres://app@127.0.0.1:1/shop\", password: { env: SHOP_PW } }\n"
                   "  badurl: \"postgres://app:" + canary + "@127.0.0.1:99999/shop\"\n");
  std::vector<std::vector<std::string>> commands = {
      {"--log-level", "debug", "ping", "inline"},
      {"--log-level", "debug", "ping", "fromenv"},
      {"query", "fromenv", "SELECT 1"},
      {"ping", "badurl"},
      {"ping", "postgres://app:" + canary + "@127.0.0.1:1/shop"},
      {"ping", "mysql://app:" + canary + "@[::1]:bad/shop"},
  };
  for (const auto& args : commands) {
    auto r = run_weir(args, dir_.path().string(), {"SHOP_PW=" + canary});
    EXPECT_NE(r.exit_code, 0) << args.back();
    EXPECT_EQ(r.out.find(canary), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

// Connection strings weir cannot parse or does not know — other schemes, key=value forms,
// malformed URLs — are shown masked by every command, whatever their syntax.
TEST_F(Cli, CanaryNeverAppearsForUnknownOrMalformedConnectionStrings) {
  const std::string canary = "Canary-Pw-9f3e1";
  const std::vector<std::string> strings = {
      "odbc:Driver={ODBC Driver 18};Server=127.0.0.1;UID=app;PWD=" + canary,
      "odbc:DSN=shop;pwd={" + canary + ";x}",
      "jdbc:postgresql://127.0.0.1:1/shop?user=app&password=" + canary,
      "Server=127.0.0.1;Database=shop;User Id=app;Password=" + canary,
      "host=127.0.0.1 port=1 user=app password=" + canary,
      "postgres://127.0.0.1:1/shop?sslmode=disable&password=" + canary,
      "postgres://app:" + canary + "%@127.0.0.1:1/shop",
      "mysql:app:" + canary + "@127.0.0.1:1/shop",
      "oracle://app:" + canary + "@127.0.0.1:1/shop",
  };
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const std::string& text = strings[i];
    std::string project = dir_.file(fmt::format("p{}.yaml", i));
    test::write_file(project, "connections:\n  c: \"" + text + "\"\n  lite: \"sqlite:people.db\"\n"
                              "pipelines:\n  p:\n    input: { sql_poll: { connection: c, query: \"SELECT 1\" } }\n"
                              "    output: { sql_write: { connection: lite, table: t } }\n");
    std::vector<std::vector<std::string>> commands = {
        {"ping", text},
        {"--log-level", "debug", "query", text, "SELECT 1"},
        {"validate", "--check-sql", project},
        {"run", project},
        {"--config", project, "ping", "c"},
        // Plain validate may accept a URL whose options only the driver checks; it must not
        // show the password either way.
        {"validate", project},
    };
    for (const auto& args : commands) {
      auto r = run_weir(args, dir_.path().string());
      if (args[0] != "validate" || args[1] == "--check-sql") {
        EXPECT_NE(r.exit_code, 0) << text << ": " << args[0];
        EXPECT_FALSE(r.err.empty()) << text;
      }
      EXPECT_EQ(r.out.find(canary), std::string::npos) << r.out;
      EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
    }
  }
}

}  // namespace
}  // namespace weir
