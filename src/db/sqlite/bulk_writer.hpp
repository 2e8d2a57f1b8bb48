// SQLite bulk writer: prepared statements reused for every row, cells bound without copying.
// Inserts and upserts go through a multi-row VALUES statement (up to 64 rows per step): one
// statement execution keeps SQLite's table cursor open across its rows, so sequential keys
// append instead of seeking from the root for every row. Inside the caller's transaction this
// is SQLite's fastest path.
#pragma once

#include <optional>

#include "db/common/sql_writer.hpp"
#include "db/sqlite/connection.hpp"

namespace weir::db::sqlite {

class SqliteBulkWriter final : public BulkWriter {
 public:
  SqliteBulkWriter(SqliteConnection& connection, const WriteSpec& spec);
  void write(const Batch& batch) override;
  std::uint64_t finish() override { return affected_; }

 private:
  // Binds `rows` rows starting at `first` to `stmt` (built for that many rows) and steps it.
  void run(Statement& stmt, const WriteStatement& shape, const Batch& batch, std::size_t first, std::size_t rows);

  // No pointer to the connection: the statements (connection.hpp) are all the writer uses,
  // and they stay safe to destroy after the connection is gone.
  WriteSpec spec_;
  WriteStatement single_;
  Statement single_stmt_;
  std::size_t chunk_rows_ = 1;  // rows per multi-row statement; 1: none
  std::optional<WriteStatement> chunk_;
  std::optional<Statement> chunk_stmt_;
  std::uint64_t affected_ = 0;
};

}  // namespace weir::db::sqlite
