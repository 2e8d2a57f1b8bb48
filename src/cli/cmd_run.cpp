#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/runner.hpp"

namespace weir::cli {
namespace {

struct RunOptions {
  std::string file;
  bool once = false;
};

int run_pipelines(const RunOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);
  if (project.pipelines.empty()) {
    std::cerr << fmt::format("weir: {} defines no pipelines\n", o.file);
    return 2;
  }
  pipeline::install_stop_signals();
  int failures = 0;
  for (const pipeline::PipelineStats& s : pipeline::run_all(project)) {
    double rate = s.seconds > 0 ? double(s.rows_written) / s.seconds : 0;
    std::cout << fmt::format("pipeline {}: read {} rows, wrote {} rows in {:.2f} s ({:.0f} rows/s){}\n", s.name,
                             s.rows_read, s.rows_written, s.seconds, rate, s.error.empty() ? "" : ", FAILED") << std::flush;
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
  cmd->add_flag("--once", options->once,
                "Run each pipeline once and exit (inputs without a schedule always run once)");
  cmd->callback([&action, options] { action = [options] { return run_pipelines(*options); }; });
}

}  // namespace weir::cli
