// PostgreSQL's catalog (pg_class, pg_constraint, pg_index, pg_stat_user_tables): tables with
// their kind, size and row estimate, constraints and indexes, for `weir tables` and `describe`.
#pragma once

#include "weir/db/catalog.hpp"

namespace weir::db::postgres {

class PgCatalog final : public Catalog {
 public:
  std::string server_version(Connection& connection) const override;
  std::vector<TableSummary> tables(Connection& connection, const TableFilter& filter) const override;
  TableDetails details(Connection& connection, const TableInfo& table) const override;
};

}  // namespace weir::db::postgres
