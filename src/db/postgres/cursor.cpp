#include "db/postgres/cursor.hpp"

#include <cstdlib>
#include <string>

#include "db/common/row_cells.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/types.hpp"

namespace weir::db::postgres {

namespace {

// Each column's NOT NULL and primary key membership, with the key's length, of one table.
constexpr const char* kKeysSql =
    "SELECT a.attnum::int4, a.attnotnull, COALESCE(a.attnum = ANY (i.indkey::int2[]), false), "
    "COALESCE(cardinality(i.indkey::int2[]), 0) "
    "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
    "WHERE a.attrelid = $1::oid AND a.attnum = ANY ($2::int2[])";

}  // namespace

SourceKeys lookup_source_keys(PgConnection& connection, const PGresult* described) {
  const int n = PQnfields(described);
  Oid table = InvalidOid;
  std::string attnums;
  for (int i = 0; i < n; ++i) {
    Oid from = PQftable(described, i);
    if (from == InvalidOid) continue;
    if (table != InvalidOid && from != table) return {};  // a join
    table = from;
    attnums += (attnums.empty() ? "" : ",") + std::to_string(PQftablecol(described, i));
  }
  if (table == InvalidOid) return {};
  ResultHandle found =
      connection.run(kKeysSql, std::vector<Value>{Value(std::to_string(table)), Value("{" + attnums + "}")});
  SourceKeys keys(static_cast<std::size_t>(n));
  int key_length = 0, key_columns = 0;
  for (int row = 0; row < PQntuples(found.get()); ++row) {
    const int attnum = std::atoi(PQgetvalue(found.get(), row, 0));
    const bool in_key = PQgetvalue(found.get(), row, 2)[0] == 't';
    key_length = std::atoi(PQgetvalue(found.get(), row, 3));
    key_columns += in_key;
    for (int i = 0; i < n; ++i)
      if (PQftable(described, i) == table && PQftablecol(described, i) == attnum)
        keys[static_cast<std::size_t>(i)] = SourceKey{PQgetvalue(found.get(), row, 1)[0] == 't', in_key};
  }
  if (key_columns != key_length)
    for (SourceKey& k : keys) k.primary_key = false;
  return keys;
}

std::shared_ptr<const Schema> result_schema(const PGresult* result, std::vector<Oid>& oids, const SourceKeys& keys) {
  std::vector<Column> columns;
  int n = PQnfields(result);
  for (int i = 0; i < n; ++i) {
    Oid oid = PQftype(result, i);
    const PgType* t = find_type(oid);
    columns.push_back(Column{PQfname(result, i), t ? t->type : Type::text,
                             t ? std::string(t->name) : "oid " + std::to_string(oid), true});
    describe_modifier(oid, PQfmod(result, i), columns.back());
    if (static_cast<std::size_t>(i) < keys.size()) {
      columns.back().nullable = !keys[static_cast<std::size_t>(i)].not_null;
      columns.back().primary_key = keys[static_cast<std::size_t>(i)].primary_key;
    }
    oids.push_back(oid);
  }
  return std::make_shared<const Schema>(std::move(columns));
}

PgCursor::PgCursor(PgConnection& connection, ResultHandle first, SourceKeys keys, std::vector<BinaryCodec> codecs)
    : PgStreamingCursor(connection), keys_(std::move(keys)), codecs_(std::move(codecs)) {
  rows_ = accept(std::move(first));  // the first result carries the column descriptions
}

PgCursor::~PgCursor() {
  close();
  if (auto* connection = this->connection()) connection->set_active_cursor(nullptr);
}

const std::shared_ptr<const Schema>& PgCursor::schema() const noexcept { return schema_; }

void PgCursor::describe(const PGresult* result) {
  if (!schema_) schema_ = result_schema(result, oids_, keys_);
}

ResultHandle PgCursor::fetch() {
  if (drained_) {
    done_ = true;
    return nullptr;
  }
  return accept(ResultHandle(PQgetResult(connection_->handle())));
}

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
    // In single-row mode the rows came before, in this empty result; otherwise they are in it,
    // and the cursor is done once they are read (a connection that runs another statement
    // before then cuts them off, as it would cut off rows still streaming).
    describe(result.get());
    while (ResultHandle rest{PQgetResult(conn)}) {
    }
    drained_ = true;
    if (PQntuples(result.get()) > 0) return result;
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
  out.reserve(max_rows);
  const int width = static_cast<int>(oids_.size());
  while (out.rows() < max_rows) {
    if (!rows_ || next_row_ == PQntuples(rows_.get())) {
      rows_ = done_ ? nullptr : fetch();
      next_row_ = 0;
      if (!rows_) break;
    }
    const PGresult* row = rows_.get();
    const int r = next_row_++;
    std::span<Value> cells = out.append_row().first(static_cast<std::size_t>(width));
    db::read_row_cells(
        cells,
        [&](std::size_t c, Value& cell) {
          int i = static_cast<int>(c);
          if (PQgetisnull(row, r, i)) return cell.set_null();
          std::string_view field(PQgetvalue(row, r, i), static_cast<std::size_t>(PQgetlength(row, r, i)));
          if (codecs_.empty()) read_text(field, oids_[c], cell);
          else codecs_[c].decode(field, cell);
        },
        [&](std::size_t c) -> const std::string& { return (*schema_)[c].name; });
  }
  if (drained_ && (!rows_ || next_row_ == PQntuples(rows_.get()))) done_ = true;
  return !out.empty();
}

void PgCursor::close() noexcept {
  rows_.reset();
  if (!connection() || done_) return;
  done_ = true;
  if (drained_) return;  // the statement has ended: only rows read already were left
  // Outside a transaction, cancelling spares reading the rest; inside one it would abort
  // the transaction, so the rest is read and dropped instead.
  if (!connection_->explicit_transaction()) connection_->cancel();
  PGconn* conn = connection_->handle();
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
}

}  // namespace weir::db::postgres
