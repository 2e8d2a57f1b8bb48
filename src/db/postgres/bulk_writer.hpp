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
  void write(const Batch& batch) override;
  std::uint64_t finish() override { return affected_; }

 private:
  // The binary codecs of the target columns, looked up at the first insert; empty when a
  // column has none (an enum, a domain over one, a type weir does not map).
  const std::vector<BinaryCodec>& codecs();
  bool binary_fits(const Batch& batch);
  bool staged(const Batch& batch) const;  // through the stage rather than statements
  // COPYs `batch` through `text_sql` or `binary_sql`, each row followed by its number in the
  // batch when `numbered`; returns the rows copied.
  std::uint64_t copy(const Batch& batch, const std::string& text_sql, const std::string& binary_sql,
                     const std::string& context, bool numbered);
  void merge(const Batch& batch);
  void encode_binary_rows(const Batch& batch, CopyIn& copy, bool numbered);
  void encode_text_rows(const Batch& batch, CopyIn& copy, bool numbered);
  void pipeline(const Batch& batch);
  // Reads the results of one Sync of pipeline(): rows [start, end) of the batch; keeps the first error.
  void read_pipeline_results(PGconn* conn, std::size_t start, std::size_t end, const std::string& context,
                             std::optional<Error>& first_error);

  PgConnection* connection_;
  Tether tether_;
  WriteSpec spec_;
  WriteStatement statement_;
  std::string copy_text_sql_, copy_binary_sql_;
  std::optional<StagedMerge> stage_;
  std::optional<std::vector<BinaryCodec>> codecs_;
  WireBuffer buffer_;
  std::uint64_t affected_ = 0;
};

}  // namespace weir::db::postgres
