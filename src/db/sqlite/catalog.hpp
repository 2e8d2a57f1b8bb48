// SQLite's catalog (pragma_table_list, pragma_foreign_key_list, pragma_index_list, the CREATE
// statements in sqlite_schema) for `weir tables` and `describe`. SQLite keeps no row estimate
// unless ANALYZE ran (sqlite_stat1), no size per table and no modification time.
#pragma once

#include "weir/db/catalog.hpp"

namespace weir::db::sqlite {

class SqliteCatalog final : public Catalog {
 public:
  std::string server_version(Connection& connection) const override;
  std::vector<TableSummary> tables(Connection& connection, const TableFilter& filter) const override;
  TableDetails details(Connection& connection, const TableInfo& table) const override;
};

// The CHECK constraints of a CREATE TABLE statement, table and column constraints alike, in
// order: SQLite keeps them only in the statement's text.
std::vector<Constraint> check_constraints(std::string_view create_table);

}  // namespace weir::db::sqlite
