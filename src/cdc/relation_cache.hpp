// The tables a pgoutput stream has described so far (Relation messages) and the names of their
// column types, each table with the weir Schema its changes are batched in.
//
// A Relation message comes before a table's first change on each connection and again when
// its shape changed. One that repeats the shape already known (a reconnect, a new session)
// keeps the Schema object, so outputs do not take it for a change of shape.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "cdc/pgoutput_decoder.hpp"
#include "weir/schema.hpp"

namespace weir::cdc {

struct KnownRelation {
  RelationMessage relation;
  std::shared_ptr<const Schema> schema;
};

class RelationCache {
 public:
  // The server's type names by OID (pg_type.typname), for what Relation messages name by OID.
  void set_type_names(std::unordered_map<Oid, std::string> names) { type_names_ = std::move(names); }
  void add(const TypeMessage& type) { type_names_[type.oid] = type.name; }
  const KnownRelation& add(const RelationMessage& relation);
  // The relation a change names; throws Error{data} when no Relation message described it.
  const KnownRelation& at(std::uint32_t id) const;

 private:
  std::shared_ptr<const Schema> schema_of(const RelationMessage& relation) const;

  std::unordered_map<Oid, std::string> type_names_;
  std::unordered_map<std::uint32_t, KnownRelation> relations_;
};

}  // namespace weir::cdc
