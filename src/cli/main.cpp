#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "core/yaml_document.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/secret.hpp"
#include "weir/url.hpp"

namespace weir::cli {

std::string Globals::config_path() const { return db::find_config_file(config_file).value_or(""); }

std::filesystem::path Globals::base_dir() const {
  std::string file = config_path();
  if (file.empty()) return std::filesystem::current_path();
  return std::filesystem::absolute(file).parent_path();
}

db::ConnectionConfig Globals::local_store() const {
  db::ConnectionConfig config;
  config.name = std::string(kLocal);
  config.url = Url::parse("sqlite::memory:");
  config.url.database = (base_dir() / ".weir" / "local.db").string();
  std::filesystem::create_directories(base_dir() / ".weir");
  return config;
}

bool Globals::names_connection(std::string_view name) const {
  std::string file = config_path();
  if (file.empty()) return false;
  std::vector<std::string> names = db::connection_names(config::load_document(file));
  return std::find(names.begin(), names.end(), name) != names.end();
}

db::ConnectionConfig Globals::connection(std::string_view name_or_url) const {
  return db::load_connection(name_or_url, config_file);
}

db::ConnectionConfig Globals::connection_or_local(std::string_view name) const {
  if (name != kLocal || names_connection(name)) return connection(name);
  return local_store();
}

namespace {

// 2: the input needs fixing; 1: anything else went wrong at run time.
int exit_code_for(ErrorKind kind) { return kind == ErrorKind::config ? 2 : 1; }

int run(int argc, char** argv) {
  CLI::App app{"weir — move data between databases: pipelines and queries", "weir"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  Globals globals;
  app.add_option("-c,--config", globals.config_file,
                 "Project file with `connections:` and `pipelines:` (default: ./weir.yaml, else ~/.config/weir/weir.yaml, if present)");
  app.add_option("--log-level", globals.log_level, "debug, info, warn, error or off")
      ->capture_default_str();

  Action action;
  add_version_command(app, action);
  add_ping_command(app, globals, action);
  add_query_command(app, globals, action);
  add_mcp_command(app, globals, action);
  add_run_command(app, globals, action);
  add_sync_command(app, globals, action);
  add_validate_command(app, action);
  add_cdc_command(app, globals, action);
  add_deadletters_command(app, action);
  add_connect_command(app, globals, action);
  add_connections_command(app, globals, action);
  add_tables_command(app, globals, action);
  add_describe_command(app, globals, action);
  add_schema_command(app, action);
  add_reference_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, or the problem and a hint
    return code == 0 ? 0 : 2;
  }
  try {
    log::set_level(log::parse_level(globals.log_level));
    return action();
  } catch (const Error& e) {
    std::cerr << "weir: " << to_string(e.kind()) << " error: " << e.what() << '\n';
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "weir: internal error: " << redact(e.what()) << '\n';
    return 1;
  }
}

}  // namespace
}  // namespace weir::cli

int main(int argc, char** argv) { return weir::cli::run(argc, argv); }
