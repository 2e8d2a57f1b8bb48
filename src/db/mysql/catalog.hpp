// MySQL/MariaDB's catalog (information_schema): tables with their kind, size, row estimate and
// UPDATE_TIME, constraints and indexes, for `weir tables` and `describe`. A schema is a database.
#pragma once

#include "weir/db/catalog.hpp"

namespace weir::db::mysql {

class MyCatalog final : public Catalog {
 public:
  std::string server_version(Connection& connection) const override;
  std::vector<TableSummary> tables(Connection& connection, const TableFilter& filter) const override;
  TableDetails details(Connection& connection, const TableInfo& table) const override;
};

}  // namespace weir::db::mysql
