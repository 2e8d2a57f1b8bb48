// What weir query needs of a remote database beyond its Dialect: how to open one snapshot for a
// statement, and whether text can be compared in byte order. One table, by dialect name, here
// rather than in db::Dialect for now (a follow-up moves these two into the Dialect; changing
// that header rebuilds every driver).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "query/pushdown.hpp"
#include "weir/db/dialect.hpp"

namespace weir::query {

// How a statement whose tables all live on the database may run there whole (whole_statement.hpp).
enum class WholeStatements : std::uint8_t {
  never,         // its text comparisons follow collations SQLite cannot match (MySQL)
  same_engine,   // it is SQLite: as written, when the virtual tables would pass every value unchanged
  derived_tables,  // through derived tables comparing as SQLite does, for what means the same (PostgreSQL)
};

struct DatabaseTraits {
  // Statements run in order by execute_script that open a read-only transaction in which every
  // query sees one snapshot (PostgreSQL and MySQL: REPEATABLE READ); ended by ROLLBACK.
  std::vector<std::string_view> snapshot_begin;
  // A collation ordering text by its bytes (UTF-8: by code point) as SQLite's BINARY does; ""
  // where there is none that keeps the column's index usable.
  std::string_view byte_order_collation;
  // A list of values can be bound as one array parameter (`col = ANY($1)`): one statement text
  // for every list length, prepared once.
  bool array_parameter = false;
  WholeStatements whole = WholeStatements::never;
  // How a LIKE finding every row SQLite's LIKE finds is written ("" where there is none).
  std::string_view like_operator;
  // ORDER BY must say NULLS FIRST / LAST to place NULLs as SQLite does (PostgreSQL sorts them
  // last ascending).
  bool nulls_placement = false;
  bool typed_order = false;  // values ordered by type, not by what text or number was written
};

const DatabaseTraits& traits_of(const db::Dialect& dialect);

inline RemoteTraits remote_traits(const db::Dialect& dialect) {
  const DatabaseTraits& t = traits_of(dialect);
  return {.byte_order_text = !t.byte_order_collation.empty(), .like = !t.like_operator.empty(), .typed_order = t.typed_order};
}

}  // namespace weir::query
