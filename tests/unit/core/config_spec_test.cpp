#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/config_spec.hpp"
#include "core/yaml_document.hpp"
#include "weir/error.hpp"

namespace weir::config {
namespace {

using std::chrono::milliseconds;

Field field(std::string name, unsigned shapes, bool required = false, std::string default_value = {},
            std::vector<std::string> choices = {}, const Spec* nested = nullptr) {
  Field f;
  f.name = std::move(name);
  f.shapes = shapes;
  f.required = required;
  f.default_value = std::move(default_value);
  f.choices = std::move(choices);
  f.nested = nested;
  return f;
}

const Spec& target_spec() {
  static const Spec spec{"target", "where to connect",
                         {field("host", kString, true), field("port", kInteger)}};
  return spec;
}

const Spec& module_spec() {
  static const Spec spec{
      "test_module",
      "a module for tests",
      {field("name", kString, true), field("batch_size", kInteger, false, "500"),
       field("enabled", kBoolean, false, "true"), field("timeout", kDuration, false, "5s"),
       field("mode", kString, false, "insert", {"insert", "upsert", "replace"}),
       field("columns", kStringList), field("headers", kStringMap),
       field("target", kObject, false, {}, {}, &target_spec()),
       field("connections", kAnyMap, false, {}, {}, &target_spec())}};
  return spec;
}

YAML::Node load(const std::string& text) {
  return parse_document(text, "pipeline.yaml", [](std::string_view) { return std::nullopt; }).root;
}

std::vector<std::string> problems(const std::string& yaml, const std::string& path = "m") {
  Diagnostics d("pipeline.yaml");
  validate(load(yaml), module_spec(), path, d);
  return d.messages();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(ConfigSpec, ValidSectionHasNoProblems) {
  auto p = problems(
      "name: orders\nbatch_size: 10\nenabled: false\ntimeout: 250ms\nmode: upsert\n"
      "columns: [id, total]\nheaders: {a: b}\ntarget: {host: db, port: 5432}\n"
      "connections: {main: {host: a}, replica: {host: b, port: 1}}\n");
  EXPECT_TRUE(p.empty()) << joined(p);
  EXPECT_TRUE(problems("name: 42\ncolumns: id\n").empty()) << "scalars are strings; a scalar is a one-item list";
  EXPECT_TRUE(problems("name: x\nbatch_size: -5\n").empty());
}

TEST(ConfigSpec, UnknownKeyIsReportedWithLocationPathAndSuggestion) {
  auto p = problems("name: orders\nbatch_sise: 10\n", "pipelines.orders.output");
  ASSERT_EQ(p.size(), 1u) << joined(p);
  EXPECT_EQ(p[0],
            "pipeline.yaml:2:1: pipelines.orders.output.batch_sise: unknown option `batch_sise` for "
            "test_module (did you mean `batch_size`?)");
}

TEST(ConfigSpec, UnknownNestedKey) {
  auto p = problems("name: x\ntarget:\n  host: h\n  prot: 5\n");
  ASSERT_EQ(p.size(), 1u) << joined(p);
  EXPECT_TRUE(has(p[0], "pipeline.yaml:4:3: m.target.prot: unknown option `prot` for target")) << p[0];
  EXPECT_TRUE(has(p[0], "did you mean `port`")) << p[0];

  auto far = problems("name: x\ncompletely_unrelated: 1\n");
  ASSERT_EQ(far.size(), 1u);
  EXPECT_FALSE(has(far[0], "did you mean")) << far[0];
}

TEST(ConfigSpec, WrongTypes) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  for (const Case& c : {
           Case{"name: x\nbatch_size: lots\n", "pipeline.yaml:2:13: m.batch_size: `lots` is not an integer"},
           Case{"name: x\nbatch_size: 1.5\n", "m.batch_size: `1.5` is not an integer"},
           Case{"name: x\nenabled: maybe\n", "pipeline.yaml:2:10: m.enabled: `maybe` is not true or false"},
           Case{"name: x\ntimeout: 5 sec\n", "m.timeout: `5 sec` is not a duration"},
           Case{"name: x\ntimeout: 5\n", "m.timeout: `5` is not a duration"},
           Case{"name: x\ncolumns: {a: 1}\n", "m.columns: expected a list of strings"},
           Case{"name: x\ncolumns: [[a]]\n", "m.columns: expected a list of strings"},
           Case{"name: x\nheaders: [a, b]\n", "m.headers: expected a map of names to strings"},
           Case{"name: x\nheaders: {a: {b: c}}\n", "m.headers: expected a map of names to strings"},
           Case{"name: x\ntarget: localhost\n", "m.target: `localhost` is not a map"},
           Case{"name: x\ntarget: {host: h, port: p}\n", "m.target.port: `p` is not an integer"},
           Case{"name: [a, b]\n", "m.name: expected a string"},
       }) {
    auto p = problems(c.yaml);
    ASSERT_EQ(p.size(), 1u) << c.yaml << joined(p);
    EXPECT_TRUE(has(p[0], c.expected)) << "got: " << p[0] << "\nwanted: " << c.expected;
  }
}

TEST(ConfigSpec, ValueNotAmongChoices) {
  auto p = problems("name: x\nmode: upsret\n");
  ASSERT_EQ(p.size(), 1u) << joined(p);
  EXPECT_EQ(p[0], "pipeline.yaml:2:7: m.mode: `upsret` is not one of: insert, upsert, replace "
                  "(did you mean `upsert`?)");
  EXPECT_TRUE(problems("name: x\nmode: replace\n").empty());
  EXPECT_EQ(problems("name: x\nmode: INSERT\n").size(), 1u) << "choices are exact";
}

TEST(ConfigSpec, MissingRequired) {
  auto p = problems("batch_size: 1\n");
  ASSERT_EQ(p.size(), 1u) << joined(p);
  EXPECT_EQ(p[0], "pipeline.yaml:1:1: m: missing required option `name`");

  auto empty = problems("name:\n");
  ASSERT_EQ(empty.size(), 1u) << joined(empty);
  EXPECT_TRUE(has(empty[0], "m.name: must not be empty")) << empty[0];

  auto nested = problems("name: x\nconnections:\n  main: {host: a}\n  replica: {port: 1}\n");
  ASSERT_EQ(nested.size(), 1u) << joined(nested);
  EXPECT_TRUE(has(nested[0], "m.connections.replica: missing required option `host`")) << nested[0];
}

TEST(ConfigSpec, NotAMap) {
  Diagnostics d("p.yaml");
  validate(YAML::Load("[1, 2]"), module_spec(), "m", d);
  ASSERT_EQ(d.messages().size(), 1u);
  EXPECT_TRUE(has(d.messages()[0], "m: expected a map of test_module options")) << d.messages()[0];
}

TEST(ConfigSpec, AllProblemsAreReportedAtOnce) {
  Diagnostics d("pipeline.yaml");
  validate(load("batch_sise: 10\nenabled: maybe\nmode: nope\ntimeout: soon\ntarget: {port: 1}\n"),
           module_spec(), "m", d);
  // unknown key, bad boolean, bad choice, bad duration, nested missing host, missing name
  ASSERT_EQ(d.messages().size(), 6u) << joined(d.messages());
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.file(), "pipeline.yaml");
  try {
    d.throw_if_any();
    FAIL() << "throw_if_any() did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    std::string what = e.what();
    for (const std::string& m : d.messages()) EXPECT_TRUE(has(what, m)) << m;
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 5) << "one line per problem";
  }
}

