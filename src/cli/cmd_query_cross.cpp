#include "cli/cmd_query_cross.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>

#include "cli/result_printer.hpp"
#include "core/yaml_document.hpp"
#include "query/cross_query.hpp"
#include "weir/error.hpp"

namespace weir::cli {
namespace {

using Clock = std::chrono::steady_clock;

query::Connections config_connections(const Globals& globals) {
  std::string file = globals.config_path();
  auto names = std::make_shared<std::vector<std::string>>();
  if (!file.empty()) *names = db::connection_names(config::load_document(file));
  return {[names](std::string_view name) { return std::find(names->begin(), names->end(), name) != names->end(); },
          [&globals](std::string_view name) { return globals.connection(name); }};
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

}  // namespace

int run_cross_query(const Globals& globals, const CrossQueryOptions& o) {
  Format format = parse_format(o.format);
  auto start = Clock::now();
  query::CrossQuery q(o.sql, config_connections(globals), o.explain);
  auto cursor = q.run();
  auto printer = make_printer(format, std::cout, o.null_text);
  Batch batch;
  std::uint64_t rows = 0;
  bool any = false;
  while (cursor->next(batch, 1000)) {
    any = true;
    rows += batch.rows();
    if (!o.explain) printer->batch(batch);
  }
  cursor.reset();  // closes the remote tables' scans before their snapshots end
  q.finish();
  if (o.explain) {
    print_explain(q, std::cout);
  } else {
    if (!any) printer->batch(batch);  // header only
    printer->finish(rows);
  }
  if (o.stats) print_stats(q, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  return 0;
}

}  // namespace weir::cli
