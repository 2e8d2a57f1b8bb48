#include "sync/indexes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace weir::sync {
namespace {

bool is_column(const TablePlan& plan, const std::string& name) {
  return std::any_of(plan.source.columns.begin(), plan.source.columns.end(),
                     [&](const Column& c) { return c.name == name; });
}

// The source's own name where the target table has the source's name (index names are per
// schema in PostgreSQL, per table in MySQL); else the target table's name before it, so that a
// copy beside the original in one schema does not collide with the original's indexes. SQLite
// names its constraints' indexes sqlite_autoindex_…, a prefix it keeps for itself.
std::string index_name(const std::string& source_name, const std::vector<std::string>& columns, bool unique,
                       const TablePlan& plan) {
  std::string name = source_name;
  if (name.empty() || name.starts_with("sqlite_")) {
    name = plan.target.name;
    for (const std::string& c : columns) name += "_" + c;
    return name + (unique ? "_key" : "_idx");
  }
  if (plan.target.name != plan.source.ref.name) name = plan.target.name + "_" + name;
  return name;
}

std::string create_index(const db::Dialect& d, const std::string& name, const std::vector<std::string>& columns,
                         bool unique, const TablePlan& plan) {
  return fmt::format("CREATE {}INDEX IF NOT EXISTS {} ON {} ({})", unique ? "UNIQUE " : "", d.quote_identifier(name),
                     d.quote_table(plan.target), d.quote_identifiers(columns));
}

}  // namespace

IndexPlan plan_indexes(const db::TableDetails& details, const TablePlan& plan, const db::Dialect& target) {
  IndexPlan out;
  std::set<std::vector<std::string>> unique_built;
  for (const db::Index& index : details.indexes) {
    if (index.primary || (index.unique && index.columns == plan.key)) continue;
    if (!index.predicate.empty()) {
      out.left_out.push_back(fmt::format("`{}` (partial: WHERE {})", index.name, index.predicate));
      continue;
    }
    auto expression = std::find_if(index.columns.begin(), index.columns.end(),
                                   [&](const std::string& c) { return !is_column(plan, c); });
    if (expression != index.columns.end()) {
      out.left_out.push_back(fmt::format("`{}` (on the expression {})", index.name, *expression));
      continue;
    }
    if (index.unique) unique_built.insert(index.columns);
    out.statements.push_back(create_index(target, index_name(index.name, index.columns, index.unique, plan),
                                          index.columns, index.unique, plan));
  }
  for (const db::Constraint& unique : details.unique_constraints) {
    if (unique.columns == plan.key || !unique_built.insert(unique.columns).second) continue;
    out.statements.push_back(
        create_index(target, index_name(unique.name, unique.columns, true, plan), unique.columns, true, plan));
  }
  return out;
}

}  // namespace weir::sync
