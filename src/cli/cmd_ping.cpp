#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "cli/commands.hpp"
#include "weir/db/driver.hpp"

namespace weir::cli {

void add_ping_command(CLI::App& app, const Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("ping", "Connect to a database and check that it answers");
  auto target = std::make_shared<std::string>();
  cmd->add_option("connection", *target, "A connection URL or a name from the config file")->required();
  cmd->callback([&globals, &action, target] {
    action = [&globals, target] {
      db::ConnectionConfig config = globals.connection(*target);
      auto started = std::chrono::steady_clock::now();
      auto connection = db::connect(config);
      connection->ping();
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      std::cout << fmt::format("ok: {} answered in {:.1f} ms\n", config.describe(), ms);
      return 0;
    };
  });
}

}  // namespace weir::cli
