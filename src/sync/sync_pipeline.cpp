#include "sync/sync_pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "modules/retry_option.hpp"
#include "sync/ranged_read.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

template <class Module>
const Module& module_named(std::span<const Module> modules, std::string_view name) {
  auto it = std::find_if(modules.begin(), modules.end(), [&](const Module& m) { return m.name == name; });
  if (it == modules.end()) throw Error(ErrorKind::internal, fmt::format("module {} is not compiled in", name));
  return *it;
}

YAML::Node list_of(const std::vector<std::string>& items) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const std::string& item : items) list.push_back(item);
  return list;
}

YAML::Node poll_options(const Request& r, const TablePlan& plan) {
  YAML::Node o(YAML::NodeType::Map);
  o["connection"] = "source";
  o["query"] = plan.query;
  o["page_size"] = kPageRows;
  o["on_bad_value"] = r.on_bad_value == OnBadValue::null ? "null" : "fail";
  if (!plan.order.empty()) {
    o["cursor"]["columns"] = list_of(plan.order);
    // A full copy reads every row there is; only a cursor that runs again needs the horizon,
    // so that a row committed late behind it is still read by a later run.
    o["cursor"]["horizon"] = r.mode == Mode::incremental;
  }
  return o;
}

std::string write_mode(const Request& r, const TablePlan& plan) {
  if (r.truncate) return "replace";
  if (plan.key.empty()) return "insert";
  if (r.mode == Mode::incremental || r.on_conflict == OnConflict::replace) return "upsert";
  return "insert";
}

YAML::Node write_options(const Request& r, const TablePlan& plan) {
  YAML::Node o(YAML::NodeType::Map);
  o["connection"] = "target";
  o["table"] = plan.target.to_string();
  o["mode"] = write_mode(r, plan);
  if (!plan.key.empty()) o["key"] = list_of(plan.key);
  o["batch"]["rows"] = kPageRows;
  return o;
}

// A value the target refuses (a key already there) fails the sync, or with --on-conflict
// skip is set aside in the dead letters and the others go on.
pipeline::ErrorLimit error_limit(const Request& r) {
  return pipeline::ErrorLimit::parse(r.on_conflict == OnConflict::skip ? "100%" : "0");
}

// Where sql_poll's errors say they happened: the table, so that an unreadable value is named by
// table, row key and column.
std::string source_path(const TablePlan& plan) { return fmt::format("table `{}`", plan.source.ref.to_string()); }

}  // namespace

// A sync read in key ranges keeps its checkpoint under a name of its own: a checkpoint of
// sql_poll's is no position of ranges.
std::string sync_pipeline_name(const Request& r, const TablePlan& plan, bool ranged) {
  return fmt::format("sync {} {}.{} to {}.{}{}", r.mode == Mode::full ? "full" : "incremental",
                     r.source.name.empty() ? r.source.identity() : r.source.name, plan.source.ref.to_string(),
                     r.target.name.empty() ? r.target.identity() : r.target.name, plan.target.to_string(),
                     !ranged ? "" : plan.by_blocks ? " by block ranges" : " by key ranges");
}

// The first writer's name is the sync's: a checkpoint of weir before lanes is its.
std::string lane_name(const std::string& sync_name, std::size_t lane) {
  return lane == 0 ? sync_name : fmt::format("{}, writer {}", sync_name, lane + 1);
}

pipeline::Project sync_project(const Request& r, const TablePlan& plan, const std::shared_ptr<RangeFeed>& feed,
                               std::shared_ptr<BadValues> bad, std::shared_ptr<db::Pools> pools) {
  pipeline::Project project;
  project.pools = std::move(pools);
  project.document.file = "weir sync";
  project.connections.emplace("source", r.source);
  project.connections.emplace("target", r.target);
  const std::string name = sync_pipeline_name(r, plan, feed != nullptr);
  RetryPolicy retry = modules::default_retry_policy();
  // Kept in the target: the position commits with the rows (exactly once, see sync.hpp).
  auto state = std::make_shared<pipeline::StateStore>(r.target, project.pools->claim(r.target), retry);
  project.state_stores.emplace_back(r.target.url, state);
  const std::size_t lanes = feed ? feed->options().lanes : 1;
  for (std::size_t lane = 0; lane < lanes; ++lane) {
    pipeline::Pipeline p;
    p.name = lane_name(name, lane);
    pipeline::ModuleContext context(project.connections, p.name, {}, project.pools);
    if (feed) {
      p.input = std::make_unique<RangedRead>(feed, lane);
    } else {
      const auto& poll = module_named(pipeline::input_modules(), "sql_poll");
      p.input = poll.make(config::Section(poll_options(r, plan), poll.spec(), source_path(plan)), context);
    }
    if (plan.target_exists)
      if (auto fit = target_fit_filter(plan, plan.target_columns, bad)) p.filters.push_back(std::move(fit));
    const auto& write = module_named(pipeline::output_modules(), "sql_write");
    p.output = write.make(config::Section(write_options(r, plan), write.spec(), "sync.target"), context);
    p.state = state;
    // One pipeline to the user: every writer's letters are filed under the sync's name.
    p.dead_letters = std::make_unique<pipeline::DeadLetterTable>(
        r.target, db::TableRef{"", std::string(pipeline::DeadLetterTable::kDefaultTable)}, name,
        project.pools->claim(r.target), retry);
    p.max_errors = error_limit(r);
    p.owner = pipeline::StateOwner::of(project.document.file, p.name, p.input->identity(), p.output->identity());
    project.pipelines.push_back(std::move(p));
  }
  return project;
}

}  // namespace weir::sync
