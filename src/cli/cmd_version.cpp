#include <CLI/CLI.hpp>
#include <sqlite3.h>

#include <iostream>

#include "cli/commands.hpp"
#include "weir/db/driver.hpp"

namespace weir::cli {

void add_version_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "Print weir's version and the drivers it has");
  cmd->callback([&action] {
    action = [] {
      std::cout << "weir " << WEIR_VERSION << "\n";
      std::cout << "drivers:";
      for (std::string_view scheme : db::Registry::builtin().schemes()) std::cout << ' ' << scheme;
      std::cout << "\nsqlite " << sqlite3_libversion() << "\n";
      return 0;
    };
  });
}

}  // namespace weir::cli
