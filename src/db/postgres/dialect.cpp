#include "db/postgres/dialect.hpp"

#include "db/postgres/types.hpp"

namespace weir::db::postgres {

std::string PgDialect::column_type(Type type) const { return std::string(postgres::column_type(type)); }

}  // namespace weir::db::postgres
