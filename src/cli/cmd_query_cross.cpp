#include "cli/cmd_query_cross.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>

#include "cli/result_printer.hpp"
#include "cli/stop_signals.hpp"
#include "core/yaml_document.hpp"
#include "query/cross_query.hpp"
#include "query/result_table.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

using Clock = std::chrono::steady_clock;

query::Connections config_connections(const Globals& globals) {
  std::string file = globals.config_path();
  auto names = std::make_shared<std::vector<std::string>>();
  if (!file.empty()) *names = db::connection_names(config::load_document(file));
  // `local`, the embedded store, is a connection too, unless the file names one so.
  return {[names](std::string_view name) {
            return name == Globals::kLocal || std::find(names->begin(), names->end(), name) != names->end();
          },
          [&globals](std::string_view name) { return globals.connection_or_local(name); }};
}

std::string params_text(const std::vector<Value>& params) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out += i ? ", " : "";
    if (params[i].is_null()) {
      out += "NULL";
      continue;
    }
    out += '\'';
    params[i].append_text(out);
    out += '\'';
  }
  return out;
}

// The plan, then each distinct remote query once with how often it ran and its first parameters.
void print_explain(query::CrossQuery& q, std::ostream& out) {
  out << "plan:\n";
  for (const std::string& line : q.plan()) out << "  " << line << '\n';
  struct Seen {
    std::string connection;
    std::vector<std::vector<Value>> params;
    std::size_t count = 0;
  };
  std::vector<std::pair<std::string, Seen>> seen;
  for (const query::SentQuery& s : q.sent()) {
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.first == s.sql && e.second.connection == s.connection; });
    if (it == seen.end()) it = seen.insert(seen.end(), {s.sql, Seen{s.connection, {}, 0}});
    ++it->second.count;
    if (it->second.params.size() < 3) it->second.params.push_back(s.params);
  }
  for (const auto& [sql, s] : seen) {
    out << fmt::format("{}: {}\n", s.connection, sql);
    out << fmt::format("  sent {} time{}", s.count, s.count == 1 ? "" : "s");
    for (const auto& p : s.params)
      if (!p.empty()) out << fmt::format("; parameters ({})", params_text(p));
    out << (s.count > s.params.size() && !s.params.front().empty() ? "; …\n" : "\n");
  }
}

void print_stats(const query::CrossQuery& q, double total_ms) {
  for (const query::TableStats& s : q.stats())
    std::cerr << fmt::format("{}: {} row{} fetched in {} quer{}, {:.1f} ms\n", s.name, s.rows, s.rows == 1 ? "" : "s",
                             s.queries, s.queries == 1 ? "y" : "ies",
                             std::chrono::duration<double, std::milli>(s.time).count());
  std::cerr << fmt::format("total: {:.1f} ms\n", total_ms);
}

// "warehouse.public.top" → connection `warehouse`, table `public.top`.
std::pair<std::string, db::TableRef> into_target(const std::string& text) {
  std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size())
    throw Error(ErrorKind::config, fmt::format("--into `{}`: give the table as CONNECTION.TABLE", text));
  return {text.substr(0, dot), db::TableRef::parse(std::string_view(text).substr(dot + 1))};
}

}  // namespace

int run_cross_query(const Globals& globals, const CrossQueryOptions& o) {
  Format format = parse_format(o.format);
  std::optional<std::pair<db::ConnectionConfig, db::TableRef>> into;
  if (!o.into.empty()) {
    auto [connection, table] = into_target(o.into);
    into.emplace(globals.connection_or_local(connection), table);
  }
  auto start = Clock::now();
  query::CrossQuery q(o.sql, config_connections(globals), o.explain);
  if (o.timeout) q.set_timeout(*o.timeout, "--timeout");
  // Ctrl-C (or SIGTERM) cancels the remote queries and SQLite's work, and the command exits
  // 128 + the signal; a second one exits at once.
  std::stop_source stop;
  StopSignals signals(stop, "weir: cancelling the statement and its remote queries (press Ctrl-C again to abort)\n");
  std::stop_callback cancel(stop.get_token(), [&q] { q.cancel(); });
  auto printer = make_printer(format, std::cout, o.null_text);
  std::uint64_t rows = 0;
  try {
    auto cursor = q.run();
    if (into) {
      rows = query::store_result(*cursor, into->first, into->second);
      std::cout << fmt::format("stored {} row{} in {}\n", rows, rows == 1 ? "" : "s", o.into);
      cursor.reset();
      q.finish();
      if (o.stats) print_stats(q, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      return 0;
    }
    Batch batch;
    bool any = false;
    while (!signals.signal() && cursor->next(batch, 1000)) {
      any = true;
      rows += batch.rows();
      if (!o.explain) printer->batch(batch);
    }
    cursor.reset();  // closes the remote tables' scans before their snapshots end
    if (!any && !o.explain && !signals.signal()) printer->batch(batch);  // header only
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::timeout && q.timed_out()) {
      std::cout.flush();
      std::cerr << "weir: timeout error: " << e.what() << '\n';
      return kTimeoutExit;
    }
    if (!signals.signal()) throw;
  }
  if (int signal = signals.signal()) {
    std::cout.flush();
    return 128 + signal;
  }
  q.finish();
  if (o.explain) print_explain(q, std::cout);
  else printer->finish(rows);
  if (o.stats) print_stats(q, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  return 0;
}

}  // namespace weir::cli
