#include "db/mysql/bulk_writer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "weir/error.hpp"

namespace weir::db::mysql {
namespace {
constexpr std::size_t kMaxRowsPerStatement = 500;
constexpr std::size_t kMaxPlaceholders = 65535;
}  // namespace

MyBulkWriter::MyBulkWriter(MyConnection& connection, const WriteSpec& spec)
    : connection_(&connection), spec_(spec) {
  bool multi_row = spec.mode == WriteMode::insert || spec.mode == WriteMode::upsert;
  rows_per_statement_ =
      multi_row ? std::max<std::size_t>(1, std::min(kMaxRowsPerStatement, kMaxPlaceholders / spec.columns.size())) : 1;
  write_statement(connection.dialect(), spec_);  // validates the spec now, not at the first batch
  updates_on_conflict_ =
      spec.mode == WriteMode::upsert && std::any_of(spec.columns.begin(), spec.columns.end(), [&](const std::string& c) {
        return std::find(spec.key.begin(), spec.key.end(), c) == spec.key.end();
      });
}

void MyBulkWriter::write(const Batch& batch) {
  check_batch_width(batch, spec_);
  for (std::size_t first = 0; first < batch.rows(); first += rows_per_statement_)
    execute_rows(batch, first, std::min(rows_per_statement_, batch.rows() - first));
}

void MyBulkWriter::execute_rows(const Batch& batch, std::size_t first, std::size_t rows) {
  WriteStatement st = write_statement(connection_->dialect(), spec_, rows);
  params_.clear();
  for (std::size_t r = first; r < first + rows; ++r)
    for (std::size_t column : st.param_columns) params_.push_back(batch.at(r, column));
  try {
    std::uint64_t affected = connection_->execute(st.sql, params_);
    // ON DUPLICATE KEY UPDATE reports 1 per inserted row, 2 per updated row and 0 per row it
    // left as it was. Every row was inserted or updated: count each once, as PostgreSQL and
    // SQLite do. (Without update columns the clause is a no-op and the count is the inserts.)
    affected_ += updates_on_conflict_ ? rows : affected;
  } catch (Error& e) {
    throw e.add_context(fmt::format("writing rows {}–{} of the batch to `{}`", first + 1, first + rows,
                                    spec_.table.to_string()));
  }
}

}  // namespace weir::db::mysql