std::string even_only(std::string_view value) { return value.back() % 2 ? "must be even" : ""; }

TEST(ConfigSpec, RangesAndChecksAreValidatedWithTheOtherProblems) {
  Field rows = field("rows", kInteger);
  rows.minimum = 1;
  rows.maximum = 100;
  Field floor = field("floor", kInteger);
  floor.minimum = 0;
  Field even = field("even", kString);
  even.check = &even_only;
  const Spec spec{"ranged", "ranges", {rows, floor, even}};
  Diagnostics d("pipeline.yaml");
  validate(load("rows: 0\nfloor: -5\neven: \"7\"\nnosuch: 1\n"), spec, "r", d);
  std::vector<std::string> expected = {
      "pipeline.yaml:1:7: r.rows: must be at least 1 and at most 100 (got 0)",
      "pipeline.yaml:2:8: r.floor: must be at least 0 (got -5)",
      "pipeline.yaml:3:7: r.even: must be even",
      "pipeline.yaml:4:1: r.nosuch: unknown option `nosuch` for ranged",
  };
  EXPECT_EQ(d.messages(), expected);
  Diagnostics over("pipeline.yaml");
  validate(load("rows: 101\nfloor: 0\neven: \"8\"\n"), spec, "r", over);
  EXPECT_EQ(over.messages(), std::vector<std::string>{"pipeline.yaml:1:7: r.rows: must be at most 100 (got 101)"});
}

