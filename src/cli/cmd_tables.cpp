// `weir tables CONN [--schema S] [--like PATTERN]`: the tables and views of a database.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/explore_output.hpp"
#include "weir/db/catalog.hpp"

namespace weir::cli {
namespace {

struct TablesOptions {
  std::string target;
  db::TableFilter filter;
  std::string format = "table";
};

int list_tables(const Globals& globals, const TablesOptions& o) {
  ExploreFormat format = parse_explore_format(o.format);
  db::ConnectionConfig config = globals.connection(o.target);
  const db::Driver& driver = db::Registry::builtin().for_scheme(config.url.scheme);
  auto connection = driver.connect(config);
  std::vector<db::TableSummary> tables = driver.catalog().tables(*connection, o.filter);
  if (format == ExploreFormat::json) print_json(explore::tables_json(config.name.empty() ? config.url.to_string() : config.name, tables), std::cout);
  else print_rows(explore::tables_rows(tables), format, std::cout);
  return 0;
}

}  // namespace

void add_tables_command(CLI::App& app, const Globals& globals, Action& action) {
  auto options = std::make_shared<TablesOptions>();
  auto* cmd = app.add_subcommand("tables", "List the tables and views of a database, with their size and row estimate");
  cmd->add_option("connection", options->target, "A connection URL or a name from the config file")->required();
  cmd->add_option("--schema", options->filter.schema, "Only this schema (MySQL/MariaDB: database; SQLite: main, or an attached one)");
  cmd->add_option("--like", options->filter.like, "Only names matching this SQL LIKE pattern (% any run, _ one character)");
  cmd->add_option("-f,--format", options->format, "table, json or csv")->capture_default_str();
  cmd->callback([&globals, &action, options] { action = [&globals, options] { return list_tables(globals, *options); }; });
}

}  // namespace weir::cli
