// Whole-file validation of pipeline projects: every problem at once, with line and YAML path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/yaml_document.hpp"
#include "pipeline/project.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

config::EnvLookup no_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

// The config error's message for `yaml`, or "" when it loads.
std::string load_error(const std::string& yaml) {
  try {
    build_project(config::parse_document(yaml, "p.yaml", no_env()));
    return {};
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
}

const char* kValid = R"(connections:
  src: "sqlite::memory:"
  dst: { url: "sqlite::memory:" }
pipelines:
  copy:
    input:
      sql_poll: { connection: src, query: "SELECT 1 AS x" }
    output:
      sql_write: { connection: dst, table: t, create_table: true }
)";

TEST(Project, ValidFileLoadsEveryPipeline) {
  Project p = build_project(config::parse_document(kValid, "p.yaml", no_env()));
  ASSERT_EQ(p.pipelines.size(), 1u);
  EXPECT_EQ(p.pipelines[0].name, "copy");
  EXPECT_EQ(p.connections.size(), 2u);
}

TEST(Project, UnknownOptionIsReportedWithLineAndSuggestion) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("query:"), 6, "querry:");
  std::string error = load_error(yaml);
  EXPECT_NE(error.find("p.yaml:7:"), std::string::npos) << error;
  EXPECT_NE(error.find("pipelines.copy.input.sql_poll.querry"), std::string::npos) << error;
  EXPECT_NE(error.find("did you mean `query`"), std::string::npos) << error;
}

TEST(Project, EveryProblemIsReportedAtOnce) {
  std::string error = load_error(R"(connections:
  src: "sqlite::memory:"
pipelines:
  a:
    input:
      sql_poll: { connection: nope, query: "SELECT 1" }
    output:
      sql_write: { connection: src, table: t, mode: merge }
  b:
    input:
      sql_pol: { connection: src, query: "SELECT 1" }
    output:
      sql_write: { connection: src }
)");
  EXPECT_NE(error.find("connection `nope` is not defined"), std::string::npos) << error;
  EXPECT_NE(error.find("`merge` is not one of: insert, insert_or_ignore, upsert, update, delete, replace"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown module `sql_pol` (did you mean `sql_poll`?)"), std::string::npos) << error;
  EXPECT_NE(error.find("missing required option `table`"), std::string::npos) << error;
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 3) << error;
}

// Found by fuzzing (tests/fuzz/corpus/config/misspelt_connection): a module whose `connection`
// was misspelt failed with "internal error: invalid node" instead of listing the problems.
TEST(Project, MisspeltConnectionOptionIsReportedAsSuch) {
  for (std::string_view misspelt : {"conection: src", "connection* src"}) {
    std::string yaml = kValid;
    yaml.replace(yaml.find("connection: dst"), 15, misspelt);
    std::string error = load_error(yaml);
    EXPECT_NE(error.find("pipelines.copy.output.sql_write"), std::string::npos) << error;
    EXPECT_NE(error.find("missing required option `connection`"), std::string::npos) << error;
  }
}

TEST(Project, MaxErrorsIsACountOrAPercentage) {
  std::string yaml = std::string(kValid) + "    max_errors: 2%\n";
  Project p = build_project(config::parse_document(yaml, "p.yaml", no_env()));
  ASSERT_TRUE(p.pipelines[0].max_errors);
  EXPECT_EQ(p.pipelines[0].max_errors->to_string(), "2%");
  std::string error = load_error(std::string(kValid) + "    max_errors: lots\n");
  EXPECT_NE(error.find("p.yaml:10:17: pipelines.copy.max_errors: `lots` is not a limit"), std::string::npos) << error;
  error = load_error(std::string(kValid) + "    max_errors: [1]\n");
  EXPECT_NE(error.find("pipelines.copy.max_errors:"), std::string::npos) << error;
}

TEST(Project, UpsertWithoutKeyIsAConfigError) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("create_table: true"), 18, "mode: upsert");
  EXPECT_NE(load_error(yaml).find("mode upsert needs `key`"), std::string::npos);
}

TEST(Project, BadUrlNamesTheConnection) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("\"sqlite::memory:\""), 17, "\"postgress://u:canary-secret-1@h/db\"");
  std::string error = load_error(yaml);
  EXPECT_NE(error.find("connections.src"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown scheme `postgress`"), std::string::npos) << error;
  EXPECT_EQ(error.find("canary-secret-1"), std::string::npos) << error;
}

TEST(Project, UnsetVariableIsReportedWithItsPath) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("table: t"), 8, "table: \"${TARGET_TABLE}\"");
  std::string error = load_error(yaml);
  EXPECT_NE(error.find("environment variable TARGET_TABLE is not set"), std::string::npos) << error;
  EXPECT_NE(error.find("pipelines.copy.output.sql_write.table"), std::string::npos) << error;
}

// Splits a diagnostics message into its lines.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

TEST(Project, UnsetVariableIsOneLine) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("table: t"), 8, "table: \"${TARGET_TABLE}\", batch: { rows: \"${ROWS}\" }");
  auto lines = lines_of(load_error(yaml));
  ASSERT_EQ(lines.size(), 2u) << load_error(yaml);
  EXPECT_EQ(lines[0], "p.yaml:9:44: pipelines.copy.output.sql_write.table: environment variable TARGET_TABLE is not "
                      "set (write ${TARGET_TABLE:-default} for a fallback)");
  EXPECT_EQ(lines[1], "p.yaml:9:78: pipelines.copy.output.sql_write.batch.rows: environment variable ROWS is not set "
                      "(write ${ROWS:-default} for a fallback)");
}

