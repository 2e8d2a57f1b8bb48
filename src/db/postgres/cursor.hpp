// PostgreSQL streaming cursors. While one is open the connection runs nothing else; the
// connection closes it (discarding the rest) before its next statement.
//
//   PgCursor      libpq single-row mode, rows in text format: any statement, any parameters.
//   PgCopyCursor  COPY (query) TO STDOUT (FORMAT binary) (copy_cursor.hpp): parameterless
//                 queries whose columns all have a binary codec, without a result per row.
#pragma once

#include <vector>

#include "db/postgres/connection.hpp"

namespace weir::db::postgres {

// What the connection needs of the cursor streaming on it.
class PgStreamingCursor : public Cursor {
 public:
  explicit PgStreamingCursor(PgConnection& connection) : connection_(&connection) {}
  // Cancels the statement if rows remain and consumes what is left.
  virtual void close() noexcept = 0;
  // The connection is going away.
  void detach() noexcept { connection_ = nullptr; }
  // Throws Error{internal} when the cursor is read after its connection is gone.
  void check_attached() const {
    if (!connection_) throw Error(ErrorKind::internal, "a PostgreSQL cursor was read after its connection was closed");
  }

 protected:
  PgConnection* connection_;
};

// The schema of a result's columns (names, weir types, type names), and their type OIDs.
std::shared_ptr<const Schema> result_schema(const PGresult* result, std::vector<Oid>& oids);

class PgCursor final : public PgStreamingCursor {
 public:
  // `first` is the statement's first result (PQgetResult after sending it).
  PgCursor(PgConnection& connection, ResultHandle first);
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

  mutable ResultHandle pending_;  // a fetched row not yet returned (schema() peeks)
  std::shared_ptr<const Schema> schema_;
  std::vector<Oid> oids_;
  bool done_ = false;
};

}  // namespace weir::db::postgres
