#include "db/postgres/bulk_writer.hpp"

#include <fmt/format.h>

#include "db/postgres/errors.hpp"
#include "db/postgres/types.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::size_t kCopyChunk = 1 << 20;
constexpr std::size_t kPipelineDepth = 1000;

// COPY text format: backslash escapes for the delimiter, newlines and backslash itself.
void append_copy_field(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

void append_copy_value(std::string& out, const Value& v, std::string& scratch) {
  if (v.is_null()) {
    out += "\\N";
    return;
  }
  if (const Bytes* b = v.get_if<Bytes>()) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\\\x";
    for (unsigned char c : b->data) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return;
  }
  param_text(v, scratch);
  append_copy_field(out, scratch);
}

}  // namespace

PgBulkWriter::PgBulkWriter(PgConnection& connection, const WriteSpec& spec)
    : connection_(&connection), spec_(spec), statement_(write_statement(connection.dialect(), spec)) {
  if (spec_.mode == WriteMode::insert) {
    std::string columns;
    for (const std::string& c : spec_.columns) columns += (columns.empty() ? "" : ", ") + connection.dialect().quote_identifier(c);
    copy_sql_ = fmt::format("COPY {} ({}) FROM STDIN", connection.dialect().quote_table(spec_.table), columns);
  }
}

void PgBulkWriter::write(const Batch& batch) {
  check_batch_width(batch, spec_);
  if (batch.empty()) return;
  connection_->finish_active_cursor();
  if (spec_.mode == WriteMode::insert) copy(batch);
  else pipeline(batch);
}

void PgBulkWriter::send_copy_data(bool force) {
  if (buffer_.empty() || (!force && buffer_.size() < kCopyChunk)) return;
  PGconn* conn = connection_->handle();
  if (PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1)
    throw_connection_error(conn, "sending COPY data");
  buffer_.clear();
}

void PgBulkWriter::copy(const Batch& batch) {
  PGconn* conn = connection_->handle();
  std::string context = fmt::format("copying into `{}`", spec_.table.to_string());
  checked(PQexec(conn, copy_sql_.c_str()), conn, context);
  std::string scratch;
  try {
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      std::span<const Value> row = batch.row(r);
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (c) buffer_ += '\t';
        append_copy_value(buffer_, row[c], scratch);
      }
      buffer_ += '\n';
      send_copy_data(false);
    }
    send_copy_data(true);
  } catch (const Error& e) {
    buffer_.clear();
    PQputCopyEnd(conn, e.what());
    while (ResultHandle rest{PQgetResult(conn)}) {
    }
    throw;
  }
  if (PQputCopyEnd(conn, nullptr) != 1) throw_connection_error(conn, context);
  ResultHandle result = checked(PQgetResult(conn), conn, context);
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  affected_ += std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
}

void PgBulkWriter::pipeline(const Batch& batch) {
  PGconn* conn = connection_->handle();
  const std::string& name = connection_->prepared(statement_.sql, static_cast<int>(statement_.param_columns.size()));
  std::string context = fmt::format("writing to `{}`", spec_.table.to_string());
  if (!PQenterPipelineMode(conn)) throw_connection_error(conn, context);
  std::vector<Value> row_params(statement_.param_columns.size());
  Params params;
  std::optional<Error> first_error;
  for (std::size_t start = 0; start < batch.rows(); start += kPipelineDepth) {
    std::size_t end = std::min(batch.rows(), start + kPipelineDepth);
    for (std::size_t r = start; r < end; ++r) {
      for (std::size_t p = 0; p < row_params.size(); ++p) row_params[p] = batch.at(r, statement_.param_columns[p]);
      params.bind(row_params);
      if (!PQsendQueryPrepared(conn, name.c_str(), params.size(), params.values(), params.lengths(),
                               params.formats(), 0))
        throw_connection_error(conn, context);
    }
    if (!PQpipelineSync(conn)) throw_connection_error(conn, context);
    for (std::size_t r = start; r <= end;) {
      ResultHandle result(PQgetResult(conn));
      if (!result) {
        ++r;  // end of one statement's results
        continue;
      }
      ExecStatusType status = PQresultStatus(result.get());
      if (status == PGRES_PIPELINE_SYNC) break;
      if (status == PGRES_COMMAND_OK) {
        affected_ += std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
      } else if (status == PGRES_FATAL_ERROR && !first_error) {
        try {
          throw_result_error(result.get(), conn, fmt::format("{}, row {} of the batch", context, r + 1));
        } catch (const Error& e) {
          first_error = e;
        }
      }
    }
    if (first_error) break;
  }
  PQexitPipelineMode(conn);
  if (first_error) throw *first_error;
}

}  // namespace weir::db::postgres
