// Which column made the target refuse a row, where the database's message does not say:
// PostgreSQL's "value too long for type character varying(5)", "numeric field overflow" and
// "integer out of range" name no column (MariaDB's and SQLite's do). The row's values are
// checked against the limits the catalog gives each target column (Column::length, precision
// and scale, bits, nullable): the first value its column cannot hold is named. A CHECK names
// only itself (PostgreSQL, MariaDB, SQLite's named ones): the columns its condition reads are.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/db/catalog.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::modules {

struct Refusal {
  std::string column;
  std::string why;  // "column `note` (character varying(5)) cannot hold a text of 6 characters"
};
// The first value its column cannot hold; nullopt when every value fits what the catalog says
// of its column. `names[i]` is the target column `values[i]` goes to (an empty name: a value
// not written); `table` the target's columns as described.
std::optional<Refusal> refused_column(std::span<const Column> table, std::span<const std::string> names,
                                      std::span<const Value> values);

// For a CHECK the target refused: the check the message names (by its name), and the written
// columns its condition reads, with their values: "check `n_range` (n < 100) refuses column `n`
// = 123.45".
std::optional<Refusal> refused_check(std::string_view message, std::span<const db::Constraint> checks,
                                     std::span<const std::string> names, std::span<const Value> values);

// The CHECK constraints of `table` (described through `connection`, of `config`), read once
// when a target is bound; empty when the catalog cannot tell.
std::vector<db::Constraint> checks_of(db::Connection& connection, const db::ConnectionConfig& config,
                                      const db::TableInfo& table);

// Adds to `e` (a row the target refused: one row written, `values` in the target columns
// `names`) which column refused it, when its message names none: a CHECK by the columns its
// condition reads, any other refusal by the limits of `table`'s columns.
void name_refused_column(Error& e, std::span<const Column> table, std::span<const db::Constraint> checks,
                         std::span<const std::string> names, std::span<const Value> values);

// Whether `message` names column `name` (quoted, or after a table name and a dot).
bool names_column(std::string_view message, std::string_view name);

}  // namespace weir::modules
