#include "query/remote_traits.hpp"

#include <array>
#include <utility>

namespace weir::query {
namespace {

const std::array<std::pair<std::string_view, DatabaseTraits>, 2> kTraits{{
    {"postgres", {{"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"}, "C"}},
    {"mysql",
     {{"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"}, ""}},
}};

// SQLite (and any other): a deferred transaction whose first read fixes the snapshot.
const DatabaseTraits kDefault{{"BEGIN"}, ""};

}  // namespace

const DatabaseTraits& traits_of(const db::Dialect& dialect) {
  for (const auto& [name, traits] : kTraits)
    if (name == dialect.name()) return traits;
  return kDefault;
}

}  // namespace weir::query
