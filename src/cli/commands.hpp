// `weir` subcommands. Each file adds one command to the CLI11 app; main.cpp runs the one
// chosen and turns errors into a one-line message and an exit code.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "db/connections.hpp"

namespace CLI {
class App;
}

namespace weir::cli {

// Options shared by every command.
struct Globals {
  std::string config_file;  // --config; empty: db::find_config_file() picks the default
  std::string log_level = "info";

  // A connection named in the config file, or a URL. Only what the command uses is read:
  // an unrelated problem in the file does not fail it.
  db::ConnectionConfig connection(std::string_view name_or_url) const;
  // Whether the config file names a connection `name`.
  bool names_connection(std::string_view name) const;
  // The config file's folder (the working directory without one): where .weir/ is kept.
  std::filesystem::path base_dir() const;
  // The embedded store, .weir/local.db in base_dir() (its folder made if missing): where `weir
  // sync --to local` and the MCP tool sync_table copy tables by default.
  db::ConnectionConfig local_store() const;
  // The config file in effect (db::find_config_file): --config, else ./weir.yaml, else the user's; empty for none.
  std::string config_path() const;
  // `local`, the embedded store (.weir/local.db in base_dir(), made when missing), unless the
  // config file names a connection `local`; any other name as connection() reads it.
  db::ConnectionConfig connection_or_local(std::string_view name) const;
  static constexpr std::string_view kLocal = "local";
};

// The command to run once parsing succeeded; returns the exit code.
using Action = std::function<int()>;

void add_version_command(CLI::App& app, Action& action);
void add_cdc_command(CLI::App& app, const Globals& globals, Action& action);
void add_ping_command(CLI::App& app, const Globals& globals, Action& action);
void add_mcp_command(CLI::App& app, const Globals& globals, Action& action);
void add_query_command(CLI::App& app, const Globals& globals, Action& action);
void add_run_command(CLI::App& app, const Globals& globals, Action& action);
void add_sync_command(CLI::App& app, const Globals& globals, Action& action);
void add_reference_command(CLI::App& app, Action& action);
void add_schema_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_deadletters_command(CLI::App& app, Action& action);
void add_connect_command(CLI::App& app, const Globals& globals, Action& action);
void add_connections_command(CLI::App& app, const Globals& globals, Action& action);
void add_tables_command(CLI::App& app, const Globals& globals, Action& action);
void add_describe_command(CLI::App& app, const Globals& globals, Action& action);

}  // namespace weir::cli
