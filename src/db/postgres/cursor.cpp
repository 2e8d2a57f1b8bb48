#include "db/postgres/cursor.hpp"

#include "db/postgres/errors.hpp"
#include "db/postgres/types.hpp"

namespace weir::db::postgres {

std::shared_ptr<const Schema> result_schema(const PGresult* result, std::vector<Oid>& oids) {
  std::vector<Column> columns;
  int n = PQnfields(result);
  for (int i = 0; i < n; ++i) {
    Oid oid = PQftype(result, i);
    const PgType* t = find_type(oid);
    columns.push_back(Column{PQfname(result, i), t ? t->type : Type::text,
                             t ? std::string(t->name) : "oid " + std::to_string(oid), true});
    describe_modifier(oid, PQfmod(result, i), columns.back());
    oids.push_back(oid);
  }
  return std::make_shared<const Schema>(std::move(columns));
}

PgCursor::PgCursor(PgConnection& connection, ResultHandle first) : PgStreamingCursor(connection) {
  pending_ = accept(std::move(first));  // the first result carries the column descriptions
}

PgCursor::~PgCursor() {
  close();
  if (auto* connection = this->connection()) connection->set_active_cursor(nullptr);
}

const std::shared_ptr<const Schema>& PgCursor::schema() const noexcept { return schema_; }

void PgCursor::describe(const PGresult* result) {
  if (!schema_) schema_ = result_schema(result, oids_);
}

ResultHandle PgCursor::fetch() { return accept(ResultHandle(PQgetResult(connection_->handle()))); }

ResultHandle PgCursor::accept(ResultHandle result) {
  PGconn* conn = connection_->handle();
  if (!result) {
    done_ = true;
    return result;
  }
  ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_SINGLE_TUPLE) {
    describe(result.get());
    return result;
  }
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
    describe(result.get());
    while (ResultHandle rest{PQgetResult(conn)}) {
    }
    done_ = true;
    return nullptr;
  }
  // An error: drain the statement's remaining results so the connection is usable again.
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  done_ = true;
  if (!schema_) schema_ = std::make_shared<const Schema>();
  throw_result_error(result.get(), conn, "running query");
}

bool PgCursor::next(Batch& out, std::size_t max_rows) {
  check_not_cut_off();
  if (!schema_) schema_ = std::make_shared<const Schema>();
  if (out.schema_ptr() != schema_) out.reset(schema_);
  else out.clear();
  const int width = static_cast<int>(oids_.size());
  while (out.rows() < max_rows) {
    ResultHandle row = pending_ ? std::move(pending_) : (done_ ? nullptr : fetch());
    if (!row) break;
    std::span<Value> cells = out.append_row();
    for (int c = 0; c < width; ++c) {
      if (PQgetisnull(row.get(), 0, c)) {
        cells[c].set_null();
        continue;
      }
      std::string_view text(PQgetvalue(row.get(), 0, c), static_cast<std::size_t>(PQgetlength(row.get(), 0, c)));
      read_text(text, oids_[c], cells[c]);
    }
  }
  return !out.empty();
}

void PgCursor::close() noexcept {
  if (!connection() || done_) return;
  pending_.reset();
  // Outside a transaction, cancelling spares reading the rest; inside one it would abort
  // the transaction, so the rest is read and dropped instead.
  if (!connection_->explicit_transaction()) connection_->cancel();
  PGconn* conn = connection_->handle();
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  done_ = true;
}

}  // namespace weir::db::postgres
