#include "db/sqlite/dialect.hpp"

#include "db/sqlite/types.hpp"

namespace weir::db::sqlite {

// Numbered so a statement may bind one parameter twice (UPDATE … WHERE).
std::string SqliteDialect::placeholder(std::size_t index) const { return "?" + std::to_string(index); }

std::string SqliteDialect::column_type(const Column& column) const { return declared_type(column); }

}  // namespace weir::db::sqlite
