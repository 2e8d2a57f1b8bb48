#include "cdc/cdc_admin.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "cdc/stream_position.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

constexpr std::string_view kModule = "postgres_cdc";

// The first row of `query`, empty when it returns none.
std::vector<Value> first_row(db::Connection& sql, std::string_view query, std::span<const Value> params) {
  Batch rows;
  auto cursor = sql.query(query, params);
  while (cursor->next(rows, 1))
    if (!rows.empty()) return {rows.row(0).begin(), rows.row(0).end()};
  return {};
}

std::optional<std::string> text_or_none(const Value& v) {
  if (v.is_null()) return std::nullopt;
  return v.to_text();
}

std::optional<std::int64_t> int_or_none(const Value& v) {
  if (v.is_null()) return std::nullopt;
  return v.as_int();
}

const pipeline::InputModule& cdc_module() {
  for (const pipeline::InputModule& m : pipeline::input_modules())
    if (m.name == kModule) return m;
  throw Error(ErrorKind::internal, "the postgres_cdc module is not registered");
}

// The pipeline's postgres_cdc options, or nullopt when its input is another module.
std::optional<CdcPipeline> read_cdc_pipeline(const pipeline::Project& project, const pipeline::Pipeline& p) {
  std::string path = fmt::format("pipelines.{}.input", p.name);
  YAML::Node options = project.document.root["pipelines"][p.name]["input"][std::string(kModule)];
  if (!options) return std::nullopt;
  config::Section section(options, cdc_module().spec(), path + "." + std::string(kModule));
  auto connection = project.connections.find(section.string("connection"));
  if (connection == project.connections.end())  // the loader reported it; it cannot get here
    throw Error(ErrorKind::config, fmt::format("{}: no connection `{}`", section.path_of("connection"),
                                               section.string("connection")));
  return CdcPipeline{&p, connection->second, section.string("slot"), section.string("publication")};
}

void read_checkpoint(const CdcPipeline& p, SlotStatus& status) {
  auto saved = p.pipeline->state->saved(p.pipeline->owner);
  if (!saved || saved->position.empty()) return;
  StreamPosition position = decode_position(saved->position);
  status.last_seen_lsn = format_lsn(position.commit_lsn);
  status.last_seen_index = static_cast<std::int64_t>(position.index);
  status.last_seen_complete = position.end_lsn.has_value();
  status.last_saved_at = saved->saved_at;
}

void read_publication(db::Connection& sql, SlotStatus& status) {
  std::array<Value, 1> name{Value(status.publication)};
  auto row = first_row(sql, "SELECT obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = $1", name);
  status.publication_exists = !row.empty();
  status.publication_by_weir = !row.empty() && !row[0].is_null() && row[0].to_text() == kPublicationMark;
}

}  // namespace

std::string create_marked_publication(db::Connection& sql, std::string_view name, std::span<const db::TableRef> tables) {
  const db::Dialect& d = sql.dialect();
  std::vector<std::string> quoted;
  for (const db::TableRef& table : tables) quoted.push_back(d.quote_table(table));
  std::string target = quoted.empty() ? "ALL TABLES" : fmt::format("TABLE {}", fmt::join(quoted, ", "));
  // COMMENT takes no parameters: the mark is a constant of weir's, never a value from outside.
  db::Transaction tx(sql);
  sql.execute(fmt::format("CREATE PUBLICATION {} FOR {}", d.quote_identifier(name), target), {});
  sql.execute(fmt::format("COMMENT ON PUBLICATION {} IS '{}'", d.quote_identifier(name), kPublicationMark), {});
  tx.commit();
  return target;
}

void check_publication_covers(db::Connection& sql, std::string_view name, std::span<const db::TableRef> tables,
                              std::string_view tables_path) {
  for (const db::TableRef& table : tables) {
    std::array<Value, 3> params{Value(name), Value(table.schema), Value(table.name)};
    if (!first_row(sql, "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3",
                   params)
             .empty())
      continue;
    const db::Dialect& d = sql.dialect();
    throw Error(ErrorKind::config,
                fmt::format("{}: table `{}` is not in publication `{}`, so its changes would never be sent: "
                            "ALTER PUBLICATION {} ADD TABLE {}, or name another publication",
                            tables_path, table.to_string(), name, d.quote_identifier(name), d.quote_table(table)));
  }
}

std::vector<CdcPipeline> cdc_pipelines(const pipeline::Project& project, std::span<const std::string> only) {
  std::vector<CdcPipeline> found;
  for (const std::string& name : only) {
    auto it = std::find_if(project.pipelines.begin(), project.pipelines.end(),
                           [&](const pipeline::Pipeline& p) { return p.name == name; });
    if (it == project.pipelines.end())
      throw Error(ErrorKind::config, fmt::format("{}: no pipeline named `{}`", project.document.file, name));
    auto cdc = read_cdc_pipeline(project, *it);
    if (!cdc)
      throw Error(ErrorKind::config, fmt::format("{}: pipeline `{}` has no postgres_cdc input", project.document.file, name));
    found.push_back(std::move(*cdc));
  }
  if (!only.empty()) return found;
  for (const pipeline::Pipeline& p : project.pipelines)
    if (auto cdc = read_cdc_pipeline(project, p)) found.push_back(std::move(*cdc));
  return found;
}

