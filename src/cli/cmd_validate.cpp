#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/project.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

struct ValidateOptions {
  std::string file;
  bool check_sql = false;
};

// Runs every module's probe against the live databases, passing each stage the columns the
// previous one yields; returns one message per problem.
std::vector<std::string> check_sql(pipeline::Project& project) {
  std::vector<std::string> problems;
  for (pipeline::Pipeline& p : project.pipelines) {
    try {
      std::shared_ptr<const Schema> columns = p.input->probe();
      for (auto& filter : p.filters) columns = filter->probe(columns.get());
      p.output->probe(columns.get());
    } catch (const Error& e) {
      problems.push_back(project.document.locate(e.what()));
    }
  }
  return problems;
}

int validate(const ValidateOptions& o) {
  pipeline::Project project = pipeline::load_project(o.file);  // throws every problem at once
  if (o.check_sql) {
    auto problems = check_sql(project);
    for (const std::string& p : problems) std::cerr << "weir: " << p << '\n';
    if (!problems.empty()) return 2;
  }
  std::cout << fmt::format("{}: valid ({} pipeline{}, {} connection{}{})\n", o.file, project.pipelines.size(),
                           project.pipelines.size() == 1 ? "" : "s", project.connections.size(),
                           project.connections.size() == 1 ? "" : "s",
                           o.check_sql ? ", every query prepared against its database" : "");
  return 0;
}

}  // namespace

void add_validate_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand("validate", "Check a project file without running it");
  cmd->add_option("file", options->file, "The pipeline YAML file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--check-sql", options->check_sql,
                "Also connect and prepare every query and check every target table against its database");
  cmd->callback([&action, options] { action = [options] { return validate(*options); }; });
}

}  // namespace weir::cli
