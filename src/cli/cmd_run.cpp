#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/runner.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

struct RunOptions {
  std::string file;
  bool once = false;
  bool reset = false;
  std::vector<std::string> only;
  std::string progress = "10s";
};

// Keeps the pipelines named with --pipeline; throws Error{config} for a name not in the file.
void select_pipelines(pipeline::Project& project, const std::vector<std::string>& only) {
  if (only.empty()) return;
  std::vector<pipeline::Pipeline> kept;
  for (const std::string& name : only) {
    auto it = std::find_if(project.pipelines.begin(), project.pipelines.end(),
                           [&](const pipeline::Pipeline& p) { return p.name == name; });
    if (it == project.pipelines.end())
      throw Error(ErrorKind::config, fmt::format("{}: no pipeline named `{}`", project.document.file, name));
    kept.push_back(std::move(*it));
    project.pipelines.erase(it);
  }
  project.pipelines = std::move(kept);
}

int run_pipelines(const RunOptions& o) {
  auto progress = config::parse_duration(o.progress);
  if (!progress) throw Error(ErrorKind::config, fmt::format("--progress: `{}` is not a duration like 10s", o.progress));
  pipeline::Project project = pipeline::load_project(o.file);
  select_pipelines(project, o.only);
  if (project.pipelines.empty()) {
    std::cerr << fmt::format("weir: {} defines no pipelines\n", o.file);
    return 2;
  }
  if (o.reset)
    for (pipeline::Pipeline& p : project.pipelines) p.state->reset(p.name);
  pipeline::install_stop_signals();
  pipeline::RunnerOptions options{{o.once}, *progress};
  int failures = 0;
  for (const pipeline::PipelineStats& s : pipeline::run_all(project, options)) {
    double rate = s.seconds > 0 ? double(s.rows_written) / s.seconds : 0;
    std::cout << fmt::format("pipeline {}: read {} rows, wrote {} rows{} in {:.2f} s ({:.0f} rows/s){}\n", s.name,
                             s.rows_read, s.rows_written,
                             s.rows_rejected ? fmt::format(", {} to dead letters", s.rows_rejected) : "", s.seconds,
                             rate, s.error.empty() ? "" : ", FAILED")
              << std::flush;
    if (!s.error.empty()) {
      std::cerr << fmt::format("weir: pipeline {} failed: {}\n", s.name, s.error);
      ++failures;
    }
  }
  return failures ? 1 : 0;
}

}  // namespace

void add_run_command(CLI::App& app, const Globals&, Action& action) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run the pipelines of a project file");
  cmd->add_option("file", options->file, "The pipeline YAML file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--once", options->once, "Run each pipeline once and exit, even those with a schedule");
  cmd->add_option("--pipeline", options->only, "Run only this pipeline (repeatable)");
  cmd->add_flag("--reset", options->reset,
                "Forget the pipelines' checkpoints first: incremental inputs start again from `initial`");
  cmd->add_option("--progress", options->progress, "How often to print progress to stderr; 0s: never")
      ->capture_default_str();
  cmd->callback([&action, options] { action = [options] { return run_pipelines(*options); }; });
}

}  // namespace weir::cli
