#include "db/postgres/copy_cursor.hpp"

#include "db/common/row_cells.hpp"
#include "db/postgres/errors.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::string_view kContext = "running query";

struct CopyDataFreer {
  void operator()(char* data) const noexcept { PQfreemem(data); }
};
using CopyData = std::unique_ptr<char, CopyDataFreer>;

void drain(PGconn* conn) noexcept {
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
}

}  // namespace

PgCopyCursor::PgCopyCursor(PgConnection& connection, const std::string& copy_sql, std::shared_ptr<const Schema> schema,
                           std::vector<BinaryCodec> codecs)
    : PgStreamingCursor(connection), schema_(std::move(schema)), codecs_(std::move(codecs)), reader_(codecs_.size()) {
  PGconn* conn = connection.handle();
  ResultHandle started(PQexec(conn, copy_sql.c_str()));
  if (started && PQresultStatus(started.get()) == PGRES_COPY_OUT) return;
  done_ = true;
  drain(conn);
  if (!started) throw_connection_error(conn, kContext);
  throw_result_error(started.get(), conn, kContext);
}

PgCopyCursor::~PgCopyCursor() {
  close();
  if (auto* connection = this->connection()) connection->set_active_cursor(nullptr);
}

bool PgCopyCursor::next(Batch& out, std::size_t max_rows) {
  check_not_cut_off();
  if (out.schema_ptr() != schema_) out.reset(schema_);
  else out.clear();
  out.reserve(max_rows);
  const std::size_t width = codecs_.size();
  while (!done_ && out.rows() < max_rows) {
    char* raw = nullptr;
    int size = PQgetCopyData(connection_->handle(), &raw, 0);
    if (size < 0) {
      end(size);
      break;
    }
    CopyData message(raw);
    if (!reader_.read({raw, static_cast<std::size_t>(size)})) continue;  // the end marker
    std::span<const BinaryCopyReader::Field> fields = reader_.fields();
    db::read_row_cells(
        out.append_row().first(width),
        [&](std::size_t c, Value& cell) {
          if (fields[c].is_null()) cell.set_null();
          else codecs_[c].decode(fields[c].bytes(), cell);
        },
        [&](std::size_t c) -> const std::string& { return (*schema_)[c].name; });
  }
  return !out.empty();
}

void PgCopyCursor::end(int status) {
  done_ = true;
  PGconn* conn = connection_->handle();
  if (status == -2) {
    drain(conn);
    throw_connection_error(conn, kContext);
  }
  ResultHandle result(PQgetResult(conn));
  drain(conn);
  if (result && PQresultStatus(result.get()) != PGRES_COMMAND_OK) throw_result_error(result.get(), conn, kContext);
}

void PgCopyCursor::close() noexcept {
  if (!connection() || done_) return;
  done_ = true;
  // As PgCursor::close: cancel outside a transaction, else read the rest and drop it.
  if (!connection_->explicit_transaction()) connection_->cancel();
  PGconn* conn = connection_->handle();
  char* raw = nullptr;
  while (PQgetCopyData(conn, &raw, 0) > 0) PQfreemem(raw);
  drain(conn);
}

}  // namespace weir::db::postgres
