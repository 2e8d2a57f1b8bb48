#include "cdc/relation_cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cdc/schema_ddl.hpp"
#include "db/postgres/types.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

std::string qualified(const std::string& schema, const std::string& name) { return schema + "." + name; }

std::pair<std::string, std::string> split_table(const std::string& table) {
  auto dot = table.find('.');
  return {table.substr(0, dot), table.substr(dot + 1)};
}

std::vector<ShapeColumn> shape_of(const RelationMessage& relation) {
  std::vector<ShapeColumn> columns;
  for (const RelationColumn& c : relation.columns) columns.push_back({c.name, c.type, c.type_modifier});
  return columns;
}

bool same_keys(const Schema& schema, const RelationMessage& relation) {
  for (std::size_t i = 0; i < relation.columns.size(); ++i)
    if (schema[i].primary_key != relation.columns[i].key) return false;
  return true;
}

}  // namespace

void RelationCache::set_policy(SchemaPolicy policy, std::set<std::pair<std::string, std::string>> tables) {
  policy_ = std::move(policy);
  followed_ = std::move(tables);
  tracking_ = true;
}

bool RelationCache::followed(const std::string& schema, const std::string& name) const {
  return tracking_ && (followed_.empty() || followed_.contains({schema, name}));
}

Column RelationCache::column_of(const RelationColumn& c) const {
  Column column;
  column.name = c.name;
  const db::postgres::PgType* known = db::postgres::find_type(c.type);
  column.type = known ? known->type : Type::text;
  auto name = type_names_.find(c.type);
  column.native_type = name != type_names_.end() ? name->second : fmt::format("oid {}", c.type);
  column.native_type_id = c.type;
  column.primary_key = c.key;
  db::postgres::describe_modifier(c.type, c.type_modifier, column);
  return column;
}

// "numeric(10,5)", "varchar(40)", "int8": for messages.
std::string RelationCache::type_text(Oid type, std::int32_t typmod) const {
  Column c = column_of({"", type, typmod, false});
  if (c.precision > 0) return fmt::format("{}({},{})", c.native_type, c.precision, c.scale);
  if (c.length > 0) return fmt::format("{}({})", c.native_type, c.length);
  return c.native_type;
}

std::shared_ptr<const Schema> RelationCache::schema_of(const RelationMessage& relation, const TableShape* shape) const {
  std::vector<Column> columns;
  columns.reserve(relation.columns.size());
  for (const RelationColumn& c : relation.columns) columns.push_back(column_of(c));
  std::shared_ptr<ShapeChange> change;
  if (shape && (!shape->changes.empty() || !shape->left_out.empty() || !shape->target_names.empty())) {
    change = std::make_shared<ShapeChange>(ShapeChange{shape->changes, shape->left_out, shape->target_names});
    for (ColumnChange& c : change->changes) {
      if (c.kind == ColumnChange::Kind::drop) continue;
      auto now = std::ranges::find(columns, c.column.name, &Column::name);
      if (now != columns.end()) c.column = *now;
      auto value = shape->existing.find(c.column.name);
      if (c.kind == ColumnChange::Kind::add && value != shape->existing.end() && now != columns.end()) {
        c.existing.emplace();
        db::postgres::read_text(value->second, now->native_type_id, *c.existing);
      }
    }
  }
  return std::make_shared<const Schema>(std::move(columns), SourceTable{relation.schema, relation.name},
                                        std::move(change));
}

TableShape RelationCache::evolve(const std::string& table, const TableShape& before, std::vector<ShapeColumn> columns,
                                 const std::vector<ColumnDiff>& diffs, ShapeKey at,
                                 const std::map<std::string, std::string>& existing) const {
  TableShape next{.from = at, .columns = std::move(columns), .left_out = before.left_out,
                  .target_names = before.target_names, .changes = {}, .existing = {}, .delivered = false,
                  .schema = nullptr};
  if (!before.delivered) next.changes = before.changes, next.existing = before.existing;  // not yet met
  auto left_out = [&](const std::string& name) { return std::ranges::count(next.left_out, name) > 0; };
  for (const ColumnDiff& diff : diffs) {
    const std::string& name = diff.kind == ColumnChange::Kind::drop ? diff.before.name : diff.after.name;
    const std::string& old_name = diff.before.name;
    if (diff.kind != ColumnChange::Kind::add && left_out(old_name)) {  // never in the target
      if (diff.kind != ColumnChange::Kind::type) std::erase(next.left_out, old_name);
      if (diff.kind == ColumnChange::Kind::rename) next.left_out.push_back(name);
      continue;
    }
    const bool apply = decide(policy_, table, diff, at.lsn, type_text(diff.before.type, diff.before.typmod),
                              type_text(diff.after.type, diff.after.typmod));
    ColumnChange change{.kind = diff.kind, .apply = apply, .column = {}, .old_name = {}, .existing = {}};
    change.column.name = name;
    if (diff.kind == ColumnChange::Kind::rename) change.old_name = old_name;
    if (diff.kind == ColumnChange::Kind::add && !apply) next.left_out.push_back(name);
    if (diff.kind == ColumnChange::Kind::add && apply) {
      if (existing.contains(name)) next.existing[name] = existing.at(name);
      else if (existing_lookup_) {
        auto [schema, relation] = split_table(table);
        if (auto value = existing_lookup_(schema, relation, name)) next.existing[name] = *value;
      }
    }
    if (diff.kind == ColumnChange::Kind::drop) next.target_names.erase(name);
    if (diff.kind == ColumnChange::Kind::rename) {
      auto known_as = next.target_names.find(old_name);
      std::string target = known_as != next.target_names.end() ? known_as->second : old_name;
      if (known_as != next.target_names.end()) next.target_names.erase(known_as);
      if (!apply) next.target_names[name] = target;
      else if (target != old_name) change.old_name = target;  // the target still has the older name
    }
    next.changes.push_back(std::move(change));
  }
  return next;
}

