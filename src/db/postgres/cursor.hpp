// PostgreSQL streaming cursor: libpq single-row mode, so rows are parsed as they arrive and
// memory stays bounded by the caller's batch. While it is open the connection runs nothing
// else; the connection closes it (discarding the rest) before its next statement.
#pragma once

#include <vector>

#include "db/postgres/connection.hpp"

namespace weir::db::postgres {

class PgCursor final : public Cursor {
 public:
  // `first` is the statement's first result (PQgetResult after sending it).
  PgCursor(PgConnection& connection, ResultHandle first);
  ~PgCursor() override;

  const std::shared_ptr<const Schema>& schema() const noexcept override;
  bool next(Batch& out, std::size_t max_rows) override;

  // Cancels the statement if rows remain and consumes what is left.
  void close() noexcept;
  // The connection is going away.
  void detach() noexcept { connection_ = nullptr; }

 private:
  // Fetches the next result; sets done_ at the end of the statement.
  ResultHandle fetch();
  // Takes one result: a row is returned, the end or an error ends the statement.
  ResultHandle accept(ResultHandle result);
  void describe(const PGresult* result);

  PgConnection* connection_;
  mutable ResultHandle pending_;  // a fetched row not yet returned (schema() peeks)
  std::shared_ptr<const Schema> schema_;
  std::vector<Oid> oids_;
  bool done_ = false;
};

}  // namespace weir::db::postgres
