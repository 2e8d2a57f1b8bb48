#include "cdc/relation_cache.hpp"

#include <fmt/format.h>

#include "db/postgres/types.hpp"
#include "weir/error.hpp"

namespace weir::cdc {

std::shared_ptr<const Schema> RelationCache::schema_of(const RelationMessage& relation) const {
  std::vector<Column> columns;
  columns.reserve(relation.columns.size());
  for (const RelationColumn& c : relation.columns) {
    Column column;
    column.name = c.name;
    const db::postgres::PgType* known = db::postgres::find_type(c.type);
    column.type = known ? known->type : Type::text;
    auto name = type_names_.find(c.type);
    column.native_type = name != type_names_.end() ? name->second : fmt::format("oid {}", c.type);
    column.native_type_id = c.type;
    column.primary_key = c.key;
    db::postgres::describe_modifier(c.type, c.type_modifier, column);
    columns.push_back(std::move(column));
  }
  return std::make_shared<const Schema>(std::move(columns), SourceTable{relation.schema, relation.name});
}

const KnownRelation& RelationCache::add(const RelationMessage& relation) {
  auto it = relations_.find(relation.id);
  if (it != relations_.end() && it->second.relation.schema == relation.schema &&
      it->second.relation.name == relation.name && it->second.relation.columns == relation.columns) {
    it->second.relation.replica_identity = relation.replica_identity;
    return it->second;
  }
  KnownRelation known{relation, schema_of(relation)};
  return relations_.insert_or_assign(relation.id, std::move(known)).first->second;
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
