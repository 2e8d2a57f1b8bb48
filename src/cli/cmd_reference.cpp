#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/reference.hpp"

namespace weir::cli {

void add_reference_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("reference", "Print the configuration reference (Markdown) of every module");
  cmd->callback([&action] {
    action = [] {
      std::cout << pipeline::configuration_reference_markdown();
      return 0;
    };
  });
}

}  // namespace weir::cli