TEST(ConfigSpec, NoProblemsMeansNoThrow) {
  Diagnostics d("x.yaml");
  EXPECT_TRUE(d.empty());
  EXPECT_NO_THROW(d.throw_if_any());
  d.add("a.b", "something off");
  EXPECT_EQ(d.messages().back(), "x.yaml: a.b: something off");
  EXPECT_THROW(d.throw_if_any(), Error);
}

TEST(ConfigSpec, LocationWithoutMarkIsJustTheFile) {
  EXPECT_EQ(location_of(YAML::Node(), "f.yaml").to_string(), "f.yaml");
  YAML::Node n = YAML::Load("a: 1\nb: 2\n");
  EXPECT_EQ(location_of(n["b"], "f.yaml").to_string(), "f.yaml:2:4");
}

TEST(ConfigSpec, SectionReadsFallBackToDefaults) {
  Section s(load("name: orders\nbatch_size:\n"), module_spec(), "m");
  EXPECT_EQ(s.string("name"), "orders");
  EXPECT_TRUE(s.has("name"));
  EXPECT_FALSE(s.has("batch_size")) << "an empty value counts as absent";
  EXPECT_TRUE(s.written_null("batch_size"));
  EXPECT_FALSE(s.written_null("name"));
  EXPECT_FALSE(s.written_null("timeout")) << "not written at all";
  EXPECT_TRUE(Section(load("name: x\nmode: null\n"), module_spec(), "m").written_null("mode"));
  EXPECT_TRUE(Section(load("name: x\nmode: ~\n"), module_spec(), "m").written_null("mode"));
  EXPECT_EQ(s.integer("batch_size"), 500);
  EXPECT_TRUE(s.boolean("enabled"));
  EXPECT_EQ(s.duration("timeout"), milliseconds(5000));
  EXPECT_EQ(s.string("mode"), "insert");
  EXPECT_TRUE(s.string_list("columns").empty());
  EXPECT_TRUE(s.string_map("headers").empty());
  EXPECT_FALSE(s.node("target").IsDefined() && !s.node("target").IsNull());
  EXPECT_EQ(s.path(), "m");
  EXPECT_EQ(s.path_of("batch_size"), "m.batch_size");
  EXPECT_THROW(s.string("not_declared"), Error);
}