TEST(Project, AConnectionThatFailedToReadIsReportedOnce) {
  unsetenv("WEIR_TEST_PROJECT_PG_PW");
  std::string error = load_error(R"(connections:
  pg: { url: "postgres://app@127.0.0.1:1/shop", password: { env: WEIR_TEST_PROJECT_PG_PW } }
  url_var: "postgres://app:${WEIR_TEST_PROJECT_PG_PW}@127.0.0.1:1/shop"
pipelines:
  a:
    input: { sql_poll: { connection: pg, query: "SELECT 1 AS x" } }
    filters:
      - sql_call: { connection: pg, queries: [ { sql: "SELECT 1 AS y" } ] }
    output: { sql_write: { connection: url_var, table: t } }
    state: { connection: pg }
    dead_letter: { connection: url_var }
  b:
    input: { sql_poll: { connection: url_var, query: "SELECT 1 AS x" } }
    output: { sql_write: { connection: pg, table: t } }
    state: { connection: nosuch }
)");
  auto lines = lines_of(error);
  ASSERT_EQ(lines.size(), 3u) << error;
  EXPECT_EQ(lines[0], "p.yaml:2:66: connections.pg.password.env: environment variable WEIR_TEST_PROJECT_PG_PW is not "
                      "set");
  EXPECT_EQ(lines[1], "p.yaml:3:12: connections.url_var: environment variable WEIR_TEST_PROJECT_PG_PW is not set "
                      "(write ${WEIR_TEST_PROJECT_PG_PW:-default} for a fallback)");
  // A name that is not defined at all is still reported, with its own path.
  EXPECT_EQ(lines[2], "p.yaml:15:26: pipelines.b.state.connection: connection `nosuch` is not defined under "
                      "`connections:`");
}

TEST(Project, OptionChecksAllShowInOnePass) {
  std::string error = load_error(R"(connections: { src: "sqlite::memory:" }
pipelines:
  p:
    input:
      sql_poll: { connection: src, qurey: x, schedule: "*/0 * * * *", page_size: 0 }
    filters:
      - sql_call: { connection: src, queries: [ { sql: "SELECT 1", cache: { max_entries: -1 } } ] }
    output:
      sql_write: { connection: src, table: t, batch: { rows: -5 } }
  q:
    input: { sql_poll: { connection: src, query: "SELECT 1", page_size: 1000001 } }
    output: { sql_write: { connection: src, table: t, batch: { rows: 0 } } }
)");
  auto lines = lines_of(error);
  std::vector<std::string> expected = {
      "p.yaml:5:36: pipelines.p.input.sql_poll.qurey: unknown option `qurey` for sql_poll (did you mean `query`?)",
      "p.yaml:5:56: pipelines.p.input.sql_poll.schedule: cron `*/0 * * * *`: minute step must be at least 1",
      "p.yaml:5:82: pipelines.p.input.sql_poll.page_size: must be at least 1 and at most 1000000 (got 0)",
      "p.yaml:5:17: pipelines.p.input.sql_poll: missing required option `query`",
      "p.yaml:7:90: pipelines.p.filters[0].sql_call.queries[0].cache.max_entries: must be at least 1 and at most "
      "100000000 (got -1)",
      "p.yaml:9:62: pipelines.p.output.sql_write.batch.rows: must be at least 1 and at most 100000000 (got -5)",
      "p.yaml:11:73: pipelines.q.input.sql_poll.page_size: must be at most 1000000 (got 1000001)",
      "p.yaml:12:70: pipelines.q.output.sql_write.batch.rows: must be at least 1 and at most 100000000 (got 0)",
  };
  EXPECT_EQ(lines, expected) << error;
}

TEST(Project, LagNeedsATimeCursor) {
  std::string error = load_error(R"(connections: { src: "sqlite::memory:" }
pipelines:
  p:
    input:
      sql_poll:
        connection: src
        query: "SELECT id FROM t WHERE {{cursor}} ORDER BY id"
        cursor: { columns: [id], initial: [0], lag: 5s }
    output: { sql_write: { connection: src, table: t } }
)");
  EXPECT_EQ(error, "p.yaml:8:17: pipelines.p.input.sql_poll.cursor: `lag` needs the first cursor column to be a "
                   "timestamp or date, and `id` starts at the integer 0 (`initial`): drop `lag`, or make a timestamp "
                   "column the first cursor column");
}

TEST(Project, ModuleErrorsPointAtTheirOption) {
  std::string error = load_error(R"(connections: { src: "sqlite::memory:" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT 1 AS id" } }
    filters:
      - sql_call:
          connection: src
          queries:
            - sql: "SELECT 1 WHERE 1 = {{ record.id }"
    output: { sql_write: { connection: src, table: t } }
)");
  EXPECT_EQ(error.substr(0, error.find(": SQL template")),
            "p.yaml:9:20: pipelines.p.filters[0].sql_call.queries[0].sql") << error;
}

TEST(Project, UnknownTopLevelKeyAndMissingOutput) {
  std::string error = load_error(R"(conections: {}
pipelines:
  a:
    input: { sql_poll: { connection: x, query: "SELECT 1" } }
)");
  EXPECT_NE(error.find("did you mean `connections`"), std::string::npos) << error;
  EXPECT_NE(error.find("pipelines.a: missing required option `output`"), std::string::npos) << error;
}

TEST(Project, IdentifiersWithControlCharactersAreRejected) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("table: t"), 8, "table: \"a\\nb\"");
  EXPECT_NE(load_error(yaml).find("contains a control character"), std::string::npos);
}

}  // namespace
}  // namespace weir::pipeline