const KnownRelation& RelationCache::add(const RelationMessage& relation, ShapeKey at) {
  std::shared_ptr<const Schema> schema;
  if (!followed(relation.schema, relation.name)) {  // the shape as it comes: one repeated keeps its Schema
    auto it = relations_.find(relation.id);
    if (it != relations_.end() && it->second.relation.schema == relation.schema &&
        it->second.relation.name == relation.name && it->second.relation.columns == relation.columns) {
      it->second.relation.replica_identity = relation.replica_identity;
      return it->second;
    }
    schema = schema_of(relation, nullptr);
  } else {
    const std::string table = qualified(relation.schema, relation.name);
    std::vector<ShapeColumn> columns = shape_of(relation);
    TableShape* effective = history_.in_effect(table, at);
    if (!effective) {
      effective = &history_.record(table, TableShape{.from = at, .columns = std::move(columns)});
    } else if (effective->columns != columns) {
      std::vector<ColumnDiff> diffs = diff_by_name(effective->columns, columns);
      effective = &history_.record(table, evolve(table, *effective, std::move(columns), diffs, at));
      effective->schema = schema_of(relation, effective);
      new_shapes_.push_back(effective->schema);
    }
    if (!effective->schema || !same_keys(*effective->schema, relation)) effective->schema = schema_of(relation, effective);
    schema = effective->schema;
  }
  auto it = relations_.find(relation.id);
  if (it != relations_.end() && it->second.schema == schema) {
    it->second.relation = relation;
    return it->second;
  }
  return relations_.insert_or_assign(relation.id, KnownRelation{relation, std::move(schema)}).first->second;
}

void RelationCache::add(const LogicalMessage& message, ShapeKey at) {
  std::optional<DdlEvent> event = read_ddl_message(message);
  if (!event || !followed(event->schema, event->name)) return;
  const std::string table = qualified(event->schema, event->name);
  if (!event->shape) {  // sql_drop: the columns its statement dropped, before its shape
    std::ranges::copy(event->dropped, std::back_inserter(dropped_[table]));
    return;
  }
  std::vector<std::string> dropped = std::move(dropped_[table]);
  dropped_.erase(table);
  TableShape* effective = history_.in_effect(table, at);
  if (!effective) {
    history_.record(table, TableShape{.from = at, .columns = std::move(*event->shape)});
  } else if (effective->columns != *event->shape || !dropped.empty()) {
    std::vector<ColumnDiff> diffs = diff_statement(effective->columns, dropped, *event->shape);
    if (diffs.empty()) return;
    RelationMessage relation = relation_in(event->schema, event->name, *event->shape, *effective);
    TableShape& recorded =
        history_.record(table, evolve(table, *effective, std::move(*event->shape), diffs, at, event->existing));
    recorded.schema = schema_of(relation, &recorded);
    new_shapes_.push_back(recorded.schema);
  }
}

RelationMessage RelationCache::relation_in(const std::string& schema, const std::string& name,
                                           const std::vector<ShapeColumn>& columns, const TableShape& before) const {
  RelationMessage relation{.id = 0, .schema = schema, .name = name, .replica_identity = 'd', .columns = {}};
  const RelationMessage* sent = nullptr;
  for (const auto& [id, known] : relations_)
    if (known.relation.schema == schema && known.relation.name == name) sent = &known.relation;
  if (sent) relation.id = sent->id, relation.replica_identity = sent->replica_identity;
  for (const ShapeColumn& c : columns) {
    bool key = false;
    if (sent) {
      auto it = std::ranges::find(sent->columns, c.name, &RelationColumn::name);
      key = it != sent->columns.end() && it->key;
    } else if (before.schema) {
      auto at = before.schema->find(c.name);
      key = at && (*before.schema)[*at].primary_key;
    }
    relation.columns.push_back({c.name, c.type, c.typmod, key});
  }
  return relation;
}

const KnownRelation& RelationCache::at(std::uint32_t id) const {
  auto it = relations_.find(id);
  if (it == relations_.end())
    throw Error(ErrorKind::data, fmt::format("pgoutput: a change of relation {} before the Relation message "
                                             "describing it",
                                             id));
  return it->second;
}

}  // namespace weir::cdc
