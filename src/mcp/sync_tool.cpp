#include "mcp/sync_tool.hpp"

#include <fmt/format.h>

#include <chrono>

#include "sync/sync.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

constexpr std::string_view kLocal = "local";
// Four a second: a sync of a million rows can end within a second, and an agent (or a user
// watching it) should still see how it went before then.
constexpr auto kProgressEvery = std::chrono::milliseconds(250);

// A `where_clause` runs inside the sync's reads of the source: on a read-only connection it
// meets the query tool's checks first (one expression, no function that acts outside the query).
void check_where(SafeQueries& sessions, const std::string& connection, const db::TableRef& table,
                 const std::string& where, std::stop_token stop) {
  if (where.empty() || sessions.writable(connection)) return;
  std::string quoted = sessions.connection(connection).dialect().quote_table(table);
  sessions.query(connection, "SELECT 1 FROM " + quoted + " WHERE (" + where + ") LIMIT 0", 1, stop);
}

// The target's connection: the embedded store unless the call names a connection, which must be
// writable by the config's word.
db::ConnectionConfig target_of(SafeQueries& sessions, const std::string& target,
                               const std::function<db::ConnectionConfig()>& local) {
  if (target.empty() || (target == kLocal && !sessions.has(std::string(kLocal)))) return local();
  db::ConnectionConfig config = sessions.config(target);
  if (!sessions.writable(target))
    throw Error(ErrorKind::permission,
                fmt::format("`{}` is read-only for agents: sync into the embedded store (leave `target` out) or a "
                            "connection the config marks read_only: false",
                            target));
  return config;
}

json report_json(const sync::Report& r) {
  return {{"source", r.source},         {"target", r.target},   {"rows_read", r.rows_read},
          {"rows_written", r.rows_written}, {"created", r.created}, {"resumed", r.resumed},
          {"seconds", r.seconds}};
}

ToolOutput run_sync(SafeQueries& sessions, const std::function<db::ConnectionConfig()>& local, const json& arguments,
                    const CallContext& context) {
  std::string source = arguments["connection_name"].get<std::string>();
  sync::Request request;
  request.source = sessions.config(source);
  request.source_table = db::TableRef::parse(arguments["source_table"].get<std::string>());
  sessions.check_table(source, request.source_table);
  request.target = target_of(sessions, optional_string(arguments, "target"), local);
  if (std::string table = optional_string(arguments, "local_table"); !table.empty())
    request.target_table = db::TableRef::parse(table);
  request.mode = optional_string(arguments, "sync_mode") == "incremental" ? sync::Mode::incremental : sync::Mode::full;
  if (std::string column = optional_string(arguments, "incremental_column"); !column.empty())
    request.cursor.push_back(column);
  if (request.mode == sync::Mode::incremental && request.cursor.empty())
    throw Error(ErrorKind::config, "sync_mode incremental needs an incremental_column (the column new rows grow in)");
  request.where = optional_string(arguments, "where_clause");
  // Rows already there are replaced: syncing a table again brings it up to date.
  request.on_conflict = sync::OnConflict::replace;
  sync::refuse_read_only(request.target);
  check_where(sessions, source, request.source_table, request.where, context.stop);
  request.stop = context.stop;
  request.progress_every = kProgressEvery;
  request.on_progress = [&context](const sync::Progress& p) {
    std::optional<double> total;
    if (p.row_estimate && *p.row_estimate > 0) total = static_cast<double>(*p.row_estimate);
    context.progress(static_cast<double>(p.rows_written), total, fmt::format("{} rows written", p.rows_written));
  };
  sync::Report report = sync::run(request);
  // What fails once rows flow (a value the target refuses, a lost connection) comes as text.
  if (!report.error.empty()) throw Error(report.config_error ? ErrorKind::config : ErrorKind::data, report.error);
  if (report.interrupted) throw Error(ErrorKind::cancelled, "the sync was cancelled; what was written stays");
  json out = report_json(report);
  std::string text = fmt::format("{} → {}: {} rows written in {:.1f} s{}", report.source, report.target,
                                 report.rows_written, report.seconds, report.created ? " (table created)" : "");
  return ToolOutput{std::move(out), std::move(text)};
}

}  // namespace

Tool sync_table_tool(std::shared_ptr<SafeQueries> sessions, std::function<db::ConnectionConfig()> local_store) {
  bool writes_connections = sessions->any_writable();
  Tool tool{
      .name = "sync_table",
      .description = "Copy a table into the embedded store or a writable target; full or incremental; "
                     "existing rows replaced.",
      .input_schema = {{"type", "object"},
                       {"properties",
                        {{"connection_name", {{"type", "string"}}},
                         {"source_table", {{"type", "string"}}},
                         {"local_table", {{"type", "string"}}},
                         {"sync_mode", {{"enum", {"full", "incremental"}}}},
                         {"incremental_column", {{"type", "string"}}},
                         {"where_clause", {{"type", "string"}}},
                         {"target", {{"type", "string"}}}}},
                       {"required", {"connection_name", "source_table"}},
                       {"additionalProperties", false}},
      .output_schema = {{"type", "object"}, {"required", {"rows_written"}}},
      // readOnlyHint false is the protocol's default: left out, as every byte of the list counts.
      .annotations = {{"destructiveHint", writes_connections}, {"idempotentHint", true}, {"openWorldHint", false}},
      .call = nullptr,
  };
  tool.call = [sessions, local = std::move(local_store)](const json& arguments, const CallContext& context) {
    return run_sync(*sessions, local, arguments, context);
  };
  return tool;
}

}  // namespace weir::mcp
