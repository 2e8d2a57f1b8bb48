// sql_apply's side of a change stream's schema changes (Schema::change(), weir/schema.hpp):
// the target table altered for each change the policy applied — a column added (and, where the
// source said, filled with the value its rows already there took), dropped, retyped with the
// dialect's exact type (Dialect::column_type) or renamed. SQLite, which cannot change a
// column's type or drop a key or indexed column in place, has the table rebuilt: a copy with
// the new columns, its rows, its indexes, under the old name.
//
// Each step looks at the target first and does nothing when it is already so: a batch written
// again after a failure, or a restart that meets the change again, alters nothing twice.
#pragma once

#include <string>

#include "weir/db/connection.hpp"
#include "weir/schema.hpp"

namespace weir::modules {

// Alters `table` on `connection` for what `change` applies; `where` names the table in
// messages. Returns whether anything was altered.
bool alter_target(db::Connection& connection, const db::TableRef& table, const ShapeChange& change,
                  const std::string& where);

}  // namespace weir::modules
