// The generated reference and the examples inside the specs stay true.
#include <gtest/gtest.h>

#include "db/types_reference.hpp"
#include "pipeline/project.hpp"
#include "pipeline/reference.hpp"
#include "support/test_support.hpp"

namespace weir::pipeline {
namespace {

TEST(Reference, DocsMatchTheSpecs) {
  std::string committed = test::read_file(std::string(WEIR_SOURCE_DIR) + "/docs/configuration.md");
  EXPECT_EQ(committed, configuration_reference_markdown())
      << "docs/configuration.md is stale: run build/weir reference config > docs/configuration.md";
}

TEST(Reference, TypeDocsMatchTheDrivers) {
  std::string committed = test::read_file(std::string(WEIR_SOURCE_DIR) + "/docs/types.md");
  EXPECT_EQ(committed, db::types_reference_markdown())
      << "docs/types.md is stale: run build/weir reference types > docs/types.md";
}

// Each field's example, put in a one-field map, passes that spec's validation.
void check_examples(const config::Spec& spec) {
  for (const config::Field& f : spec.fields) {
    if (f.example.empty()) continue;
    YAML::Node node;
    ASSERT_NO_THROW(node = YAML::Load(f.name + ": " + f.example)) << spec.name << "." << f.name;
    config::Diagnostics d("example");
    config::validate(node, spec, spec.name, d);
    for (const std::string& m : d.messages())
      if (m.find("missing required") == std::string::npos) ADD_FAILURE() << m;
    if (f.nested) check_examples(*f.nested);
  }
}

// Calls `check` with each top-level spec: connections, pipelines and every module.
void for_every_spec(void (*check)(const config::Spec&)) {
  check(db::connection_spec());
  check(pipeline_spec());
  for (const InputModule& m : input_modules()) check(m.spec());
  for (const FilterModule& m : filter_modules()) check(m.spec());
  for (const OutputModule& m : output_modules()) check(m.spec());
}

TEST(Reference, EveryExampleInEverySpecValidates) { for_every_spec(&check_examples); }

// Every integer option declares its range in its spec, so validate rejects `0` and `-5`
// where they make no sense, naming the YAML path.
void check_integer_ranges(const config::Spec& spec) {
  for (const config::Field& f : spec.fields) {
    if (f.shapes & config::kInteger) {
      EXPECT_TRUE(f.minimum.has_value()) << spec.name << "." << f.name;
    }
    if (f.nested && f.nested != &spec) check_integer_ranges(*f.nested);
  }
}

TEST(Reference, EveryIntegerOptionDeclaresItsRange) { for_every_spec(&check_integer_ranges); }

}  // namespace
}  // namespace weir::pipeline
