// PostgreSQL streaming cursors. While one is open the connection runs nothing else; the
// connection closes it (discarding the rest) before its next statement.
//
//   PgCursor      libpq single-row mode, or the whole result for a page (query_page): any
//                 statement, any parameters. The rows of a prepared statement whose columns
//                 all have a binary codec come in binary format (as COPY's: no text formatted
//                 or parsed), others in text format.
//   PgCopyCursor  COPY (query) TO STDOUT (FORMAT binary) (copy_cursor.hpp): parameterless
//                 queries whose columns all have a binary codec, without a result per row.
#pragma once

#include <vector>

#include "db/common/cut_off_cursor.hpp"
#include "db/postgres/binary_codec.hpp"
#include "db/postgres/connection.hpp"

namespace weir::db::postgres {

// The keys of `described`'s columns, from one catalog query on `connection`. Only when every
// column with a table comes from the same one, and the primary key only when the result holds
// all of it: a join's outer side may be NULL whatever its column says, and part of a key need
// not be unique. Empty when nothing is known.
SourceKeys lookup_source_keys(PgConnection& connection, const PGresult* described);

// The schema of a result's columns (names, weir types, type names, `keys` where given), and
// their type OIDs.
std::shared_ptr<const Schema> result_schema(const PGresult* result, std::vector<Oid>& oids,
                                            const SourceKeys& keys = {});

class PgCursor final : public PgStreamingCursor {
 public:
  // `first` is the statement's first result (PQgetResult after sending it); `keys` those of its
  // columns (lookup_source_keys); `codecs`, one per column, when the rows come in binary form.
  PgCursor(PgConnection& connection, ResultHandle first, SourceKeys keys = {}, std::vector<BinaryCodec> codecs = {});
  ~PgCursor() override;

  const std::shared_ptr<const Schema>& schema() const noexcept override;
  bool next(Batch& out, std::size_t max_rows) override;
  void close() noexcept override;

 private:
  // Fetches the next result; sets done_ at the end of the statement.
  ResultHandle fetch();
  // Takes one result: a row is returned, the end or an error ends the statement.
  ResultHandle accept(ResultHandle result);
  void describe(const PGresult* result);

  ResultHandle rows_;     // the result being read: one row (single-row mode) or all
  int next_row_ = 0;      // the next of rows_ to read
  bool drained_ = false;  // the statement's results are all fetched (rows may be unread)
  std::shared_ptr<const Schema> schema_;
  std::vector<Oid> oids_;
  SourceKeys keys_;
  std::vector<BinaryCodec> codecs_;  // empty: the rows are text
};

}  // namespace weir::db::postgres
