// What a change stream does when a captured table changes shape: postgres_cdc's
// `schema_changes: { add_column, drop_column, type_change, rename }`, each `apply` (the output
// alters its target to match), `ignore` (the target is left as it is) or `stop` (the run ends
// with one line naming the table, the column and the fix, nothing after the change written).
//
// How two shapes differ is read by column name and type, never by position: without DDL
// capture a column dropped and another added are a drop and an add, never taken for a
// rename. With DDL capture (`weir cdc install-ddl-capture`) each DDL statement's shape comes
// in order, with the columns it dropped, and a statement that renamed one column is told
// from the rest by what one statement can do.
#pragma once

#include <string>
#include <vector>

#include "cdc/schema_history.hpp"
#include "core/config_spec.hpp"

namespace weir::cdc {

enum class SchemaAction { apply, ignore, stop, widen };

struct SchemaPolicy {
  SchemaAction add_column = SchemaAction::apply;
  SchemaAction drop_column = SchemaAction::stop;
  SchemaAction type_change = SchemaAction::widen;  // widenings applied, any other type change stops
  SchemaAction rename = SchemaAction::stop;
  std::string path;  // the option's YAML path, for messages
};

const config::Field& schema_changes_field();
SchemaPolicy read_schema_policy(const config::Section& input);

// One column's difference between two shapes (ColumnChange::apply not yet decided).
struct ColumnDiff {
  ColumnChange::Kind kind;
  ShapeColumn before;  // drop, type, rename: the column as it was
  ShapeColumn after;   // add, type, rename: as it is
};

// By name: a column only before is dropped, only after is added, in both with another type
// or modifier changed type.
std::vector<ColumnDiff> diff_by_name(const std::vector<ShapeColumn>& before, const std::vector<ShapeColumn>& after);
// One DDL statement's effect, from DDL capture: `dropped` the columns it dropped. What
// remains keeps its order (PostgreSQL appends added columns): a column at the same place
// with another name was renamed (RENAME COLUMN is a statement of its own).
std::vector<ColumnDiff> diff_statement(const std::vector<ShapeColumn>& before, const std::vector<std::string>& dropped,
                                       const std::vector<ShapeColumn>& after);

// Whether every value of `from` fits `to` exactly (int4 → int8, numeric(5,3) → numeric(10,5),
// varchar(10) → varchar(20) or text, float4 → float8, …).
bool widens(const ShapeColumn& from, const ShapeColumn& to);

// Whether `diff` is applied (true) or ignored (false) under `policy`; throws Error{config}
// naming `table`, the column and the fix when the policy says stop.
bool decide(const SchemaPolicy& policy, const std::string& table, const ColumnDiff& diff, Lsn at,
            const std::string& type_before, const std::string& type_after);

}  // namespace weir::cdc
