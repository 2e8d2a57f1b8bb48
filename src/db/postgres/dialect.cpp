#include "db/postgres/dialect.hpp"

#include "db/postgres/types.hpp"

namespace weir::db::postgres {

std::string PgDialect::column_type(const Column& column) const { return postgres::column_type(column); }

}  // namespace weir::db::postgres
