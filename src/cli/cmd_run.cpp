#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
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

// One pipeline's summary line: counts, where its dead letters went, and how it ended.
std::string summary_line(const pipeline::PipelineStats& s) {
  if (s.locked_out) return fmt::format("pipeline {}: did not run, another run holds its lock", s.name);
  double rate = s.seconds > 0 ? double(s.rows_written) / s.seconds : 0;
  std::string ending = !s.error.empty() ? ", FAILED" : s.interrupted ? ", INTERRUPTED" : "";
  if (s.dead_letters) ending += fmt::format("; dead letters in {}", s.dead_letters_at);
  return fmt::format("pipeline {}: read {} rows, {} in {:.2f} s ({:.0f} rows/s){}", s.name, s.rows_read,
                     pipeline::describe_outcome(s), s.seconds, rate, ending);
}

// The documented exit codes, most serious first: 1 a pipeline failed (2 when every failure
// was a configuration problem, found only once it ran: a server's settings; 4 when the only
// pipelines that did not complete were kept from running by another run's lock); 128 + the signal
// (130 SIGINT, 143 SIGTERM) a pipeline was stopped before reading all its rows; 3 records
// went to the dead letters of a pipeline without max_errors; else 0.
int exit_code(const std::vector<pipeline::PipelineStats>& stats, int stop_signal) {
  auto any = [&](auto predicate) { return std::any_of(stats.begin(), stats.end(), predicate); };
  if (any([](const auto& s) { return !s.error.empty() && !s.config_error && !s.locked_out; })) return 1;
  if (any([](const auto& s) { return !s.error.empty() && !s.locked_out; })) return 2;
  if (any([](const auto& s) { return s.locked_out; })) return 4;
  int signal = stop_signal ? stop_signal : SIGINT;
  if (any([](const auto& s) { return s.interrupted; })) return 128 + signal;
  if (any([](const auto& s) { return s.dead_letters && !s.dead_letters_allowed; })) return 3;
  return 0;
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
  std::stop_source stop;
  StopSignals signals(stop);
  pipeline::RunnerOptions options{{.once = o.once, .stop = stop.get_token()}, *progress, o.reset};
  // Standard output carrying an output's records takes nothing else: the summary goes to stderr.
  bool stdout_taken = std::any_of(project.pipelines.begin(), project.pipelines.end(),
                                  [](const pipeline::Pipeline& p) { return p.output->writes_stdout(); });
  std::ostream& summary = stdout_taken ? std::cerr : std::cout;
  std::vector<pipeline::PipelineStats> stats = pipeline::run_all(project, options);
  for (const pipeline::PipelineStats& s : stats) {
    summary << summary_line(s) << "\n";
    // A run that did not complete has rows in flight, rolled back: its figures need not add up.
    if (s.error.empty() && !s.interrupted) summary << fmt::format("pipeline {}: {}\n", s.name, s.account().describe());
    summary << std::flush;
    if (s.locked_out)
      std::cerr << fmt::format("weir: pipeline {}: {}\n", s.name, s.error);
    else if (!s.error.empty())
      std::cerr << fmt::format("weir: pipeline {} failed: {}\n", s.name, project.document.locate(s.error));
  }
  return exit_code(stats, signals.signal());
}

}  // namespace

void add_run_command(CLI::App& app, const Globals&, Action& action) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run the pipelines of a project file");
  cmd->footer(
      "The pipelines of the file run concurrently, each on its own threads: order between them is\n"
      "not guaranteed (run one with --pipeline, or put dependent steps in separate runs).\n"
      "\n"
      "Exit codes:\n"
      "  0    every pipeline completed (dead letters, if any, within its max_errors); also a\n"
      "       scheduled run stopped by SIGINT/SIGTERM while waiting for its next tick\n"
      "  1    a pipeline failed (its error on stderr), or passed its max_errors\n"
      "  2    bad input: the file, an option, a server setting a pipeline needs (wal_level …)\n"
      "  3    completed, but records went to the dead letters of a pipeline without max_errors\n"
      "  4    a pipeline did not run: another run of it holds its lock (the error names that run)\n"
      "  130  stopped by SIGINT (Ctrl-C) before every row was read: the summary says INTERRUPTED\n"
      "  143  the same for SIGTERM");
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
