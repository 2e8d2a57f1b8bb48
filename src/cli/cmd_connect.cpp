// `weir connect NAME URL [--password-env VAR | --password-file FILE]`: tests a connection and
// adds it to the config file (never with a password in plain text).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/explore_output.hpp"
#include "db/connections.hpp"
#include "explore/config_file.hpp"

namespace weir::cli {
namespace {

struct ConnectOptions {
  explore::NewConnection connection;
  std::string format = "table";
};

int connect(const Globals& globals, const ConnectOptions& o) {
  ExploreFormat format = parse_explore_format(o.format);
  std::string file = db::find_config_file(globals.config_file).value_or(db::default_config_files().front());
  explore::ConnectionStatus status = explore::add_connection(file, o.connection);
  if (format == ExploreFormat::json) {
    print_json(explore::connections_json(file, {status}), std::cout);
  } else if (format == ExploreFormat::csv) {
    print_rows(explore::connections_rows({status}), format, std::cout);
  } else {
    std::cout << fmt::format("added connection `{}` to {}: {} {}, {} answered in {:.1f} ms, {} table{}\n", status.name,
                             file, status.type, status.location, status.server_version, status.round_trip_ms.value_or(0),
                             status.table_count.value_or(0), status.table_count.value_or(0) == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace

void add_connect_command(CLI::App& app, const Globals& globals, Action& action) {
  auto options = std::make_shared<ConnectOptions>();
  auto* cmd = app.add_subcommand("connect", "Test a connection and add it to the config file under a name");
  cmd->add_option("name", options->connection.name, "The name to give it")->required();
  cmd->add_option("url", options->connection.url, "Its URL, without a password")->required();
  auto* env = cmd->add_option("--password-env", options->connection.password_env,
                              "The environment variable holding the password (stored as { env: VAR })");
  cmd->add_option("--password-file", options->connection.password_file,
                  "The file holding the password (stored as { file: PATH })")
      ->excludes(env);
  cmd->add_flag("--read-only", options->connection.read_only, "Store it with read_only: true");
  cmd->add_option("-f,--format", options->format, "table, json or csv")->capture_default_str();
  cmd->callback([&globals, &action, options] { action = [&globals, options] { return connect(globals, *options); }; });
}

}  // namespace weir::cli
