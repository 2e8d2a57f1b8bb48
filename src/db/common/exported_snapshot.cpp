#include "db/common/exported_snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/common/catalog_rows.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

constexpr std::string_view kReadOnlySnapshot = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

}  // namespace

bool plain_snapshot_name(std::string_view name) {
  return !name.empty() && name.size() < 64 && std::ranges::all_of(name, [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') || c == '-';
  });
}

std::string export_snapshot(Connection& connection) {
  connection.begin();
  connection.execute_script(kReadOnlySnapshot);
  auto rows = fetch_rows(connection, "SELECT pg_export_snapshot()", {});
  if (rows.empty() || rows.front().empty())
    throw Error(ErrorKind::internal, "pg_export_snapshot() returned no row");
  return rows.front()[0].to_text();
}

void import_snapshot(Connection& connection, std::string_view name) {
  if (!plain_snapshot_name(name))
    throw Error(ErrorKind::connection, fmt::format("the server exported a snapshot named `{}`, which is not a "
                                                   "snapshot name",
                                                   name.substr(0, 80)));
  connection.begin();
  connection.execute_script(kReadOnlySnapshot);
  connection.execute_script(fmt::format("SET TRANSACTION SNAPSHOT '{}'", name));
}

}  // namespace weir::db
