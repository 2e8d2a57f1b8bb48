#include "cdc/schema_history.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "weir/error.hpp"

namespace weir::cdc {
namespace {

using nlohmann::json;

std::optional<ColumnChange::Kind> kind_named(std::string_view name) {
  for (auto kind : {ColumnChange::Kind::add, ColumnChange::Kind::drop, ColumnChange::Kind::type,
                    ColumnChange::Kind::rename})
    if (to_string(kind) == name) return kind;
  return std::nullopt;
}

json shape_json(const TableShape& shape) {
  json columns = json::array();
  for (const ShapeColumn& c : shape.columns) columns.push_back(json::array({c.name, c.type, c.typmod}));
  json changes = json::array();
  for (const ColumnChange& c : shape.changes)
    changes.push_back({{"kind", to_string(c.kind)}, {"apply", c.apply}, {"column", c.column.name}, {"old_name", c.old_name}});
  return {{"from", json::array({format_lsn(shape.from.lsn), shape.from.index})},
          {"columns", std::move(columns)},
          {"left_out", shape.left_out},
          {"target_names", shape.target_names},
          {"changes", std::move(changes)},
          {"existing", shape.existing},
          {"delivered", shape.delivered}};
}

TableShape shape_of(const json& j) {
  TableShape shape;
  auto lsn = parse_lsn(j.at("from").at(0).get<std::string>());
  if (!lsn) throw std::invalid_argument("from is not an LSN");
  shape.from = {*lsn, j.at("from").at(1).get<std::uint64_t>()};
  for (const json& c : j.at("columns"))
    shape.columns.push_back({c.at(0).get<std::string>(), c.at(1).get<Oid>(), c.at(2).get<std::int32_t>()});
  shape.left_out = j.at("left_out").get<std::vector<std::string>>();
  shape.target_names = j.at("target_names").get<std::map<std::string, std::string>>();
  shape.delivered = j.value("delivered", false);
  if (j.contains("existing")) shape.existing = j.at("existing").get<std::map<std::string, std::string>>();
  for (const json& c : j.at("changes")) {
    auto kind = kind_named(c.at("kind").get<std::string>());
    if (!kind) throw std::invalid_argument("no such change kind");
    ColumnChange change{.kind = *kind, .apply = c.at("apply").get<bool>(), .column = {}, .old_name = {}, .existing = {}};
    change.column.name = c.at("column").get<std::string>();
    change.old_name = c.at("old_name").get<std::string>();
    shape.changes.push_back(std::move(change));
  }
  return shape;
}

}  // namespace

TableShape* SchemaHistory::in_effect(const std::string& table, ShapeKey at) {
  auto it = tables_.find(table);
  if (it == tables_.end()) return nullptr;
  TableShape* found = nullptr;
  for (TableShape& shape : it->second)
    if (shape.from <= at) found = &shape;
  return found;
}

TableShape& SchemaHistory::record(const std::string& table, TableShape shape) {
  std::vector<TableShape>& shapes = tables_[table];
  std::erase_if(shapes, [&](const TableShape& s) { return s.from >= shape.from; });
  return shapes.emplace_back(std::move(shape));
}

// Shapes no restart from `position` can need are forgotten: all but the last in effect there.
std::string SchemaHistory::encode(const StreamPosition& position) {
  json out = json::object();
  for (auto& [table, shapes] : tables_) {
    auto effective = std::find_if(shapes.rbegin(), shapes.rend(), [&](const TableShape& s) {
      return position.covers(s.from.lsn, s.from.index) || s.from == ShapeKey{};
    });
    if (effective == shapes.rend()) continue;
    out[table] = shape_json(*effective);
    shapes.erase(shapes.begin(), std::prev(effective.base()));
  }
  return out.dump();
}

void SchemaHistory::restore(std::string_view checkpoint) {
  json saved = json::parse(checkpoint, nullptr, false);
  if (!saved.is_object() || !saved.contains("schemas")) return;
  try {
    for (const auto& [table, shape] : saved.at("schemas").items()) {
      TableShape restored = shape_of(shape);
      restored.from = ShapeKey{};  // in effect from wherever the stream resumes
      tables_[table] = {std::move(restored)};
    }
  } catch (const std::exception& e) {
    throw Error(ErrorKind::config, fmt::format("the saved position's table shapes cannot be read ({}); run with "
                                               "--reset to start over",
                                               e.what()));
  }
}

void SchemaHistory::delivered(const Schema* schema) {
  for (auto& [table, shapes] : tables_)
    for (TableShape& shape : shapes)
      if (shape.schema.get() == schema) shape.delivered = true;
}

std::string encode_checkpoint(const StreamPosition& position, SchemaHistory& history, const Batch& batch) {
  if (!batch.empty()) history.delivered(batch.schema_ptr().get());
  std::string text = encode_position(position);
  std::string schemas = history.encode(position);
  if (schemas == "{}") return text;
  text.pop_back();  // the closing brace
  return text + R"(,"schemas":)" + schemas + "}";
}

}  // namespace weir::cdc
