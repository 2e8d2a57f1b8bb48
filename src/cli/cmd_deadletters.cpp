// `weir deadletters list|show|purge FILE --pipeline P`: the dead letters of one pipeline of a
// project file, read from (and deleted in) the table its `dead_letter:` names.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/project.hpp"
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
                           "record: {}\n",
                           l.id, l.created_at, l.stage, l.error_kind, l.error_code, l.error_message, l.record);
  return 0;
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
  auto* cmd = app.add_subcommand("deadletters", "Inspect and purge a pipeline's dead letters");
  cmd->require_subcommand(1);
  letters_command(*cmd, "list", "One line per dead letter of the pipeline: id, time, stage, error", *options)
      ->callback([&action, options] { action = [options] { return list(*options); }; });
  letters_command(*cmd, "show", "One dead letter whole, its record included", *options)
      ->add_option("id", options->ids, "The letter's id (as `list` prints it)")
      ->required()
      ->expected(1);
  cmd->get_subcommand("show")->callback([&action, options] { action = [options] { return show(*options); }; });
  letters_command(*cmd, "purge", "Delete the pipeline's dead letters (those of --id only, when given)", *options)
      ->add_option("--id", options->ids, "A letter's id (repeatable)")
      ->allow_extra_args(false);  // each --id takes one id, leaving FILE to be the positional
  cmd->get_subcommand("purge")->callback([&action, options] { action = [options] { return purge(*options); }; });
}

}  // namespace weir::cli