TEST(ConfigSpec, SectionReadsGivenValues) {
  Section s(load("name: orders\nbatch_size: 10\nenabled: false\ntimeout: 2m\nmode: replace\n"
                 "columns: [b, a, c]\nheaders: {z: '1', a: '2', m: '3'}\ntarget: {host: h}\n"),
            module_spec(), "m");
  EXPECT_EQ(s.integer("batch_size"), 10);
  EXPECT_FALSE(s.boolean("enabled"));
  EXPECT_EQ(s.duration("timeout"), milliseconds(120'000));
  EXPECT_EQ(s.string("mode"), "replace");
  EXPECT_EQ(s.string_list("columns"), (std::vector<std::string>{"b", "a", "c"}));
  auto headers = s.string_map("headers");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"z", "1"})) << "file order is kept";
  EXPECT_EQ(headers[1].first, "a");
  EXPECT_EQ(headers[2].first, "m");
  EXPECT_EQ(s.node("target")["host"].as<std::string>(), "h");

  Section scalar_list(load("name: x\ncolumns: id\n"), module_spec(), "m");
  EXPECT_EQ(scalar_list.string_list("columns"), (std::vector<std::string>{"id"}));
}

const Spec& list_spec() {
  static const Spec spec{"list_module", "a module with a list of objects",
                         {field("steps", kObjectList, true, {}, {}, &target_spec())}};
  return spec;
}

std::vector<std::string> list_problems(const std::string& yaml) {
  Diagnostics d("pipeline.yaml");
  validate(load(yaml), list_spec(), "m", d);
  return d.messages();
}

TEST(ConfigSpec, ObjectListValidatesEachItemWithItsIndex) {
  EXPECT_TRUE(list_problems("steps: [{host: a}, {host: b, port: 2}]\n").empty());
  EXPECT_TRUE(list_problems("steps: []\n").empty()) << "emptiness is the module's call";
  auto p = list_problems("steps:\n  - host: a\n  - host: b\n    prot: 5\n  - port: 1\n  - just text\n");
  ASSERT_EQ(p.size(), 3u) << joined(p);
  EXPECT_TRUE(has(p[0], "pipeline.yaml:4:5: m.steps[1].prot: unknown option `prot` for target (did you mean `port`?)"))
      << p[0];
  EXPECT_TRUE(has(p[1], "pipeline.yaml:5:5: m.steps[2]: missing required option `host`")) << p[1];
  EXPECT_TRUE(has(p[2], "pipeline.yaml:6:5: m.steps[3]: expected a map of target options")) << p[2];
}

TEST(ConfigSpec, ObjectListMustBeAList) {
  auto scalar = list_problems("steps: x\n");
  ASSERT_EQ(scalar.size(), 1u) << joined(scalar);
  EXPECT_TRUE(has(scalar[0], "m.steps: `x` is not a list of maps")) << scalar[0];
  auto map = list_problems("steps: {host: a}\n");
  ASSERT_EQ(map.size(), 1u) << joined(map);
  EXPECT_TRUE(has(map[0], "m.steps: expected a list of maps")) << map[0];
}

TEST(ConfigSpec, SectionReadsObjectLists) {
  Section s(load("steps: [{host: a}, {host: b, port: 2}]\n"), list_spec(), "m");
  std::vector<Section> items = s.object_list("steps");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].path(), "m.steps[0]");
  EXPECT_EQ(items[1].path_of("port"), "m.steps[1].port");
  EXPECT_EQ(items[0].string("host"), "a");
  EXPECT_FALSE(items[0].has("port"));
  EXPECT_EQ(items[1].integer("port"), 2);
  Section absent(load("other: 1\n"), list_spec(), "m");
  EXPECT_TRUE(absent.object_list("steps").empty());
}

TEST(ConfigSpec, ParseDuration) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("5s"), milliseconds(5'000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("1d"), milliseconds(86'400'000));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  for (const char* bad : {"5", "s", "-1s", "5 sec", "", "ms", "5x", "1.5s", "5sec", "s5"})
    EXPECT_FALSE(parse_duration(bad)) << '"' << bad << '"';
}

TEST(ConfigSpec, ParseDurationRejectsOverflow) {
  for (const char* huge : {"9999999999999d", "99999999999999h", "9223372036854775807s"}) {
    auto d = parse_duration(huge);
    EXPECT_FALSE(d) << huge << " gave " << (d ? d->count() : 0);
  }
}

}  // namespace
}  // namespace weir::config
