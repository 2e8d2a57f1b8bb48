#include "pipeline/json_schema.hpp"

#include <fmt/format.h>

#include <charconv>
#include <span>
#include <vector>

#include "db/connections.hpp"
#include "pipeline/module.hpp"
#include "pipeline/project.hpp"
#include "weir/value.hpp"

namespace weir::pipeline {
namespace {

// YAML scalars the validator reads as text: quoted or not, numbers and booleans included.
constexpr std::string_view kScalar = R"({"type":["string","number","boolean"]})";

std::string json_quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string object_schema(const config::Spec& spec);

// The default as the JSON value the YAML text stands for.
std::string default_json(const config::Field& f) {
  const std::string& d = f.default_value;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
  if (ec == std::errc{} && end == d.data() + d.size()) return d;
  if (d == "true" || d == "false") return d;
  return json_quoted(d);
}

template <class Module>
std::string one_module_of(std::span<const Module> modules) {
  if (modules.empty()) return R"({"not":{}})";  // nothing can match
  std::vector<std::string> choices;
  for (const Module& m : modules)
    choices.push_back(fmt::format(R"({{"type":"object","properties":{{{}:{}}},"required":[{}],"additionalProperties":false}})",
                                  json_quoted(m.name), object_schema(m.spec()), json_quoted(m.name)));
  return fmt::format(R"({{"oneOf":[{}]}})", fmt::join(choices, ","));
}

std::string shapes_schema(const config::Field& f) {
  if (!f.choices.empty()) {
    std::vector<std::string> names;
    for (const std::string& c : f.choices) names.push_back(json_quoted(c));
    return fmt::format(R"({{"enum":[{}]}})", fmt::join(names, ","));
  }
  std::vector<std::string> any;
  if (f.shapes & config::kString) any.emplace_back(kScalar);
  if (f.shapes & config::kInteger) {
    std::string range;
    if (f.minimum) range += fmt::format(R"(,"minimum":{})", *f.minimum);
    if (f.maximum) range += fmt::format(R"(,"maximum":{})", *f.maximum);
    any.push_back(fmt::format(R"({{"type":"integer"{}}})", range));
  }
  if (f.shapes & config::kBoolean) any.emplace_back(R"({"type":"boolean"})");
  if (f.shapes & config::kDuration) any.emplace_back(R"({"type":"string","pattern":"^[0-9]+(ms|s|m|h|d)$"})");
  if (f.shapes & config::kStringList) {
    any.emplace_back(kScalar);
    any.push_back(fmt::format(R"({{"type":"array","items":{}}})", kScalar));
  }
  if (f.shapes & config::kStringMap) any.push_back(fmt::format(R"({{"type":"object","additionalProperties":{}}})", kScalar));
  if ((f.shapes & config::kObject) && f.nested) any.push_back(object_schema(*f.nested));
  if ((f.shapes & config::kObjectList) && f.nested)
    any.push_back(fmt::format(R"({{"type":"array","items":{}}})", object_schema(*f.nested)));
  if ((f.shapes & config::kAnyMap) && f.nested) {
    std::string entry = object_schema(*f.nested);  // with kStringMap too, a map may mix both
    if (f.shapes & config::kStringMap) entry = fmt::format(R"({{"anyOf":[{},{}]}})", kScalar, entry);
    any.push_back(fmt::format(R"({{"type":"object","additionalProperties":{}}})", entry));
  }
  if (any.size() == 1) return any[0];
  return fmt::format(R"({{"anyOf":[{}]}})", fmt::join(any, ","));
}

// Pipelines name their modules: input, filters and output accept exactly the compiled-in ones.
std::string field_schema(const config::Field& f, const config::Spec& owner) {
  std::string body;
  if (&owner == &pipeline_spec() && f.name == "input") body = one_module_of(input_modules());
  else if (&owner == &pipeline_spec() && f.name == "output") body = one_module_of(output_modules());
  else if (f.shapes & config::kModuleList)
    body = fmt::format(R"({{"type":"array","items":{}}})", one_module_of(filter_modules()));
  else body = shapes_schema(f);
  // Merge description and default into the shape's object.
  std::string extra = fmt::format(R"("description":{})", json_quoted(f.description));
  if (!f.default_value.empty()) extra += fmt::format(R"(,"default":{})", default_json(f));
  return fmt::format("{{{},{}", extra, body.substr(1));
}

std::string object_schema(const config::Spec& spec) {
  std::vector<std::string> properties, required;
  for (const config::Field& f : spec.fields) {
    properties.push_back(fmt::format("{}:{}", json_quoted(f.name), field_schema(f, spec)));
    if (f.required) required.push_back(json_quoted(f.name));
  }
  return fmt::format(R"({{"type":"object","description":{},"properties":{{{}}},"required":[{}],"additionalProperties":false}})",
                     json_quoted(spec.description), fmt::join(properties, ","), fmt::join(required, ","));
}

}  // namespace

std::string project_json_schema() {
  std::string connection = fmt::format(R"({{"anyOf":[{{"type":"string","description":"A connection URL"}},{}]}})",
                                       object_schema(db::connection_spec()));
  return fmt::format(
      R"({{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"weir project file",)"
      R"("type":"object","properties":{{"connections":{{"type":"object","additionalProperties":{}}},)"
      R"("pipelines":{{"type":"object","additionalProperties":{}}}}},"additionalProperties":false}})",
      connection, object_schema(pipeline_spec()));
}

}  // namespace weir::pipeline
