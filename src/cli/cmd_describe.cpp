// `weir describe CONN TABLE [--sample N]`: one table's columns (with their type in every other
// database weir knows and in DuckDB), keys, constraints, indexes and first rows.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/explore_output.hpp"
#include "cli/result_printer.hpp"
#include "explore/describe.hpp"

namespace weir::cli {
namespace {

struct DescribeOptions {
  std::string target;
  std::string table;
  std::size_t sample = 5;
  std::string format = "table";
};

void print_text(const explore::TableDescription& d, std::ostream& out) {
  const db::TableDetails& t = d.details;
  out << fmt::format("{} {}", db::to_string(t.kind), t.ref.to_string());
  if (d.row_estimate) out << fmt::format(", about {} rows", *d.row_estimate);
  if (t.size_bytes) out << fmt::format(", {} bytes", *t.size_bytes);
  out << (t.comment.empty() ? "" : ": " + t.comment) << "\n\n";
  print_rows(explore::columns_rows(d), ExploreFormat::table, out);
  for (const std::string& line : explore::constraint_lines(d)) out << line << '\n';
  if (d.sample.width() == 0) return;
  out << fmt::format("\nfirst {} row{}:\n", d.sample.rows(), d.sample.rows() == 1 ? "" : "s");
  auto printer = make_printer(Format::table, out);
  printer->batch(d.sample);
  printer->finish(d.sample.rows());
}

int describe(const Globals& globals, const DescribeOptions& o) {
  ExploreFormat format = parse_explore_format(o.format);
  db::ConnectionConfig config = globals.connection(o.target);
  const db::Driver& driver = db::Registry::builtin().for_scheme(config.url.scheme);
  auto connection = driver.connect(config);
  explore::TableDescription d =
      explore::describe_table(*connection, driver, o.table, format == ExploreFormat::csv ? 0 : o.sample);
  if (format == ExploreFormat::json)
    print_json(explore::description_json(config.name.empty() ? config.url.to_string() : config.name, d), std::cout);
  else if (format == ExploreFormat::csv) print_rows(explore::columns_rows(d), format, std::cout);
  else print_text(d, std::cout);
  return 0;
}

}  // namespace

void add_describe_command(CLI::App& app, const Globals& globals, Action& action) {
  auto options = std::make_shared<DescribeOptions>();
  auto* cmd = app.add_subcommand("describe", "Show a table's columns and types, keys, constraints, indexes and first rows");
  cmd->add_option("connection", options->target, "A connection URL or a name from the config file")->required();
  cmd->add_option("table", options->table, "The table: name or schema.name, as the database spells it")->required();
  cmd->add_option("--sample", options->sample, "How many of the first rows to show (0: none)")->capture_default_str();
  cmd->add_option("-f,--format", options->format, "table, json or csv (csv: the columns only)")->capture_default_str();
  cmd->callback([&globals, &action, options] { action = [&globals, options] { return describe(globals, *options); }; });
}

}  // namespace weir::cli
