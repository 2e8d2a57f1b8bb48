#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "db/types_reference.hpp"
#include "pipeline/reference.hpp"
#include "weir/error.hpp"

namespace weir::cli {

void add_reference_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("reference", "Print reference documentation (Markdown): config or types");
  auto topic = std::make_shared<std::string>("config");
  cmd->add_option("topic", *topic, "config: every module's options; types: each driver's type mapping")
      ->check(CLI::IsMember({"config", "types"}));
  cmd->callback([&action, topic] {
    action = [topic] {
      std::cout << (*topic == "types" ? db::types_reference_markdown() : pipeline::configuration_reference_markdown());
      return 0;
    };
  });
}

}  // namespace weir::cli
