// SQLite bulk writer: prepared statements reused for every row, cells bound without copying.
// Inserts read the whole batch in one statement from the batch table (batch_table.hpp); upserts
// go through a multi-row VALUES statement (up to 64 rows per step). One statement execution
// keeps SQLite's table cursor open across its rows, so sequential keys append instead of
// seeking from the root for every row. Inside the caller's transaction this is SQLite's
// fastest path. changes() counts an upsert's inserted and updated rows alike: an upsert that
// may update counts the rows whose key was there in its DO UPDATE condition
// (weir_conflict(), connection.hpp) to tell them apart.
#pragma once

#include <optional>
#include <vector>

#include "db/common/column_rounding.hpp"
#include "db/common/sql_writer.hpp"
#include "db/sqlite/connection.hpp"

namespace weir::db::sqlite {

class SqliteBulkWriter final : public BulkWriter {
 public:
  SqliteBulkWriter(SqliteConnection& connection, const WriteSpec& spec);
  WriteCounts write(const Batch& batch) override;
  WriteCounts finish() override { return counts_; }

 private:
  // Binds `rows` rows starting at `first` to `stmt` (built for that many rows), steps it and
  // counts its changes into `counts`.
  void run(Statement& stmt, const WriteStatement& shape, const Batch& batch, std::size_t first, std::size_t rows,
           WriteCounts& counts);
  // Steps `s`, bound to rows `first`… of the batch, and counts its changes.
  void step(sqlite3_stmt* s, std::size_t first, std::size_t rows, WriteCounts& counts);

  // No pointer to the connection: the statements (connection.hpp) are all the writer uses,
  // and they stay safe to destroy after the connection is gone.
  WriteSpec spec_;
  bool updates_on_conflict_;  // an upsert with columns besides the key
  // Such an upsert's count of conflicts, the connection's (conflict_counter()); else null.
  std::shared_ptr<std::uint64_t> conflicts_;
  WriteStatement single_;
  Statement single_stmt_;
  std::size_t chunk_rows_ = 1;  // rows per multi-row statement; 1: none
  std::optional<WriteStatement> chunk_;
  std::optional<Statement> chunk_stmt_;
  std::optional<Statement> rows_stmt_;  // inserts: the batch table's INSERT … SELECT
  // The declared scales of its decimal columns: SQLite would keep more (column_rounding.hpp).
  ScaleLimits scale_limits_;
  // Per column: a decimal one with NUMERIC affinity, which turns long decimals into REALs.
  std::vector<bool> numeric_affinity_;
  // Throws Error{data} for a decimal of `batch` that NUMERIC affinity would store as another number.
  void check_numeric_affinity(const Batch& batch) const;
  WriteCounts counts_;
};

}  // namespace weir::db::sqlite
