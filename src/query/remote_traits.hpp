// What weir query needs of a remote database beyond its Dialect: how to open one snapshot for a
// statement, and whether text can be compared in byte order. One table, by dialect name, here
// rather than in db::Dialect for now (a follow-up moves these two into the Dialect; changing
// that header rebuilds every driver).
#pragma once

#include <string_view>
#include <vector>

#include "query/pushdown.hpp"
#include "weir/db/dialect.hpp"

namespace weir::query {

struct DatabaseTraits {
  // Statements run in order by execute_script that open a read-only transaction in which every
  // query sees one snapshot (PostgreSQL and MySQL: REPEATABLE READ); ended by ROLLBACK.
  std::vector<std::string_view> snapshot_begin;
  // A collation ordering text by its bytes (UTF-8: by code point) as SQLite's BINARY does; ""
  // where there is none that keeps the column's index usable.
  std::string_view byte_order_collation;
};

const DatabaseTraits& traits_of(const db::Dialect& dialect);

inline RemoteTraits remote_traits(const db::Dialect& dialect) {
  return {.byte_order_text = !traits_of(dialect).byte_order_collation.empty()};
}

}  // namespace weir::query
