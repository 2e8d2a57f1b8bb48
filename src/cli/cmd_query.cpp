// `weir query CONN "SQL"` and `weir query CONN --file script.sql`: runs statements and prints
// what each returns — rows as they stream in, or psql's tag with the affected-row count for
// INSERT, UPDATE, DELETE, MERGE and REPLACE (`UPDATE 5`), `OK` for the rest.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cmd_query_cross.hpp"
#include "cli/commands.hpp"
#include "cli/result_printer.hpp"
#include "cli/sql_script.hpp"
#include "core/config_spec.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct QueryOptions {
  std::string target;
  std::string sql;
  std::string file;
  std::vector<std::string> params;
  std::string format = "table";
  std::string null_text;
  std::size_t batch_rows = 1000;
  bool explain = false;
  bool stats = false;
  bool single_transaction = false;
  std::string into;
  std::string timeout;
};

// --timeout, parsed; nullopt when not given.
std::optional<std::chrono::milliseconds> timeout_of(const QueryOptions& o) {
  if (o.timeout.empty()) return std::nullopt;
  auto timeout = config::parse_duration(o.timeout);
  if (!timeout || timeout->count() <= 0)
    throw Error(ErrorKind::config, fmt::format("--timeout `{}`: give a duration such as 30s or 500ms", o.timeout));
  return timeout;
}

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Runs one statement and prints its result.
void run_statement(db::Connection& connection, const std::string& sql, std::span<const Value> params,
                   const QueryOptions& o) {
  db::SqlSyntax syntax = connection.dialect().sql_syntax();
  StatementInfo info = inspect_statement(sql, syntax);
  log::debug(fmt::format("sending ({} parameter{}): {}", params.size(), params.size() == 1 ? "" : "s",
                         loggable_statement(sql, syntax)));
  auto start = Clock::now();
  if (counts_rows(info)) {
    std::uint64_t affected = connection.execute(sql, params);
    log::debug(fmt::format("{} {} in {:.1f} ms", info.verb, affected, millis_since(start)));
    std::cout << info.verb << ' ' << affected << '\n';
    return;
  }
  auto cursor = connection.query(sql, params);
  auto printer = make_printer(parse_format(o.format), std::cout, o.null_text);
  Batch batch;
  std::uint64_t rows = 0;
  bool any = false;
  while (cursor->next(batch, o.batch_rows)) {
    if (!any) log::debug(fmt::format("first rows after {:.1f} ms", millis_since(start)));
    any = true;
    rows += batch.rows();
    printer->batch(batch);
  }
  log::debug(fmt::format("{} row{} in {:.1f} ms", rows, rows == 1 ? "" : "s", millis_since(start)));
  if (cursor->schema()->empty()) {
    std::cout << "OK\n";
    return;
  }
  if (!any) printer->batch(batch);  // header only
  printer->finish(rows);
}

std::string read_script(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, fmt::format("{}: cannot read the file", file));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs each statement of the file in order and stops at the first that fails, naming it.
void run_script(db::Connection& connection, const QueryOptions& o) {
  std::vector<ScriptStatement> statements;
  try {
    statements = split_script(read_script(o.file), connection.dialect().sql_syntax());
  } catch (Error& e) {
    throw e.add_context(o.file);
  }
  std::optional<db::Transaction> transaction;
  if (o.single_transaction) transaction.emplace(connection);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    try {
      run_statement(connection, statements[i].sql, {}, o);
    } catch (Error& e) {
      std::string outcome = o.single_transaction ? "rolled back, no statement took effect"
                            : i == 0             ? "no statement took effect"
                            : i == 1             ? "statement 1 took effect"
                                                 : fmt::format("statements 1 to {} took effect", i);
      throw e.add_context(fmt::format("{}:{}: statement {} of {} ({})", o.file, statements[i].line, i + 1,
                                      statements.size(), outcome));
    }
  }
  if (transaction) transaction->commit();
}

