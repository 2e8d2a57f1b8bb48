// Whole-file validation of pipeline projects: every problem at once, with line and YAML path.
#include <gtest/gtest.h>

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
  EXPECT_NE(error.find("`merge` is not one of: insert, upsert, update, delete"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown module `sql_pol` (did you mean `sql_poll`?)"), std::string::npos) << error;
  EXPECT_NE(error.find("missing required option `table`"), std::string::npos) << error;
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 3) << error;
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
