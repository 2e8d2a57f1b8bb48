// PostgreSQL bulk writer. Inserts stream through one COPY … FROM STDIN per batch, in binary
// format when every column has a binary codec (binary_codec.hpp) and every value of the batch
// converts exactly, else in text format, where the server converts what weir cannot. Upserts,
// updates and deletes of large batches COPY into a stage and merge it in one statement
// (staged_merge.hpp); small ones send one statement per row in libpq pipeline mode, so a batch
// costs a round trip per 1000 rows instead of one per row.
//
// After write() throws, nothing of that batch is stored and the connection is ready for its
// next statement: inside a transaction the caller rolls back (or to a savepoint) and may
// write further batches through the same writer.
#pragma once

#include <optional>
#include <vector>

#include "db/common/column_rounding.hpp"
#include "db/common/sql_writer.hpp"
#include "db/postgres/binary_codec.hpp"
#include "db/postgres/connection.hpp"
#include "db/postgres/staged_merge.hpp"
#include "db/postgres/wire_buffer.hpp"
#include "weir/error.hpp"

namespace weir::db::postgres {

class CopyIn;

class PgBulkWriter final : public BulkWriter {
 public:
  PgBulkWriter(PgConnection& connection, const WriteSpec& spec);
  WriteCounts write(const Batch& batch) override;
  WriteCounts finish() override { return counts_; }

 private:
  // The binary codecs of the target columns, looked up with their types at the first write;
  // empty when a column has none (an enum, a domain over one, a type weir does not map).
  const std::vector<BinaryCodec>& codecs();
  bool binary_fits(const Batch& batch);
  bool staged(const Batch& batch) const;  // through the stage rather than statements
  // COPYs `batch` through `text_sql` or `binary_sql`, each row followed by its number in the
  // batch when `numbered`; returns the rows copied.
  std::uint64_t copy(const Batch& batch, const std::string& text_sql, const std::string& binary_sql,
                     const std::string& context, bool numbered);
  WriteCounts merge(const Batch& batch);
  void encode_binary_rows(const Batch& batch, CopyIn& copy, bool numbered);
  void encode_text_rows(const Batch& batch, CopyIn& copy, bool numbered);
  WriteCounts pipeline(const Batch& batch);
  // Reads the results of one Sync of pipeline(): rows [start, end) of the batch, counted into
  // `counts`; keeps the first error.
  void read_pipeline_results(PGconn* conn, std::size_t start, std::size_t end, const std::string& context,
                             WriteCounts& counts, std::optional<Error>& first_error);
  // Counts one statement's result in the pipeline: an upsert returns whether it inserted.
  void count_statement(PGresult* result, WriteCounts& counts) const;

  PgConnection* connection_;
  Tether tether_;
  WriteSpec spec_;
  WriteStatement statement_;
  std::string copy_text_sql_, copy_binary_sql_;
  std::optional<StagedMerge> stage_;
  std::optional<std::vector<BinaryCodec>> codecs_;
  // Filled with codecs_: the type of each column of spec_ (0 where the table has none) and of
  // each parameter of statement_, which say how text writes an array (Params::bind).
  std::vector<Oid> column_types_, param_types_;
  ScaleLimits scale_limits_;  // the numeric(p,s) columns, which would round (column_rounding.hpp)
  WireBuffer buffer_;
  WriteCounts counts_;
};

}  // namespace weir::db::postgres
