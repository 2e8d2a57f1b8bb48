#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/result_printer.hpp"
#include "weir/db/driver.hpp"

namespace weir::cli {
namespace {

struct QueryOptions {
  std::string target;
  std::string sql;
  std::vector<std::string> params;
  std::string format = "table";
  std::size_t batch_rows = 1000;
  bool explain = false;
};

int run_query(const Globals& globals, const QueryOptions& o) {
  Format format = parse_format(o.format);
  db::ConnectionConfig config = globals.connection(o.target);
  auto connection = db::connect(config);
  std::vector<Value> params(o.params.begin(), o.params.end());
  std::string sql = o.explain ? std::string(connection->dialect().explain_prefix()) + o.sql : o.sql;
  auto cursor = connection->query(sql, params);
  auto printer = make_printer(format, std::cout);
  Batch batch;
  std::uint64_t rows = 0;
  bool any = false;
  while (cursor->next(batch, o.batch_rows)) {
    any = true;
    rows += batch.rows();
    printer->batch(batch);
  }
  if (cursor->schema()->empty()) {
    std::cout << "OK\n";
    return 0;
  }
  if (!any) printer->batch(batch);  // header only
  printer->finish(rows);
  return 0;
}

}  // namespace

void add_query_command(CLI::App& app, const Globals& globals, Action& action) {
  auto options = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("query", "Run one SQL statement and stream its rows");
  cmd->add_option("connection", options->target, "A connection URL or a name from the config file")->required();
  cmd->add_option("sql", options->sql, "The statement; use placeholders (? or $1) for values")->required();
  cmd->add_option("-p,--param", options->params,
                  "A value bound to the next placeholder, as text (repeat for several)");
  cmd->add_option("-f,--format", options->format, "table, csv, json or ndjson")->capture_default_str();
  cmd->add_flag("--explain", options->explain, "Show the database's plan for the statement instead of running it");
  cmd->callback([&globals, &action, options] { action = [&globals, options] { return run_query(globals, *options); }; });
}

}  // namespace weir::cli
