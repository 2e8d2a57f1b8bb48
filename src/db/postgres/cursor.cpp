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
  pending_ = accept(std::move(first));  // the first result carries the column descriptions
}

PgCursor::~PgCursor() {
  close();
  if (auto* connection = this->connection()) connection->set_active_cursor(nullptr);
}

const std::shared_ptr<const Schema>& PgCursor::schema() const noexcept { return schema_; }

void PgCursor::describe(const PGresult* result) {
  if (!schema_) schema_ = result_schema(result, oids_, keys_);
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
    std::span<Value> cells = out.append_row().first(static_cast<std::size_t>(width));
    db::read_row_cells(
        cells,
        [&](std::size_t c, Value& cell) {
          int i = static_cast<int>(c);
          if (PQgetisnull(row.get(), 0, i)) return cell.set_null();
          std::string_view field(PQgetvalue(row.get(), 0, i), static_cast<std::size_t>(PQgetlength(row.get(), 0, i)));
          if (codecs_.empty()) read_text(field, oids_[c], cell);
          else codecs_[c].decode(field, cell);
        },
        [&](std::size_t c) -> const std::string& { return (*schema_)[c].name; });
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
