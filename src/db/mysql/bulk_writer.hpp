// MySQL/MariaDB bulk writer.
//
// Inserts of batches of at least kMinLoadDataRows (128) rows stream through LOAD DATA LOCAL INFILE
// fed from memory (load_data.hpp), one statement per batch. Smaller batches, inserts that
// ignore existing keys and connections with bulk_insert=insert use multi-row prepared INSERTs
// (up to 500 rows per execution); upserts the same into a stage, then merged
// (staged_upsert.hpp); updates and deletes one prepared statement executed per row.
//
// Both insert paths fail the same way: a duplicate key, a value the column cannot take, NULL
// for NOT NULL is an Error of that kind and the statement writes nothing. LOAD DATA LOCAL only
// warns about such rows (and skips or coerces them), so each one runs under a savepoint (or a
// transaction of its own in autocommit mode), its warnings are read, and any warning rolls it
// back and becomes the Error. Either way the connection stays usable: the caller may roll
// back to its own savepoint and write again with the same writer.
#pragma once

#include <optional>

#include "db/common/column_rounding.hpp"
#include "db/common/sql_writer.hpp"
#include "db/mysql/connection.hpp"
#include "db/mysql/staged_upsert.hpp"

namespace weir::db::mysql {

// Below this many rows a batch goes through INSERT: LOAD DATA costs three more round trips
// (savepoint, file request, release). Measured on MariaDB 10.11, 5 columns, batches in one
// transaction: INSERT ~2x as fast at 16-64 rows, even at 128-2048, LOAD DATA ahead beyond;
// on the benchmark's wider rows (JSON, DATETIME(6), DECIMAL) LOAD DATA is ~1.7x at 10,000.
inline constexpr std::size_t kMinLoadDataRows = 128;

class MyBulkWriter final : public BulkWriter {
 public:
  MyBulkWriter(MyConnection& connection, const WriteSpec& spec);
  WriteCounts write(const Batch& batch) override;
  WriteCounts finish() override { return counts_; }

 private:
  // Loads the whole batch with one LOAD DATA; returns the rows loaded, or nullopt when the
  // server does not allow it.
  std::optional<std::uint64_t> load(const Batch& batch);
  // Executes the statement for `rows` rows starting at `first`; returns what it did.
  WriteCounts execute_rows(const Batch& batch, std::size_t first, std::size_t rows);
  // Upserts the batch through the stage, in one statement's scope.
  WriteCounts upsert(const Batch& batch);
  // Inserts the rows of `batch` marked in `rows` into the stage, in multi-row INSERTs.
  void fill_stage(const Batch& batch, const std::vector<char>& rows);
  // What one statement for `rows` rows did, from its affected rows and the server's info.
  WriteCounts statement_result(std::size_t rows, std::uint64_t affected) const;
  // The DECIMAL columns' scales (column_rounding.hpp), from the catalog at the first write.
  const ScaleLimits& scale_limits();

  MyConnection* connection_;
  Tether tether_;
  WriteSpec spec_;
  std::optional<std::string> load_sql_;  // set while inserts go through LOAD DATA
  std::optional<StagedUpsert> stage_;    // upserts: made by the first
  bool stage_made_ = false;
  std::size_t rows_per_statement_;
  std::vector<Value> params_;
  std::optional<ScaleLimits> scale_limits_;
  WriteCounts counts_;
};

}  // namespace weir::db::mysql