// One argument and no --file: the statement runs across the config file's connections.
int run_across(const Globals& globals, const QueryOptions& o) {
  if (!o.params.empty()) throw Error(ErrorKind::config, "--param applies to `weir query CONN \"SQL\"`, not across connections");
  if (o.single_transaction) throw Error(ErrorKind::config, "--single-transaction needs --file");
  if (!o.into.empty() && o.explain) throw Error(ErrorKind::config, "give --into or --explain, not both");
  return run_cross_query(globals, {.sql = o.target, .format = o.format, .null_text = o.null_text,
                                   .explain = o.explain, .stats = o.stats, .into = o.into, .timeout = timeout_of(o)});
}

int run_query(const Globals& globals, const QueryOptions& o) {
  if (o.sql.empty() && o.file.empty()) return run_across(globals, o);
  if (o.stats) throw Error(ErrorKind::config, "--stats applies to a statement across connections (`weir query \"SQL\"`)");
  if (!o.into.empty()) throw Error(ErrorKind::config, "--into applies to a statement across connections (`weir query \"SQL\"`)");
  if (!o.sql.empty() && !o.file.empty()) throw Error(ErrorKind::config, "give the SQL to run or --file FILE, not both");
  if (!o.file.empty() && (!o.params.empty() || o.explain))
    throw Error(ErrorKind::config, "--param and --explain apply to one statement, not to --file");
  if (o.single_transaction && o.file.empty()) throw Error(ErrorKind::config, "--single-transaction needs --file");
  parse_format(o.format);  // a bad name fails before connecting
  db::ConnectionConfig config = globals.connection(o.target);
  if (auto timeout = timeout_of(o)) config.query_timeout = timeout;
  log::debug(fmt::format("connecting to {}", config.describe()));
  auto start = Clock::now();
  auto connection = db::connect(config);
  log::debug(fmt::format("connected in {:.1f} ms", millis_since(start)));
  if (!o.file.empty()) {
    run_script(*connection, o);
    return 0;
  }
  if (std::size_t n = split_script(o.sql, connection->dialect().sql_syntax()).size(); n > 1)
    throw Error(ErrorKind::config, fmt::format("the SQL holds {} statements; run several with --file FILE", n));
  std::vector<Value> params(o.params.begin(), o.params.end());
  std::string sql = o.explain ? std::string(connection->dialect().explain_prefix()) + o.sql : o.sql;
  run_statement(*connection, sql, params, o);
  return 0;
}

}  // namespace

void add_query_command(CLI::App& app, const Globals& globals, Action& action) {
  auto options = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("query", "Run SQL statements and stream their rows");
  cmd->add_option("connection", options->target,
                  "A connection URL or a name from the config file; alone, the statement to run across connections "
                  "(tables named connection.table or connection.schema.table)")
      ->required();
  cmd->add_option("sql", options->sql, "The statement; use placeholders (? or $1) for values");
  cmd->add_option("--file", options->file,
                  "Run the statements of a SQL script in order, stopping at the first error");
  cmd->add_flag("--single-transaction", options->single_transaction,
                "With --file: run the script in one transaction, all or nothing");
  cmd->add_option("-p,--param", options->params,
                  "A value bound to the next placeholder, as text (repeat for several)");
  cmd->add_option("-f,--format", options->format, "table, csv, json or ndjson")->capture_default_str();
  cmd->add_option("--null", options->null_text, "How the table format shows NULL (default: empty, as psql)");
  cmd->add_flag("--explain", options->explain,
                "Show the database's plan for the statement instead of running it; across connections, run it and "
                "show SQLite's plan and each query sent to a remote with its parameters");
  cmd->add_flag("--stats", options->stats, "Across connections: print rows fetched and time per remote table (stderr)");
  cmd->add_option("--timeout", options->timeout,
                  "How long the statement may run (30s, 500ms), instead of the connection's query_timeout; across "
                  "connections the deadline of the whole statement: its remote queries are cancelled, exit 124");
  cmd->add_option("--into", options->into,
                  "Across connections: store the rows in a new table CONN.TABLE (or local.TABLE, the embedded store), "
                  "created with the connection's types, instead of printing them");
  cmd->callback([&globals, &action, options] { action = [&globals, options] { return run_query(globals, *options); }; });
}

}  // namespace weir::cli
