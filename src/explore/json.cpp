#include "explore/json.hpp"

#include <fmt/format.h>

#include <memory>

namespace weir::explore {
namespace {

template <class T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json foreign_key_json(const db::ForeignKey& key) {
  return Json{{"name", key.name},
              {"schema", key.table.schema},
              {"table", key.table.name},
              {"columns", key.columns},
              {"references",
               Json{{"schema", key.referenced.schema},
                    {"table", key.referenced.name},
                    {"columns", key.referenced_columns}}},
              {"on_update", key.on_update},
              {"on_delete", key.on_delete}};
}

Json column_json(const ColumnDescription& c) {
  Json types = Json::object();
  for (const auto& [dialect, type] : c.equivalents) types[dialect] = type;
  return Json{{"name", c.column.name},
              {"native_type", c.column.native_type},
              {"logical_type", c.column.type == Type::null ? "unknown" : std::string(to_string(c.column.type))},
              {"nullable", c.column.nullable},
              {"default", optional_json(c.default_value)},
              {"comment", c.comment},
              {"primary_key", c.column.primary_key},
              {"types", std::move(types)}};
}

// The rows as objects of column name to value, values as `weir query --format json` writes them.
Json sample_json(const Batch& sample) {
  Json rows = Json::array();
  std::string text;
  for (std::size_t r = 0; r < sample.rows(); ++r) {
    Json row = Json::object();
    for (std::size_t c = 0; c < sample.width(); ++c) {
      text.clear();
      sample.at(r, c).append_json(text);
      row[sample.schema()[c].name] = Json::parse(text);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Batch rows_of(std::vector<std::pair<std::string, Type>> columns) {
  std::vector<Column> schema;
  for (auto& [name, type] : columns) {
    schema.emplace_back();
    schema.back().name = std::move(name);
    schema.back().type = type;
  }
  return Batch(std::make_shared<const Schema>(std::move(schema)));
}

template <class T>
Value optional_value(const std::optional<T>& value) {
  return value ? Value(*value) : Value();
}

std::string columns_text(const std::vector<std::string>& columns) { return fmt::format("{}", fmt::join(columns, ", ")); }

std::string qualified(const db::TableRef& ref) { return ref.to_string(); }

}  // namespace

Json connections_json(const std::string& config_file, const std::vector<ConnectionStatus>& connections) {
  Json list = Json::array();
  for (const ConnectionStatus& c : connections)
    list.push_back(Json{{"name", c.name},
                        {"type", c.type},
                        {"url", c.url},
                        {"location", c.location},
                        {"read_only", c.read_only},
                        {"status", c.ok ? "ok" : "error"},
                        {"server_version", c.ok ? Json(c.server_version) : Json(nullptr)},
                        {"round_trip_ms", optional_json(c.round_trip_ms)},
                        {"table_count", optional_json(c.table_count)},
                        {"error", c.ok ? Json(nullptr) : Json(c.error)}});
  return Json{{"config_file", config_file}, {"connections", std::move(list)}};
}

Json tables_json(const std::string& connection, const std::vector<db::TableSummary>& tables) {
  Json list = Json::array();
  for (const db::TableSummary& t : tables)
    list.push_back(Json{{"schema", t.ref.schema},
                        {"name", t.ref.name},
                        {"kind", std::string(db::to_string(t.kind))},
                        {"row_estimate", optional_json(t.row_estimate)},
                        {"size_bytes", optional_json(t.size_bytes)},
                        {"last_modified", optional_json(t.last_modified)}});
  return Json{{"connection", connection}, {"tables", std::move(list)}};
}

Json description_json(const std::string& connection, const TableDescription& d) {
  const db::TableDetails& t = d.details;
  Json columns = Json::array(), foreign = Json::array(), referenced = Json::array(), uniques = Json::array(),
       checks = Json::array(), indexes = Json::array();
  for (const ColumnDescription& c : d.columns) columns.push_back(column_json(c));
  for (const db::ForeignKey& k : t.foreign_keys) foreign.push_back(foreign_key_json(k));
  for (const db::ForeignKey& k : t.referenced_by) referenced.push_back(foreign_key_json(k));
  for (const db::Constraint& u : t.unique_constraints) uniques.push_back(Json{{"name", u.name}, {"columns", u.columns}});
  for (const db::Constraint& c : t.checks) checks.push_back(Json{{"name", c.name}, {"definition", c.definition}});
  for (const db::Index& i : t.indexes)
    indexes.push_back(Json{{"name", i.name},
                           {"columns", i.columns},
                           {"unique", i.unique},
                           {"primary", i.primary},
                           {"method", i.method},
                           {"predicate", i.predicate.empty() ? Json(nullptr) : Json(i.predicate)}});
  return Json{{"connection", connection},
              {"type", d.driver},
              {"schema", t.ref.schema},
              {"name", t.ref.name},
              {"kind", std::string(db::to_string(t.kind))},
              {"comment", t.comment},
              {"row_estimate", optional_json(d.row_estimate)},
              {"size_bytes", optional_json(t.size_bytes)},
              {"columns", std::move(columns)},
              {"primary_key", d.primary_key},
              {"foreign_keys", std::move(foreign)},
              {"referenced_by", std::move(referenced)},
              {"unique_constraints", std::move(uniques)},
              {"check_constraints", std::move(checks)},
              {"indexes", std::move(indexes)},
              {"sample", sample_json(d.sample)}};
}

Batch connections_rows(const std::vector<ConnectionStatus>& connections) {
  Batch rows = rows_of({{"name", Type::text}, {"type", Type::text}, {"location", Type::text}, {"read_only", Type::boolean},
                        {"status", Type::text}, {"server_version", Type::text}, {"round_trip_ms", Type::decimal},
                        {"tables", Type::int64}});
  for (const ConnectionStatus& c : connections) {
    auto row = rows.append_row();
    row[0] = Value(c.name), row[1] = Value(c.type), row[2] = Value(c.location), row[3] = Value(c.read_only);
    row[4] = Value(c.ok ? "ok" : "error: " + c.error);
    row[5] = c.ok ? Value(c.server_version) : Value();
    row[6] = c.round_trip_ms ? Value(Decimal{fmt::format("{:.1f}", *c.round_trip_ms)}) : Value();
    row[7] = optional_value(c.table_count);
  }
  return rows;
}

Batch tables_rows(const std::vector<db::TableSummary>& tables) {
  Batch rows = rows_of({{"schema", Type::text}, {"name", Type::text}, {"kind", Type::text}, {"row_estimate", Type::int64},
                        {"size_bytes", Type::int64}, {"last_modified", Type::text}});
  for (const db::TableSummary& t : tables) {
    auto row = rows.append_row();
    row[0] = Value(t.ref.schema), row[1] = Value(t.ref.name), row[2] = Value(db::to_string(t.kind));
    row[3] = optional_value(t.row_estimate), row[4] = optional_value(t.size_bytes), row[5] = optional_value(t.last_modified);
  }
  return rows;
}

Batch columns_rows(const TableDescription& d) {
  std::vector<std::pair<std::string, Type>> columns{{"column", Type::text},   {"native_type", Type::text},
                                                    {"logical_type", Type::text}, {"nullable", Type::boolean},
                                                    {"default", Type::text}, {"comment", Type::text}};
  if (!d.columns.empty())
    for (const auto& [dialect, type] : d.columns.front().equivalents) columns.emplace_back(dialect, Type::text);
  Batch rows = rows_of(std::move(columns));
  for (const ColumnDescription& c : d.columns) {
    auto row = rows.append_row();
    row[0] = Value(c.column.name), row[1] = Value(c.column.native_type);
    row[2] = Value(c.column.type == Type::null ? "unknown" : std::string(to_string(c.column.type)));
    row[3] = Value(c.column.nullable), row[4] = optional_value(c.default_value), row[5] = Value(c.comment);
    for (std::size_t i = 0; i < c.equivalents.size(); ++i) row[6 + i] = Value(c.equivalents[i].second);
  }
  return rows;
}

std::vector<std::string> constraint_lines(const TableDescription& d) {
  const db::TableDetails& t = d.details;
  std::vector<std::string> out;
  auto named = [](std::string_view kind, const std::string& name) {
    return name.empty() ? std::string(kind) : fmt::format("{} {}", kind, name);
  };
  if (!d.primary_key.empty()) out.push_back(fmt::format("PRIMARY KEY ({})", columns_text(d.primary_key)));
  for (const db::ForeignKey& k : t.foreign_keys)
    out.push_back(fmt::format("{} ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}", named("FOREIGN KEY", k.name),
                              columns_text(k.columns), qualified(k.referenced), columns_text(k.referenced_columns),
                              k.on_update, k.on_delete));
  for (const db::ForeignKey& k : t.referenced_by)
    out.push_back(fmt::format("REFERENCED BY {} ({}) TO ({}){}", qualified(k.table), columns_text(k.columns),
                              columns_text(k.referenced_columns), k.name.empty() ? "" : " AS " + k.name));
  for (const db::Constraint& u : t.unique_constraints)
    out.push_back(fmt::format("{} ({})", named("UNIQUE", u.name), columns_text(u.columns)));
  for (const db::Constraint& c : t.checks) out.push_back(fmt::format("{} ({})", named("CHECK", c.name), c.definition));
  for (const db::Index& i : t.indexes)
    out.push_back(fmt::format("{}INDEX {} USING {} ({}){}", i.unique ? "UNIQUE " : "", i.name, i.method,
                              columns_text(i.columns), i.predicate.empty() ? "" : " WHERE " + i.predicate));
  return out;
}

}  // namespace weir::explore
