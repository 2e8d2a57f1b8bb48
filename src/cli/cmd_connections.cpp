// `weir connections`: every connection of the config file, tested: where it points, whether it
// answers (server version, round trip) and how many tables it has.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/explore_output.hpp"
#include "db/connections.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

int list_connections(const Globals& globals, const std::string& format_name) {
  ExploreFormat format = parse_explore_format(format_name);
  std::optional<std::string> file = db::find_config_file(globals.config_file);
  if (!file)
    throw Error(ErrorKind::config, fmt::format("no config file: give --config FILE, or add a connection with `weir "
                                               "connect NAME URL` (looked for {})",
                                               fmt::join(db::default_config_files(), ", ")));
  config::Document doc = config::load_document(*file);
  std::vector<explore::ConnectionStatus> statuses = explore::check_connections(doc);
  if (format == ExploreFormat::json) print_json(explore::connections_json(*file, statuses), std::cout);
  else print_rows(explore::connections_rows(statuses), format, std::cout);
  return 0;
}

}  // namespace

void add_connections_command(CLI::App& app, const Globals& globals, Action& action) {
  auto format = std::make_shared<std::string>("table");
  auto* cmd = app.add_subcommand("connections", "List the config file's connections, each tested: version, round trip, tables");
  cmd->add_option("-f,--format", *format, "table, json or csv")->capture_default_str();
  cmd->callback([&globals, &action, format] { action = [&globals, format] { return list_connections(globals, *format); }; });
}

}  // namespace weir::cli
