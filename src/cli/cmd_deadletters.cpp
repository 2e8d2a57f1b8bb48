// `weir deadletters list|show|replay|purge FILE --pipeline P`: the dead letters of one pipeline
// of a project file, read from (and deleted in) the table its `dead_letter:` names; replay
// sends their original records through the pipeline's filters and output again.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
#include "pipeline/letter_replay.hpp"
#include "pipeline/project.hpp"
#include "pipeline/runner.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

struct LetterOptions {
  std::string file;
  std::string pipeline;
  std::vector<std::string> ids;  // show: one; purge: those only (none: all)
};

pipeline::DeadLetterTable& letters_of(pipeline::Project& project, const LetterOptions& o) {
  auto it = std::find_if(project.pipelines.begin(), project.pipelines.end(),
                         [&](const pipeline::Pipeline& p) { return p.name == o.pipeline; });
  if (it == project.pipelines.end())
    throw Error(ErrorKind::config, fmt::format("{}: no pipeline named `{}`", o.file, o.pipeline));
  return *it->dead_letters;
}

// One line per letter: its id, when, where and why (the message's first line).
int list(const LetterOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);
  auto& table = letters_of(project, o);
  auto letters = table.list();
  for (const auto& l : letters) {
    std::string message = l.error_message.substr(0, l.error_message.find('\n'));
    std::cout << fmt::format("{}  {}  {}  {}{}  {}\n", l.id.empty() ? "-" : l.id, l.created_at, l.stage,
                             l.error_kind, l.error_code.empty() ? "" : " " + l.error_code, message);
  }
  std::cout << fmt::format("{} dead letter{} of pipeline {} in {}\n", letters.size(), letters.size() == 1 ? "" : "s",
                           o.pipeline, table.location());
  return 0;
}

int show(const LetterOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);
  auto letters = letters_of(project, o).list(o.ids.at(0));
  if (letters.empty()) {
    std::cerr << fmt::format("weir: pipeline {} has no dead letter {}\n", o.pipeline, o.ids.at(0));
    return 1;
  }
  const auto& l = letters.front();
  std::cout << fmt::format("id: {}\ncreated_at: {}\nstage: {}\nerror_kind: {}\nerror_code: {}\nerror_message: {}\n"
                           "record: {}\noriginal: {}\nposition: {}\n",
                           l.id, l.created_at, l.stage, l.error_kind, l.error_code, l.error_message, l.record,
                           l.original, l.position);
  return 0;
}

// The letters to replay: those of --id, in that order, else all of the pipeline's.
std::vector<pipeline::DeadLetterTable::Stored> letters_to_replay(pipeline::DeadLetterTable& table,
                                                                 const LetterOptions& o) {
  if (o.ids.empty()) return table.list();
  std::vector<pipeline::DeadLetterTable::Stored> letters;
  for (const std::string& id : o.ids) {
    auto found = table.list(id);
    if (found.empty()) throw Error(ErrorKind::data, fmt::format("pipeline {} has no dead letter {}", o.pipeline, id));
    letters.push_back(std::move(found.front()));
  }
  return letters;
}

// Sends the letters' original records through the pipeline's filters and output, under its run
// lock; a letter leaves the table when its row commits, one given up on again stays with its
// new error. Exit 0 when every letter was written, 3 when some stay, 1 when the replay failed.
int replay(const LetterOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);
  auto& table = letters_of(project, o);
  std::erase_if(project.pipelines, [&](const pipeline::Pipeline& p) { return p.name != o.pipeline; });
  pipeline::Pipeline& p = project.pipelines.front();
  auto replay = std::make_unique<pipeline::LetterReplay>(letters_to_replay(table, o));
  for (const std::string& line : replay->skipped()) std::cerr << "weir: " << line << "\n";
  const std::size_t sent = replay->size(), left_out = replay->skipped().size();
  pipeline::RunnerOptions options;
  options.run.once = true;
  options.replay = replay.get();
  p.input = std::move(replay);
  std::stop_source stop;
  StopSignals signals(stop);
  options.run.stop = stop.get_token();
  pipeline::PipelineStats s = pipeline::run_all(project, options).front();
  if (!s.error.empty()) {
    std::cerr << fmt::format("weir: replaying the dead letters of pipeline {} failed: {}\n", o.pipeline,
                             project.document.locate(s.error));
    return s.locked_out ? 4 : 1;
  }
  std::cout << fmt::format("pipeline {}: replayed {} dead letter{}: {}; {} left in {}\n", o.pipeline, sent,
                           sent == 1 ? "" : "s", pipeline::describe_outcome(s), table.list().size(), table.location());
  return s.dead_letters || left_out ? 3 : 0;
}

int purge(const LetterOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);
  auto& table = letters_of(project, o);
  std::uint64_t purged = table.purge(o.ids);
  std::cout << fmt::format("purged {} dead letter{} of pipeline {} from {}\n", purged, purged == 1 ? "" : "s",
                           o.pipeline, table.location());
  return 0;
}

CLI::App* letters_command(CLI::App& parent, const char* name, const char* what, LetterOptions& o) {
  auto* cmd = parent.add_subcommand(name, what);
  cmd->add_option("file", o.file, "The pipeline YAML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--pipeline,-p", o.pipeline, "The pipeline whose letters these are")->required();
  return cmd;
}

}  // namespace

void add_deadletters_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<LetterOptions>();
  auto* cmd = app.add_subcommand("deadletters", "Inspect, replay and purge a pipeline's dead letters");
  cmd->require_subcommand(1);
  letters_command(*cmd, "list", "One line per dead letter of the pipeline: id, time, stage, error", *options)
      ->callback([&action, options] { action = [options] { return list(*options); }; });
  letters_command(*cmd, "show", "One dead letter whole, its record included", *options)
      ->add_option("id", options->ids, "The letter's id (as `list` prints it)")
      ->required()
      ->expected(1);
  cmd->get_subcommand("show")->callback([&action, options] { action = [options] { return show(*options); }; });
  letters_command(*cmd, "replay",
                  "Send the letters' original records through the pipeline's filters and output again; each "
                  "leaves the table once written (those of --id only, when given)",
                  *options)
      ->add_option("--id", options->ids, "A letter's id (repeatable)")
      ->allow_extra_args(false);
  cmd->get_subcommand("replay")->callback([&action, options] { action = [options] { return replay(*options); }; });
  letters_command(*cmd, "purge", "Delete the pipeline's dead letters (those of --id only, when given)", *options)
      ->add_option("--id", options->ids, "A letter's id (repeatable)")
      ->allow_extra_args(false);  // each --id takes one id, leaving FILE to be the positional
  cmd->get_subcommand("purge")->callback([&action, options] { action = [options] { return purge(*options); }; });
}

}  // namespace weir::cli
