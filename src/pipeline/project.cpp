#include "pipeline/project.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

using config::Field;

const config::Spec& project_spec() {
  static const config::Spec s{
      "weir file",
      "A weir project: connections and pipelines.",
      {
          Field{.name = "connections", .shapes = config::kAnyMap,
                .description = "Named connections; see the connection options."},
          Field{.name = "pipelines", .shapes = config::kAnyMap,
                .description = "Named pipelines, each an input, optional filters and an output."},
      }};
  return s;
}

// The one `module_name: {options}` entry of an input/output block, or null after a diagnostic.
template <class Module>
const Module* pick_module(const YAML::Node& block, const std::string& path, std::span<const Module> modules,
                          config::Diagnostics& d) {
  std::vector<std::string_view> names;
  for (const Module& m : modules) names.push_back(m.name);
  if (!block.IsMap() || block.size() != 1) {
    d.add(block, path, fmt::format("expected exactly one module, one of: {}", fmt::join(names, ", ")));
    return nullptr;
  }
  const std::string& name = block.begin()->first.Scalar();
  for (const Module& m : modules)
    if (m.name == name) return &m;
  d.add(block.begin()->first, path + "." + name,
        fmt::format("unknown module `{}`{} (available: {})", name, did_you_mean(name, names), fmt::join(names, ", ")));
  return nullptr;
}

template <class Module>
auto build_module(const YAML::Node& block, const std::string& path, std::span<const Module> modules,
                  const ModuleContext& context, config::Diagnostics& d) -> decltype(Module{}.make(
    std::declval<config::Section>(), context)) {
  const Module* module = pick_module(block, path, modules, d);
  if (!module) return nullptr;
  std::string module_path = path + "." + std::string(module->name);
  YAML::Node options = block.begin()->second;
  if (options.IsNull()) options = YAML::Node(YAML::NodeType::Map);
  std::size_t before = d.messages().size();
  config::validate(options, module->spec(), module_path, d);
  if (d.messages().size() != before) return nullptr;
  try {
    return module->make(config::Section(options, module->spec(), module_path), context);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::config) throw;
    d.add(options, module_path, e.what());
    return nullptr;
  }
}

}  // namespace

const config::Spec& pipeline_spec() {
  static const config::Spec s{
      "pipeline",
      "One flow of records: an input, optional filters, an output.",
      {
          Field{.name = "input", .shapes = config::kObject | config::kStringMap, .required = true,
                .description = "Exactly one input module, e.g. `sql_poll: {…}`."},
          Field{.name = "output", .shapes = config::kObject | config::kStringMap, .required = true,
                .description = "Exactly one output module, e.g. `sql_write: {…}`."},
      }};
  return s;
}

Project build_project(config::Document document) {
  Project project{std::move(document), {}, {}};
  const config::Document& doc = project.document;
  config::Diagnostics d(doc.file);
  std::vector<std::string_view> top;
  for (const Field& f : project_spec().fields) top.push_back(f.name);
  for (const auto& entry : doc.root) {
    const std::string& key = entry.first.Scalar();
    if (!project_spec().find(key))
      d.add(entry.first, key, fmt::format("unknown top-level key `{}`{}", key, did_you_mean(key, top)));
  }
  project.connections = db::read_connections(doc, d);
  YAML::Node pipelines = doc.root["pipelines"];
  if (pipelines && !pipelines.IsNull() && !pipelines.IsMap())
    d.add(pipelines, "pipelines", "expected a map of pipeline names to pipelines");
  if (pipelines && pipelines.IsMap()) {
    for (const auto& entry : pipelines) {
      std::string name = entry.first.Scalar();
      std::string path = "pipelines." + name;
      const YAML::Node& node = entry.second;
      if (!node.IsMap()) {
        d.add(node, path, "expected a map with `input` and `output`");
        continue;
      }
      for (const auto& field : node) {
        const std::string& key = field.first.Scalar();
        if (!pipeline_spec().find(key))
          d.add(field.first, path + "." + key, fmt::format("unknown option `{}` for a pipeline{}", key,
                                                          did_you_mean(key, std::vector<std::string_view>{"input", "output"})));
      }
      if (!node["input"]) d.add(node, path, "missing required option `input`");
      if (!node["output"]) d.add(node, path, "missing required option `output`");
      if (!node["input"] || !node["output"]) continue;
      ModuleContext context(project.connections, name);
      Pipeline p{name, build_module(node["input"], path + ".input", input_modules(), context, d),
                 build_module(node["output"], path + ".output", output_modules(), context, d)};
      if (p.input && p.output) project.pipelines.push_back(std::move(p));
    }
  }
  d.throw_if_any();
  return project;
}

Project load_project(const std::string& file) { return build_project(config::load_document(file)); }

}  // namespace weir::pipeline