SlotStatus slot_status(const CdcPipeline& p) {
  SlotStatus status;
  status.pipeline = p.pipeline->name;
  status.database = p.connection.identity();
  status.slot = p.slot;
  status.publication = p.publication;
  auto sql = db::connect(p.connection);
  std::array<Value, 1> slot{Value(p.slot)};
  // A slot confirmed past what the server has written out yet (its WAL write position) has no lag.
  auto row = first_row(*sql,
                       "SELECT active, active_pid, coalesce(wal_status, ''), confirmed_flush_lsn::text, "
                       "greatest(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint, "
                       "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint "
                       "FROM pg_replication_slots WHERE slot_name = $1",
                       slot);
  if (!row.empty()) {
    status.slot_exists = true;
    status.active = row[0].as_bool();
    status.active_pid = int_or_none(row[1]);
    status.wal_status = row[2].to_text();
    status.confirmed_flush_lsn = text_or_none(row[3]);
    status.lag_bytes = int_or_none(row[4]);
    status.retained_wal_bytes = int_or_none(row[5]);
  }
  read_publication(*sql, status);
  read_checkpoint(p, status);
  return status;
}

Batch status_rows(std::span<const SlotStatus> statuses) {
  static const auto schema = [] {
    std::vector<Column> columns;
    for (auto [name, type] : std::initializer_list<std::pair<const char*, Type>>{
             {"pipeline", Type::text}, {"slot", Type::text}, {"slot_exists", Type::boolean},
             {"active", Type::boolean}, {"active_pid", Type::int64}, {"wal_status", Type::text},
             {"confirmed_flush_lsn", Type::text}, {"lag_bytes", Type::int64}, {"retained_wal_bytes", Type::int64},
             {"last_seen_lsn", Type::text}, {"last_seen_index", Type::int64}, {"last_seen_complete", Type::boolean},
             {"last_saved_at", Type::text}, {"publication", Type::text}, {"publication_exists", Type::boolean},
             {"publication_by_weir", Type::boolean}, {"database", Type::text}}) {
      Column c;
      c.name = name;
      c.type = type;
      columns.push_back(std::move(c));
    }
    return std::make_shared<const Schema>(std::move(columns));
  }();
  auto optional = [](const auto& v) { return v ? Value(*v) : Value(); };
  Batch rows(schema);
  for (const SlotStatus& s : statuses)
    rows.append_row(std::array<Value, 17>{
        Value(s.pipeline), Value(s.slot), Value(s.slot_exists), Value(s.active), optional(s.active_pid),
        s.slot_exists ? Value(s.wal_status) : Value(), optional(s.confirmed_flush_lsn), optional(s.lag_bytes),
        optional(s.retained_wal_bytes), optional(s.last_seen_lsn), optional(s.last_seen_index),
        optional(s.last_seen_complete), optional(s.last_saved_at), Value(s.publication), Value(s.publication_exists),
        Value(s.publication_by_weir), Value(s.database)});
  return rows;
}

namespace {

// Why the publication stays, or "" when it may go.
std::string keep_publication(const CdcPipeline& p, const SlotStatus& status, std::span<const CdcPipeline> others) {
  if (!status.publication_by_weir)
    return fmt::format("publication `{}` was not created by weir (it lacks weir's comment): kept", p.publication);
  for (const CdcPipeline& other : others)
    if (other.pipeline != p.pipeline && other.publication == p.publication &&
        other.connection.identity() == p.connection.identity())
      return fmt::format("publication `{}` is also read by pipeline `{}`: kept", p.publication, other.pipeline->name);
  return "";
}

}  // namespace

DropOutcome drop_objects(const CdcPipeline& p, std::span<const CdcPipeline> others) {
  SlotStatus status = slot_status(p);
  auto busy = [&](std::string_view reader) {
    return Error(ErrorKind::serialization,
                 fmt::format("replication slot `{}` on {} is active ({}): stop the pipeline reading it first; "
                             "nothing was dropped",
                             p.slot, p.connection.describe(), reader));
  };
  if (status.active)
    throw busy(status.active_pid ? fmt::format("read by process {}", *status.active_pid) : "being read");
  DropOutcome outcome;
  auto sql = db::connect(p.connection);
  if (status.slot_exists) {
    std::array<Value, 1> slot{Value(p.slot)};
    try {
      sql->execute("SELECT pg_drop_replication_slot($1)", slot);
    } catch (const Error& e) {
      if (e.code() == "55006") throw busy("a reader started since it was looked at");  // object_in_use
      throw;
    }
    outcome.slot_dropped = true;
  }
  if (!status.publication_exists) return outcome;
  outcome.publication_kept = keep_publication(p, status, others);
  if (!outcome.publication_kept.empty()) return outcome;
  sql->execute(fmt::format("DROP PUBLICATION {}", sql->dialect().quote_identifier(p.publication)), {});
  outcome.publication_dropped = true;
  return outcome;
}

}  // namespace weir::cdc
