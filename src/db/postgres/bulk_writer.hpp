// PostgreSQL bulk writer. Inserts stream through COPY … FROM STDIN (text format), one COPY
// per batch; upserts, updates and deletes send one prepared statement per row in libpq
// pipeline mode, so a batch costs a round trip per 1000 rows instead of one per row.
#pragma once

#include "db/common/sql_writer.hpp"
#include "db/postgres/connection.hpp"

namespace weir::db::postgres {

class PgBulkWriter final : public BulkWriter {
 public:
  PgBulkWriter(PgConnection& connection, const WriteSpec& spec);
  void write(const Batch& batch) override;
  std::uint64_t finish() override { return affected_; }

 private:
  void copy(const Batch& batch);
  void pipeline(const Batch& batch);
  void send_copy_data(bool force);

  PgConnection* connection_;
  WriteSpec spec_;
  WriteStatement statement_;
  std::string copy_sql_;
  std::string buffer_;
  std::uint64_t affected_ = 0;
};

}  // namespace weir::db::postgres
