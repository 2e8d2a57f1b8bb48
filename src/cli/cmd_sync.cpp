// `weir sync SOURCE.TABLE --to TARGET[.TABLE]`: the command line of sync::run (src/sync/),
// which does the work; here only options are read and the summary printed.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
#include "core/config_spec.hpp"
#include "sync/sync.hpp"
#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir::cli {
namespace {

// The embedded store: a connection of this name in the config file, else this SQLite file.
constexpr std::string_view kLocal = "local";

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

db::ConnectionConfig local_store(const Globals& globals) {
  db::ConnectionConfig config;
  config.name = std::string(kLocal);
  config.url = Url::parse("sqlite::memory:");
  config.url.database = (globals.base_dir() / ".weir" / "local.db").string();
  std::filesystem::create_directories(globals.base_dir() / ".weir");
  return config;
}

// Every connection the command names goes through here, so that a change to how names are
// resolved (the config file searched, connection options) is made in one place.
db::ConnectionConfig resolve(const Globals& globals, const std::string& name) {
  if (name == kLocal && !globals.names_connection(name)) return local_store(globals);
  return globals.connection(name);
}

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
  if (r.truncate && r.mode == sync::Mode::incremental)
    throw Error(ErrorKind::config, "--truncate applies to --mode full (an incremental run reads only new rows)");
  auto every = config::parse_duration(o.progress);
  if (!every) throw Error(ErrorKind::config, fmt::format("--progress: `{}` is not a duration like 5s", o.progress));
  r.progress_every = *every;
  return r;
}

std::string json_text(const std::string& s) {
  std::string out;
  Value(s).append_json(out);
  return out;
}

void print_report(const sync::Report& s, const std::string& format) {
  const auto* v = s.verification ? &*s.verification : nullptr;
  if (format == "json") {
    std::string verify = v ? fmt::format(R"({{"source_rows":{},"target_rows":{},"source_checksum":"{:016x}","target_checksum":"{:016x}","matches":{}}})",
                                         v->source_rows, v->target_rows, v->source_checksum, v->target_checksum, v->matches())
                           : "null";
    std::cout << fmt::format(
        R"({{"source":{},"target":{},"rows_read":{},"rows_written":{},"rows_skipped":{},"indexes_built":{},"created":{},"resumed":{},"interrupted":{},"seconds":{:.3f},"verify":{},"error":{}}})"
        "\n",
        json_text(s.source), json_text(s.target), s.rows_read, s.rows_written, s.rows_skipped, s.indexes_built, s.created, s.resumed,
        s.interrupted, s.seconds, verify, s.error.empty() ? "null" : json_text(s.error));
    return;
  }
  if (format == "csv") {
    std::cout << "source,target,rows_read,rows_written,rows_skipped,created,resumed,interrupted,seconds,verified\n";
    std::cout << fmt::format("{},{},{},{},{},{},{},{},{:.3f},{}\n", s.source, s.target, s.rows_read, s.rows_written,
                             s.rows_skipped, s.created, s.resumed, s.interrupted, s.seconds,
                             v ? (v->matches() ? "match" : "MISMATCH") : "");
    return;
  }
  double rate = s.seconds > 0 ? double(s.rows_written) / s.seconds : 0;
  std::string notes = std::string(s.created ? ", table created" : "") +
                      (s.indexes_built ? fmt::format(", {} indexes built", s.indexes_built) : "") + (s.resumed ? ", resumed" : "") +
                      (!s.error.empty() ? ", FAILED" : s.interrupted ? ", INTERRUPTED" : "");
  std::cout << fmt::format("sync {} to {}: read {}, wrote {}, skipped {} in {:.2f} s ({:.0f} rows/s){}\n", s.source,
                           s.target, s.rows_read, s.rows_written, s.rows_skipped, s.seconds, rate, notes);
  if (v)
    std::cout << fmt::format("verify: source {} rows, checksum {:016x}; target {} rows, checksum {:016x}: {}\n",
                             v->source_rows, v->source_checksum, v->target_rows, v->target_checksum,
                             v->matches() ? "match" : "MISMATCH");
}

int run_sync(const Globals& globals, const SyncOptions& o) {
  sync::Request request = request_of(globals, o);
  std::stop_source stop;
  StopSignals signals(stop);
  request.stop = stop.get_token();
  sync::Report report = sync::run(request);
  print_report(report, o.format);
  if (!report.error.empty()) {
    std::cerr << "weir: sync failed: " << report.error << '\n';
    return report.config_error ? 2 : 1;
  }
  if (report.interrupted) return 128 + (signals.signal() ? signals.signal() : SIGINT);
  if (report.verification && !report.verification->matches()) return 1;
  return 0;
}

}  // namespace

void add_sync_command(CLI::App& app, const Globals& globals, Action& action) {
  auto o = std::make_shared<SyncOptions>();
  auto* cmd = app.add_subcommand("sync", "Copy a table into another database or the embedded store");
  cmd->footer(
      "SOURCE is CONNECTION.TABLE (or CONNECTION.SCHEMA.TABLE), CONNECTION a name in the config file;\n"
      "TARGET is a connection name, or `local` (.weir/local.db), optionally followed by .TABLE.\n"
      "See docs/sync.md.\n"
      "\n"
      "Exit codes: 0 copied (and verified), 1 failed or --verify found a difference, 2 bad input\n"
      "(unknown connection, table or column, invalid --where, a type that cannot be carried),\n"
      "130/143 stopped by SIGINT/SIGTERM: run it again to go on.");
  cmd->add_option("source", o->source, "CONNECTION.TABLE to read")->required();
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
  cmd->add_flag("--with-indexes", o->with_indexes,
                "Build the source's secondary indexes and unique constraints on the target after the load");
  cmd->add_flag("--reset", o->reset, "Forget the position kept for this source and target");
  cmd->add_option("--on-bad-value", o->on_bad_value, "A value the source cannot read (a MySQL zero date): fail or null")
      ->check(CLI::IsMember({"fail", "null"}))
      ->capture_default_str();
  cmd->add_option("-f,--format", o->format, "The summary as table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--progress", o->progress, "How often to print progress to stderr; 0s: never")->capture_default_str();
  cmd->callback([&globals, &action, o] { action = [&globals, o] { return run_sync(globals, *o); }; });
}

}  // namespace weir::cli
