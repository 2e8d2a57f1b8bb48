#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/config_spec.hpp"
#include "core/yaml_document.hpp"
#include "support/test_support.hpp"
#include "weir/error.hpp"

namespace weir::config {
namespace {

namespace fs = std::filesystem;

// An environment that is a fixed map: tests never depend on the real process environment.
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const EnvLookup kEnv = env_of({{"HOST", "db.internal"}, {"PORT", "6543"}, {"EMPTY", ""},
                               {"USER", "app"}, {"TRICKY", "${HOST}"}});

std::string config_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(Interpolate, ExpandsVariables) {
  EXPECT_EQ(interpolate("${HOST}", kEnv), "db.internal");
  EXPECT_EQ(interpolate("postgres://${USER}@${HOST}:${PORT}/shop", kEnv), "postgres://app@db.internal:6543/shop");
  EXPECT_EQ(interpolate("no variables here", kEnv), "no variables here");
  EXPECT_EQ(interpolate("", kEnv), "");
  EXPECT_EQ(interpolate("${EMPTY}", kEnv), "") << "set but empty, no default: empty";
}

TEST(Interpolate, DefaultsApplyWhenUnsetOrEmpty) {
  EXPECT_EQ(interpolate("${UNSET_VAR:-5432}", kEnv), "5432");
  EXPECT_EQ(interpolate("${EMPTY:-fallback}", kEnv), "fallback");
  EXPECT_EQ(interpolate("${PORT:-5432}", kEnv), "6543");
  EXPECT_EQ(interpolate("${UNSET_VAR:-}", kEnv), "");
  EXPECT_EQ(interpolate("${URL:-postgres://localhost:5432/db}", kEnv), "postgres://localhost:5432/db");
  EXPECT_EQ(interpolate("a ${UNSET_VAR:-with spaces} b", kEnv), "a with spaces b");
}

TEST(Interpolate, DollarEscapesAndLoneDollars) {
  EXPECT_EQ(interpolate("$${HOST}", kEnv), "${HOST}");
  EXPECT_EQ(interpolate("price $5", kEnv), "price $5");
  EXPECT_EQ(interpolate("$", kEnv), "$");
  EXPECT_EQ(interpolate("a$b$$c", kEnv), "a$b$$c");
  EXPECT_EQ(interpolate("$HOST", kEnv), "$HOST") << "only the braced form is expanded";
  EXPECT_EQ(interpolate("$${HOST} and ${HOST}", kEnv), "${HOST} and db.internal");
}

TEST(Interpolate, ValuesAreNotExpandedAgain) {
  EXPECT_EQ(interpolate("${TRICKY}", kEnv), "${HOST}");
}

TEST(Interpolate, UnsetWithoutDefaultNamesTheVariable) {
  std::string msg = config_error([] { interpolate("host: ${DB_HOST_UNSET}", kEnv); });
  EXPECT_TRUE(has(msg, "DB_HOST_UNSET")) << msg;
  EXPECT_TRUE(has(msg, "not set")) << msg;
  config_error([] { interpolate("${UNCLOSED", kEnv); });
  config_error([] { interpolate("${}", kEnv); });
  config_error([] { interpolate("${:-x}", kEnv); });
}

TEST(Interpolate, ProcessEnvReadsTheRealEnvironment) {
  EnvLookup env = process_env();
  EXPECT_FALSE(env("WEIR_TEST_SURELY_UNSET_VARIABLE_8812"));
  if (const char* path = std::getenv("PATH")) {
    EXPECT_EQ(env("PATH"), std::string(path));
  }
}

TEST(ParseDocument, InterpolatesNestedScalars) {
  Document doc = parse_document(
      "connections:\n"
      "  main:\n"
      "    url: postgres://${USER}@${HOST}:${PORT:-5432}/shop\n"
      "    pool: ${POOL:-4}\n"
      "pipelines:\n"
      "  - name: copy-${USER}\n"
      "    steps: [a, \"${HOST}\", \"$${LITERAL}\"]\n"
      "plain: untouched $5\n",
      "weir.yaml", kEnv);
  EXPECT_EQ(doc.file, "weir.yaml");
  EXPECT_EQ(doc.root["connections"]["main"]["url"].as<std::string>(), "postgres://app@db.internal:6543/shop");
  EXPECT_EQ(doc.root["connections"]["main"]["pool"].as<int>(), 4);
  EXPECT_EQ(doc.root["pipelines"][0]["name"].as<std::string>(), "copy-app");
  EXPECT_EQ(doc.root["pipelines"][0]["steps"][0].as<std::string>(), "a");
  EXPECT_EQ(doc.root["pipelines"][0]["steps"][1].as<std::string>(), "db.internal");
  EXPECT_EQ(doc.root["pipelines"][0]["steps"][2].as<std::string>(), "${LITERAL}");
  EXPECT_EQ(doc.root["plain"].as<std::string>(), "untouched $5");
}

TEST(ParseDocument, InterpolatedValuesKeepTheirLocation) {
  Document doc = parse_document("a: 1\nhost: ${HOST}\n", "weir.yaml", kEnv);
  EXPECT_EQ(location_of(doc.root["host"], doc.file).to_string(), "weir.yaml:2:7");
}

TEST(ParseDocument, UnsetVariablesAreKeptForWhatReadsThem) {
  // Loading does not fail: only what reads an unset variable does (`weir query URL` must not
  // fail on a pipeline's ${VAR}).
  Document doc = parse_document(
      "connections:\n"
      "  main:\n"
      "    url: postgres://${NO_SUCH_USER}@h/db\n"
      "pipelines:\n"
      "  - name: ok\n"
      "    target: ${NO_SUCH_TARGET}\n",
      "weir.yaml", kEnv);
  ASSERT_EQ(doc.unresolved.size(), 2u);
  EXPECT_TRUE(doc.has_unresolved("connections.main"));
  EXPECT_TRUE(doc.has_unresolved("pipelines"));
  EXPECT_FALSE(doc.has_unresolved("connections.mai"));
  EXPECT_FALSE(doc.has_unresolved("connections.other"));

  Diagnostics connections("weir.yaml");
  EXPECT_TRUE(doc.report_unresolved("connections.main", connections));
  ASSERT_EQ(connections.messages().size(), 1u);
  EXPECT_EQ(connections.messages()[0],
            "weir.yaml:3:10: connections.main.url: environment variable NO_SUCH_USER is not set "
            "(write ${NO_SUCH_USER:-default} for a fallback)");
  // One cause, one line: later complaints about the same value are dropped.
  connections.add(doc.root["connections"]["main"]["url"], "connections.main.url", "unknown scheme");
  EXPECT_EQ(connections.messages().size(), 1u);

  Diagnostics all("weir.yaml");
  EXPECT_TRUE(doc.report_unresolved("", all));
  ASSERT_EQ(all.messages().size(), 2u);
  EXPECT_TRUE(has(all.messages()[1], "weir.yaml:6:13: pipelines[0].target:")) << all.messages()[1];
}

TEST(ParseDocument, WhatIsNotAVariableNameIsNeverEchoed) {
  // A password pasted where a variable name goes is likely a secret.
  Document doc = parse_document("connections:\n  a: \"postgres://app:${sx-Pasted!Pw-771}@h/db\"\n", "w.yaml", kEnv);
  ASSERT_EQ(doc.unresolved.size(), 1u);
  const std::string& msg = doc.unresolved[0].message;
  EXPECT_FALSE(has(msg, "sx-Pasted")) << msg;
  EXPECT_TRUE(has(msg, "not a valid environment variable name")) << msg;
  EXPECT_TRUE(is_variable_name("SHOP_PW_2"));
  EXPECT_TRUE(is_variable_name("_x"));
  EXPECT_FALSE(is_variable_name("2X"));
  EXPECT_FALSE(is_variable_name("p@ss"));
  EXPECT_FALSE(is_variable_name(""));
}

TEST(ParseDocument, LocateFindsTheNodeOfTheMessagesPath) {
  Document doc = parse_document(
      "pipelines:\n"
      "  p:\n"
      "    filters:\n"
      "      - sql_call:\n"
      "          queries:\n"
      "            - sql: SELECT 1\n",
      "w.yaml", kEnv);
  EXPECT_EQ(doc.locate("pipelines.p.filters[0].sql_call.queries[0].sql: bad"),
            "w.yaml:6:20: pipelines.p.filters[0].sql_call.queries[0].sql: bad");
  // The deepest node that exists along the path.
  EXPECT_EQ(doc.locate("pipelines.p.filters[0].sql_call.queries[3]: bad"),
            "w.yaml:6:13: pipelines.p.filters[0].sql_call.queries[3]: bad");
  EXPECT_EQ(doc.locate("connection `a` failed: x"), "w.yaml: connection `a` failed: x");
  EXPECT_FALSE(doc.root["pipelines"]["p"]["nosuch"]) << "locating must not change the tree";
  EXPECT_EQ(doc.root["pipelines"]["p"].size(), 1u);
}

TEST(ParseDocument, InvalidYamlReportsFileAndLine) {
  std::string msg = config_error([] { parse_document("a: 1\nb: c: d\n", "bad.yaml", kEnv); });
  EXPECT_TRUE(has(msg, "bad.yaml:2:")) << msg;
  EXPECT_TRUE(has(msg, "invalid YAML")) << msg;

  std::string flow = config_error([] { parse_document("a: 1\nb: [1, 2\nc: 3\n", "flow.yaml", kEnv); });
  EXPECT_TRUE(has(flow, "flow.yaml:3:")) << flow;
}

TEST(ParseDocument, TopLevelMustBeAMap) {
  std::string msg = config_error([] { parse_document("- a\n- b\n", "list.yaml", kEnv); });
  EXPECT_TRUE(has(msg, "list.yaml")) << msg;
  config_error([] { parse_document("just a scalar", "s.yaml", kEnv); });

  Document empty = parse_document("", "empty.yaml", kEnv);
  EXPECT_TRUE(empty.root.IsMap());
  EXPECT_EQ(empty.root.size(), 0u);
}

TEST(ParseDocument, ResolvePathIsRelativeToTheFilesFolder) {
  Document doc = parse_document("a: 1\n", "/etc/weir/pipeline.yaml", kEnv);
  EXPECT_EQ(doc.base_dir, fs::path("/etc/weir"));
  EXPECT_EQ(doc.resolve_path("data/out.csv"), "/etc/weir/data/out.csv");
  EXPECT_EQ(doc.resolve_path("./x.db"), "/etc/weir/x.db");
  EXPECT_EQ(doc.resolve_path("../shared/x.db"), "/etc/shared/x.db");
  EXPECT_EQ(doc.resolve_path("/var/lib/x.db"), "/var/lib/x.db");

  Document rel = parse_document("a: 1\n", "configs/p.yaml", kEnv);
  EXPECT_EQ(rel.resolve_path("a.db"), (fs::current_path() / "configs" / "a.db").lexically_normal().string());
  Document here = parse_document("a: 1\n", "p.yaml", kEnv);
  EXPECT_EQ(here.resolve_path("a.db"), (fs::current_path() / "a.db").lexically_normal().string());
}

TEST(LoadDocument, ReadsAFileAndInterpolates) {
  test::TempDir dir;
  std::string file = dir.file("pipeline.yaml");
  test::write_file(file, "source:\n  url: sqlite:${DB_FILE:-data.db}\n  host: ${HOST}\n");
  Document doc = load_document(file, kEnv);
  EXPECT_EQ(doc.file, file);
  EXPECT_EQ(doc.root["source"]["url"].as<std::string>(), "sqlite:data.db");
  EXPECT_EQ(doc.root["source"]["host"].as<std::string>(), "db.internal");
  EXPECT_EQ(fs::path(doc.resolve_path("data.db")), (dir.path() / "data.db").lexically_normal());

  std::string msg = config_error([&] { load_document(dir.file("missing.yaml"), kEnv); });
  EXPECT_TRUE(has(msg, "missing.yaml")) << msg;
}

}  // namespace
}  // namespace weir::config
