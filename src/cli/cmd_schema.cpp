#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/json_schema.hpp"

namespace weir::cli {

void add_schema_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("schema", "Print the JSON Schema of weir project files (for editors)");
  cmd->callback([&action] {
    action = [] {
      std::cout << pipeline::project_json_schema() << '\n';
      return 0;
    };
  });
}

}  // namespace weir::cli
