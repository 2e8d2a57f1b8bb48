#include "query/remote_traits.hpp"

#include <array>
#include <utility>

namespace weir::query {
namespace {

const std::array<std::pair<std::string_view, DatabaseTraits>, 2> kTraits{{
    {"postgres",
     {{"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"}, "C", true, WholeStatements::derived_tables, "ILIKE", true, true}},
    {"mysql",
     {{"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"}, "", false, WholeStatements::never, "", false, true}},
}};

// SQLite (and any other): a deferred transaction whose first read fixes the snapshot.
// No byte-order collation named (a file's column may declare NOCASE: text ranges and ORDER BY
// on text are not sent), LIKE is SQLite's own.
const DatabaseTraits kDefault{{"BEGIN"}, "", false, WholeStatements::same_engine, "LIKE", false, false};

}  // namespace

const DatabaseTraits& traits_of(const db::Dialect& dialect) {
  for (const auto& [name, traits] : kTraits)
    if (name == dialect.name()) return traits;
  return kDefault;
}

}  // namespace weir::query
