// `weir sync SOURCE.TABLE --to TARGET[.TABLE]`: the command line of sync::run (src/sync/),
// which does the work; here only options are read and the summary printed.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <csignal>
#include <mutex>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
#include "cli/sync_output.hpp"
#include "core/config_spec.hpp"
#include "sync/many_tables.hpp"
#include "sync/sync.hpp"
#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir::cli {
namespace {

struct SyncOptions {
  std::string source;
  std::string to;
  std::string mode = "full";
  std::vector<std::string> cursor;
  std::string where;
  std::string on_conflict = "fail";
  std::string on_bad_value = "fail";
  std::string format = "table";
  std::string progress = "5s";
  bool truncate = false;
  bool verify = false;
  bool reset = false;
  bool with_indexes = false;
  std::string tables;  // --tables: a pattern of the source connection's tables
  // 0: not given. One table: 1 reader — on the 2-core reference machine more readers of one
  // table were not faster (bench/sync_pg.sh, JOBS), the one writer sets the pace; --tables: 2
  // tables at once.
  int jobs = 0;
};

// "shop.public.orders" → connection `shop`, table `public.orders`; the table may be left out
// (`--to local`: the source table's name).
std::pair<std::string, db::TableRef> split_target(const std::string& text, bool table_required) {
  std::size_t dot = text.find('.');
  std::string connection = text.substr(0, dot);
  if (dot == std::string::npos) {
    if (table_required)
      throw Error(ErrorKind::config, fmt::format("`{}`: give the table as CONNECTION.TABLE", text));
    return {connection, {}};
  }
  return {connection, db::TableRef::parse(std::string_view(text).substr(dot + 1))};
}

// Every connection the command names goes through here, so that a change to how names are
// resolved (the config file searched, connection options) is made in one place.
db::ConnectionConfig resolve(const Globals& globals, const std::string& name) { return globals.connection_or_local(name); }

sync::Request request_of(const Globals& globals, const SyncOptions& o) {
  sync::Request r;
  auto [source, source_table] = split_target(o.source, true);
  auto [target, target_table] = split_target(o.to, false);
  r.source = resolve(globals, source);
  r.source_table = source_table;
  r.target = resolve(globals, target);
  r.target_table = target_table;
  r.mode = o.mode == "incremental" ? sync::Mode::incremental : sync::Mode::full;
  r.cursor = o.cursor;
  r.where = o.where;
  r.on_conflict = o.on_conflict == "replace" ? sync::OnConflict::replace
                  : o.on_conflict == "skip" ? sync::OnConflict::skip
                                            : sync::OnConflict::fail;
  r.on_bad_value = o.on_bad_value == "null" ? sync::OnBadValue::null : sync::OnBadValue::fail;
  r.truncate = o.truncate;
  r.verify = o.verify;
  r.reset = o.reset;
  r.with_indexes = o.with_indexes;
  r.jobs = o.jobs > 0 ? o.jobs : 1;
  r.writers = o.jobs > 0 ? o.jobs : 0;
  if (r.truncate && r.mode == sync::Mode::incremental)
    throw Error(ErrorKind::config, "--truncate applies to --mode full (an incremental run reads only new rows)");
  auto every = config::parse_duration(o.progress);
  if (!every) throw Error(ErrorKind::config, fmt::format("--progress: `{}` is not a duration like 5s", o.progress));
  r.progress_every = *every;
  return r;
}

int run_sync(const Globals& globals, const SyncOptions& o) {
  sync::Request request = request_of(globals, o);
  std::stop_source stop;
  StopSignals signals(stop);
  request.stop = stop.get_token();
  SyncProgress progress(std::cerr, ::isatty(STDERR_FILENO) != 0);
  request.on_progress = [&progress](const sync::Progress& p) { progress.show(p); };
  sync::Report report = sync::run(request);
  progress.finish();
  SyncOutput(std::cout, o.format, false).table(report);
  if (!report.error.empty()) {
    std::cerr << "weir: sync failed: " << report.error << '\n';
    return report.config_error ? 2 : 1;
  }
  if (report.interrupted) return 128 + (signals.signal() ? signals.signal() : SIGINT);
  if (report.verification && !report.verification->matches()) return 1;
  return 0;
}

// --tables: SOURCE is a connection, the target tables take the source tables' names.
int run_sync_many(const Globals& globals, const SyncOptions& o) {
  if (o.source.find('.') != std::string::npos && !globals.names_connection(o.source))
    throw Error(ErrorKind::config, fmt::format("with --tables, give the source as a connection, not `{}`", o.source));
  if (o.to.find('.') != std::string::npos && !globals.names_connection(o.to))
    throw Error(ErrorKind::config, fmt::format("with --tables, give --to as a connection, not `{}`", o.to));
  sync::ManyRequest many;
  SyncOptions one = o;
  one.source += ".-";  // a placeholder table: each table of the pattern replaces it
  many.each = request_of(globals, one);
  many.pattern = o.tables;
  many.at_once = o.jobs > 0 ? o.jobs : 2;
  many.each.jobs = 1;  // the tables are copied at once, each by one reader and one writer
  many.each.writers = 1;
  std::stop_source stop;
  StopSignals signals(stop);
  many.each.stop = stop.get_token();
  // Several tables at once: a line each, a bar would be overdrawn by the others'.
  SyncProgress progress(std::cerr, false);
  std::mutex progress_mutex;
  many.each.on_progress = [&](const sync::Progress& p) {
    std::lock_guard lock(progress_mutex);
    progress.show(p);
  };
  auto started = std::chrono::steady_clock::now();
  SyncOutput output(std::cout, o.format, true);
  std::vector<sync::Report> reports = sync::run_many(many, [&](const sync::Report& r) { output.table(r); });
  output.totals(reports, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  int exit = 0;
  for (const sync::Report& r : reports) {
    if (!r.error.empty()) {
      std::cerr << "weir: sync of " << r.source << " failed: " << r.error << '\n';
      exit = std::max(exit, r.config_error ? 2 : 1);
    } else if (r.verification && !r.verification->matches()) {
      exit = std::max(exit, 1);
    }
  }
  if (stop.stop_requested()) return 128 + (signals.signal() ? signals.signal() : SIGINT);
  return exit;
}

}  // namespace

void add_sync_command(CLI::App& app, const Globals& globals, Action& action) {
  auto o = std::make_shared<SyncOptions>();
  auto* cmd = app.add_subcommand("sync", "Copy a table into another database or the embedded store");
  cmd->footer(
      "SOURCE is CONNECTION.TABLE (or CONNECTION.SCHEMA.TABLE), CONNECTION a name in the config file;\n"
      "TARGET is a connection name, or `local` (.weir/local.db), optionally followed by .TABLE.\n"
      "With --tables PATTERN, SOURCE is a connection and TARGET a connection: every matching table.\n"
      "See docs/sync.md.\n"
      "\n"
      "Exit codes: 0 copied (and verified), 1 failed or --verify found a difference, 2 bad input\n"
      "(unknown connection, table or column, invalid --where, a type that cannot be carried),\n"
      "130/143 stopped by SIGINT/SIGTERM: run it again to go on.");
  cmd->add_option("source", o->source, "CONNECTION.TABLE to read (with --tables: CONNECTION)")->required();
  cmd->add_option("--to", o->to, "TARGET[.TABLE]: a connection name or `local`")->required();
  cmd->add_option("--mode", o->mode, "full: every row; incremental: the rows after the last run's --cursor")
      ->check(CLI::IsMember({"full", "incremental"}))
      ->capture_default_str();
  cmd->add_option("--cursor", o->cursor, "COLUMN[,TIEBREAK]: the NOT NULL columns new rows come after")
      ->delimiter(',');
  cmd->add_option("--where", o->where, "A condition on the source's rows, in its SQL")->capture_default_str();
  cmd->add_option("--on-conflict", o->on_conflict, "A row whose key the target holds: fail, replace or skip")
      ->check(CLI::IsMember({"fail", "replace", "skip"}))
      ->capture_default_str();
  cmd->add_flag("--truncate", o->truncate, "Replace the target's rows (one transaction, full mode)");
  cmd->add_flag("--verify", o->verify, "Compare row count and checksum of both sides at the end");
  cmd->add_option("--tables", o->tables,
                  "Copy every table matching [SCHEMA.]PATTERN (globs: * ?) of the connection SOURCE, in "
                  "foreign-key order");
  cmd->add_option("--jobs", o->jobs,
                  "How many readers read the key ranges of the table at once, and how many writers fill the "
                  "target table at once (a full sync of a table with a primary key; default 1 reader, and 2 "
                  "writers into PostgreSQL, else 1; into SQLite always 1 writer; on PostgreSQL without a key, "
                  "readers of its ctid ranges); with --tables: how many tables are copied at once (default 2)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--with-indexes", o->with_indexes,
                "Build the source's secondary indexes and unique constraints on the target after the load");
  cmd->add_flag("--reset", o->reset, "Forget the position kept for this source and target");
  cmd->add_option("--on-bad-value", o->on_bad_value,
                  "A value the source cannot read (a MySQL zero date) or the existing target column cannot hold "
                  "(a number out of its range): fail, or null (each named in a warning)")
      ->check(CLI::IsMember({"fail", "null"}))
      ->capture_default_str();
  cmd->add_option("-f,--format", o->format, "The summary as table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--progress", o->progress, "How often to print progress to stderr; 0s: never")->capture_default_str();
  cmd->callback([&globals, &action, o] { action = [&globals, o] { return o->tables.empty() ? run_sync(globals, *o) : run_sync_many(globals, *o); }; });
}

}  // namespace weir::cli
