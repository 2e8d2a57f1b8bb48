// The tables a pgoutput stream has described so far (Relation messages) and the names of their
// column types, each table with the weir Schema its changes are batched in.
//
// A Relation message comes before a table's first change on each connection and again when
// its shape changed. Each is compared with the table's shape in effect where it comes in the
// stream (SchemaHistory, saved with the checkpoint): one that repeats it (a reconnect, a
// restart, old WAL replayed) keeps the Schema object, so outputs do not take it for a change
// of shape; one that differs is a schema change, which the policy (schema_policy.hpp) applies,
// ignores or stops at, and whose Schema carries what changed (Schema::change()). DDL capture's
// messages ("weir.ddl", schema_ddl.hpp) bring each DDL statement's shape in the same way.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cdc/pgoutput_decoder.hpp"
#include "cdc/schema_history.hpp"
#include "cdc/schema_policy.hpp"
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
  // The schema-change policy, and the tables ((schema, name); empty: all) it is kept for.
  // Until it is set no shapes are kept: each Relation message is taken as it comes.
  void set_policy(SchemaPolicy policy, std::set<std::pair<std::string, std::string>> tables);
  // Asks the source what the rows already there hold in a column added (schema, table,
  // column), where DDL capture did not say (schema_ddl.hpp's existing_value()).
  using ExistingLookup = std::function<std::optional<std::string>(const std::string&, const std::string&,
                                                                  const std::string&)>;
  void set_existing_lookup(ExistingLookup lookup) { existing_lookup_ = std::move(lookup); }
  // The shapes saved with `checkpoint` (SchemaHistory::restore).
  void restore(std::string_view checkpoint) { history_.restore(checkpoint); }

  // A Relation message met where the change at `at` is next. Throws Error{config} when it
  // changes the table's shape in a way the policy stops at.
  const KnownRelation& add(const RelationMessage& relation, ShapeKey at = {});
  // A message of pg_logical_emit_message(): DDL capture's ("weir.ddl") are taken in, the
  // rest passed over.
  void add(const LogicalMessage& message, ShapeKey at);
  // The relation a change names; throws Error{data} when no Relation message described it.
  const KnownRelation& at(std::uint32_t id) const;
  SchemaHistory& history() noexcept { return history_; }
  // The shapes recorded since the last call that differ from the one before them (a Relation
  // message or DDL capture's), as the Schema their changes are batched in: what an output
  // alters its target for, to pass on even when no change of the table follows.
  std::vector<std::shared_ptr<const Schema>> take_new_shapes() { return std::exchange(new_shapes_, {}); }

 private:
  bool followed(const std::string& schema, const std::string& name) const;
  Column column_of(const RelationColumn& c) const;
  std::string type_text(Oid type, std::int32_t typmod) const;
  std::shared_ptr<const Schema> schema_of(const RelationMessage& relation, const TableShape* shape) const;
  // The Relation message pgoutput will send for `table` in `columns`' shape: its key as the
  // last message (or else the last shape's Schema) named it.
  RelationMessage relation_in(const std::string& schema, const std::string& name,
                              const std::vector<ShapeColumn>& columns, const TableShape& before) const;
  // The shape after `before` that `columns` describe, the policy applied to each difference.
  TableShape evolve(const std::string& table, const TableShape& before, std::vector<ShapeColumn> columns,
                    const std::vector<ColumnDiff>& diffs, ShapeKey at,
                    const std::map<std::string, std::string>& existing = {}) const;

  std::unordered_map<Oid, std::string> type_names_;
  std::unordered_map<std::uint32_t, KnownRelation> relations_;
  SchemaPolicy policy_;
  std::set<std::pair<std::string, std::string>> followed_;
  bool tracking_ = false;  // set_policy() was called
  ExistingLookup existing_lookup_;
  SchemaHistory history_;
  std::map<std::string, std::vector<std::string>> dropped_;  // by DDL capture, until its statement's shape
  std::vector<std::shared_ptr<const Schema>> new_shapes_;
};

}  // namespace weir::cdc
