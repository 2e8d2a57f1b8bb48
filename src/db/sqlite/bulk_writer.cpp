#include "db/sqlite/bulk_writer.hpp"

#include <fmt/format.h>

#include "db/sqlite/errors.hpp"
#include "db/sqlite/types.hpp"
#include "weir/error.hpp"

namespace weir::db::sqlite {

SqliteBulkWriter::SqliteBulkWriter(SqliteConnection& connection, const WriteSpec& spec)
    : connection_(&connection),
      spec_(spec),
      statement_(write_statement(connection.dialect(), spec)),
      stmt_(connection.prepare(statement_.sql)) {}

void SqliteBulkWriter::write(const Batch& batch) {
  if (batch.width() != spec_.columns.size())
    throw Error(ErrorKind::internal,
                fmt::format("batch has {} columns, writer for `{}` expects {}", batch.width(),
                            spec_.table.to_string(), spec_.columns.size()));
  sqlite3_stmt* s = stmt_.get();
  sqlite3* db = connection_->handle();
  const auto& params = statement_.param_columns;
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    std::span<const Value> row = batch.row(r);
    for (std::size_t p = 0; p < params.size(); ++p)
      bind_value(s, static_cast<int>(p + 1), row[params[p]], true);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
      throw_error(db, rc, fmt::format("writing row {} of the batch to `{}`", r + 1, spec_.table.to_string()));
    }
    affected_ += static_cast<std::uint64_t>(sqlite3_changes(db));
    sqlite3_reset(s);
  }
}

}  // namespace weir::db::sqlite
