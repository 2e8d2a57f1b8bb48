#include "pipeline/project.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "modules/retry_option.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

using config::Field;

}  // namespace

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

namespace {

const config::Spec& state_spec() {
  static const config::Spec s{
      "state",
      "Where the pipeline keeps its checkpoint (the table weir_state).",
      {
          Field{.name = "connection", .required = true,
                .description = "Connection holding weir_state. Name the output's connection for exactly-once "
                               "delivery: rows and checkpoint then commit in one transaction.",
                .example = "warehouse"},
          // A state store on a disk or network filesystem going bad fails with I/O errors, retried
          // as a lost connection is; how long is the user's to say.
          modules::retry_field(),
      }};
  return s;
}

const config::Spec& dead_letter_spec() {
  static const config::Spec s{
      "dead_letter",
      "Where records the pipeline gave up on are kept, with the stage, error kind and message.",
      {
          Field{.name = "connection",
                .description = "Connection holding the table; default: the state's.", .example = "warehouse"},
          Field{.name = "table", .default_value = "weir_dead_letters", .description = "Table name.",
                .example = "orders_rejected"},
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

// Adds `message` about the YAML block at `path`. A message that starts with a YAML path under
// it ("pipelines.p.output.x.connection: …") is placed at that node, as run and --check-sql
// place theirs (Document::locate), rather than getting the block's path in front.
void add_at_path(const config::Document& doc, const std::string& path, std::string_view message,
                 config::Diagnostics& d) {
  std::size_t colon = message.find(": ");
  std::string_view at = message.substr(0, colon);
  if (colon != std::string_view::npos && at.starts_with(path) && at.find(' ') == std::string_view::npos)
    d.add(doc.node_at(at), at, message.substr(colon + 2));
  else d.add(doc.node_at(path), path, message);
}

// Reports an unknown `connection:` of a module that is not built for other problems.
void check_connection_name(const YAML::Node& options, const config::Spec& spec, const std::string& path,
                           const ModuleContext& context, const config::Document& doc, config::Diagnostics& d) {
  // A const map's absent key is an invalid node, which throws when asked its type: test it first.
  if (!spec.find("connection") || !options.IsMap() || !options["connection"] || !options["connection"].IsScalar() ||
      doc.has_unresolved(path + ".connection"))
    return;
  try {
    context.connection(config::Section(options, spec, path), "connection");
  } catch (const Error& e) {
    if (e.code() != config::kReportedElsewhere) add_at_path(doc, path, e.what(), d);
  }
}

template <class Module>
auto build_module(const YAML::Node& block, const std::string& path, std::span<const Module> modules,
                  const ModuleContext& context, const config::Document& doc, config::Diagnostics& d)
    -> decltype(Module{}.make(std::declval<config::Section>(), context)) {
  const Module* module = pick_module(block, path, modules, d);
  if (!module) return nullptr;
  std::string module_path = path + "." + std::string(module->name);
  YAML::Node options = block.begin()->second;
  if (options.IsNull()) options = YAML::Node(YAML::NodeType::Map);
  std::size_t before = d.messages().size();
  config::validate(options, module->spec(), module_path, d);
  // A value with an unset variable is reported already: reading it would only add errors
  // about the unexpanded text. The connection name is still checked, so it shows in this pass.
  if (d.messages().size() != before || doc.has_unresolved(module_path)) {
    check_connection_name(options, module->spec(), module_path, context, doc, d);
    return nullptr;
  }
  try {
    return module->make(config::Section(options, module->spec(), module_path), context);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::config) throw;
    if (e.code() != config::kReportedElsewhere) add_at_path(doc, module_path, e.what(), d);
    return nullptr;
  }
}

// Reads `state:` of a pipeline: the store it names, or the project's default file store.
std::shared_ptr<StateStore> state_store_of(const YAML::Node& node, const std::string& path, Project& project,
                                           const ModuleContext& context, config::Diagnostics& d) {
  db::ConnectionConfig config;
  RetryPolicy retry = modules::default_retry_policy();
  if (node) {
    std::size_t before = d.messages().size();
    config::validate(node, state_spec(), path, d);
    if (d.messages().size() != before) return nullptr;
    if (project.document.has_unresolved(path)) return nullptr;
    try {
      config = context.connection(config::Section(node, state_spec(), path), "connection");
      retry = modules::read_retry_policy(config::Section(node, state_spec(), path));
    } catch (const Error& e) {
      if (e.code() != config::kReportedElsewhere) add_at_path(project.document, path, e.what(), d);
      return nullptr;
    }
  } else {
    config.name = "state";
    config.url = Url::parse("sqlite::memory:");
    config.url.database = project.document.resolve_path(".weir/state.db");
  }
  for (auto& [url, store] : project.state_stores)
    if (url == config.url) return store;
  auto store = std::make_shared<StateStore>(config, project.pools->claim(config), retry);
  project.state_stores.emplace_back(config.url, store);
  return store;
}

std::unique_ptr<DeadLetterTable> dead_letters_of(const YAML::Node& node, const std::string& path,
                                                 const StateStore& state, const ModuleContext& context,
                                                 const config::Document& doc, config::Diagnostics& d) {
  db::ConnectionConfig config = state.config();
  db::TableRef table{"", std::string(DeadLetterTable::kDefaultTable)};
  if (node) {
    std::size_t before = d.messages().size();
    config::validate(node, dead_letter_spec(), path, d);
    if (d.messages().size() != before || doc.has_unresolved(path)) return nullptr;
    config::Section section(node, dead_letter_spec(), path);
    try {
      if (section.has("connection")) config = context.connection(section, "connection");
      table = db::TableRef::parse(section.string("table"));
    } catch (const Error& e) {
      if (e.code() != config::kReportedElsewhere) add_at_path(doc, path, e.what(), d);
      return nullptr;
    }
  }
  return std::make_unique<DeadLetterTable>(config, table, context.pipeline(), context.pool(config),
                                           modules::default_retry_policy());
}

std::vector<std::unique_ptr<Filter>> filters_of(const YAML::Node& node, const std::string& path,
                                                const ModuleContext& context, const config::Document& doc,
                                                config::Diagnostics& d) {
  std::vector<std::unique_ptr<Filter>> filters;
  if (!node || node.IsNull()) return filters;
  if (!node.IsSequence()) {
    d.add(node, path, "expected a list of filters, e.g. `- sql_call: {…}`");
    return filters;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto filter = build_module(node[i], fmt::format("{}[{}]", path, i), filter_modules(), context, doc, d);
    if (filter) filters.push_back(std::move(filter));
  }
  return filters;
}

// An output replacing its table with each run's rows, fed only the rows new since the last
// run, would leave nothing but the latest run's rows.
void check_runs_are_whole(const Pipeline& p, const config::Document& doc, config::Diagnostics& d) {
  std::optional<std::string> replacing = p.output->replacing_option();
  std::optional<std::string> incremental = p.input->incremental_option();
  if (!replacing || !incremental) return;
  d.add(doc.node_at(*replacing), *replacing,
        fmt::format("mode `replace` replaces the table's rows with each run's, but the input reads only the rows "
                    "new since its last run ({}), so the table would keep only those; use mode `upsert`, or "
                    "remove the cursor",
                    *incremental));
}

}  // namespace

const config::Spec& pipeline_spec() {
  static const config::Spec s{
      "pipeline",
      "One flow of records: an input, optional filters, an output.",
      {
          Field{.name = "input", .shapes = config::kObject | config::kStringMap, .required = true,
                .description = "Exactly one input module, e.g. `sql_poll: {…}`."},
          Field{.name = "filters", .shapes = config::kModuleList,
                .description = "Filter modules applied in order, e.g. `- sql_call: {…}`."},
          Field{.name = "output", .shapes = config::kObject | config::kStringMap, .required = true,
                .description = "Exactly one output module, e.g. `sql_write: {…}`."},
          Field{.name = "dead_letter", .shapes = config::kObject, .description = dead_letter_spec().description,
                .example = "{ connection: warehouse, table: weir_dead_letters }", .nested = &dead_letter_spec()},
          Field{.name = "state", .shapes = config::kObject, .description = state_spec().description,
                .example = "{ connection: warehouse }", .nested = &state_spec()},
          Field{.name = "max_errors",
                .description = "How many records may go to the dead letters: a count (`10`) or a percentage "
                               "of the rows read so far (`1%`). Within it the run exits 0; the batch that "
                               "passes it is not committed and the pipeline fails (exit 1). Without it, a "
                               "run that dead-lettered any record exits 3.",
                .example = "1%"},
      }};
  return s;
}

Project build_project(config::Document document) {
  Project project{std::move(document), {}, std::make_shared<db::Pools>(), {}, {}};
  const config::Document& doc = project.document;
  config::Diagnostics d(doc.file);
  std::vector<std::string_view> top;
  for (const Field& f : project_spec().fields) top.push_back(f.name);
  for (const auto& entry : doc.root) {
    const std::string& key = entry.first.Scalar();
    if (!project_spec().find(key))
      d.add(entry.first, key, fmt::format("unknown top-level key `{}`{}", key, did_you_mean(key, top)));
    else if (key != "connections") doc.report_unresolved(key, d);  // each connection reports its own
  }
  project.connections = db::read_connections(doc, d);
  std::vector<std::string> unreadable;
  for (std::string& name : db::connection_names(doc))
    if (!project.connections.contains(name)) unreadable.push_back(std::move(name));
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
      std::vector<std::string_view> known;
      for (const Field& f : pipeline_spec().fields) known.push_back(f.name);
      for (const auto& field : node) {
        const std::string& key = field.first.Scalar();
        if (!pipeline_spec().find(key))
          d.add(field.first, path + "." + key,
                fmt::format("unknown option `{}` for a pipeline{}", key, did_you_mean(key, known)));
      }
      if (!node["input"]) d.add(node, path, "missing required option `input`");
      if (!node["output"]) d.add(node, path, "missing required option `output`");
      if (!node["input"] || !node["output"]) continue;
      ModuleContext context(project.connections, name, unreadable, project.pools);
      context.set_base_dir(project.document.base_dir);
      Pipeline p;
      p.name = name;
      p.input = build_module(node["input"], path + ".input", input_modules(), context, doc, d);
      p.filters = filters_of(node["filters"], path + ".filters", context, doc, d);
      p.output = build_module(node["output"], path + ".output", output_modules(), context, doc, d);
      p.state = state_store_of(node["state"], path + ".state", project, context, d);
      if (p.state)
        p.dead_letters =
            dead_letters_of(node["dead_letter"], path + ".dead_letter", *p.state, context, doc, d);
      if (YAML::Node limit = node["max_errors"]) {
        try {
          p.max_errors = ErrorLimit::parse(limit.IsScalar() ? limit.Scalar() : "(not a scalar)");
        } catch (const Error& e) {
          d.add(limit, path + ".max_errors", e.what());
        }
      }
      if (!p.input || !p.output || !p.dead_letters) continue;
      check_runs_are_whole(p, doc, d);
      p.owner = StateOwner::of(doc.file, name, p.input->identity(), p.output->identity());
      project.pipelines.push_back(std::move(p));
    }
  }
  d.throw_if_any();
  return project;
}

Project load_project(const std::string& file) { return build_project(config::load_document(file)); }

}  // namespace weir::pipeline
