// PostgreSQL cursor over COPY (query) TO STDOUT (FORMAT binary).
//
// Single-row mode costs a PGresult per row and parses every value from text; a COPY stream is
// one message per row, decoded from the binary form (copy_out.hpp reads the stream,
// binary_codec.hpp the values). COPY takes no bind parameters, so the connection uses this
// cursor only for parameterless SELECT / WITH / VALUES / TABLE queries whose columns all have
// a binary codec; their schema comes from describing the prepared statement, as COPY's
// stream carries no column names or types. Values read this way equal the text path's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/copy_out.hpp"
#include "db/postgres/cursor.hpp"

namespace weir::db::postgres {

class PgCopyCursor final : public PgStreamingCursor {
 public:
  // Starts `copy_sql` (a COPY … TO STDOUT (FORMAT binary)); throws the server's error if it
  // refuses. `codecs` has one entry per column of `schema`.
  PgCopyCursor(PgConnection& connection, const std::string& copy_sql, std::shared_ptr<const Schema> schema,
               std::vector<BinaryCodec> codecs);
  ~PgCopyCursor() override;

  const std::shared_ptr<const Schema>& schema() const noexcept override { return schema_; }
  bool next(Batch& out, std::size_t max_rows) override;
  void close() noexcept override;

 private:
  // After PQgetCopyData returned `status` (-1 end, -2 failure): reads the COPY's result and
  // throws its error, if any.
  void end(int status);

  std::shared_ptr<const Schema> schema_;
  std::vector<BinaryCodec> codecs_;
  BinaryCopyReader reader_;
};

}  // namespace weir::db::postgres
