#include "db/postgres/copy_in.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "core/text.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/types.hpp"

namespace weir::db::postgres {
namespace {

// Reads and drops the results left after the COPY so the connection takes statements again.
void drain(PGconn* conn) noexcept {
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
}

void append_escaped(std::string_view text, WireBuffer& out) {
  // Most fields need no escape: copy runs between the characters that do.
  std::size_t from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char escape = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : 0;
    if (!escape) continue;
    out.put_bytes(text.substr(from, i - from));
    char* p = out.extend(2);
    p[0] = '\\';
    p[1] = escape;
    from = i + 1;
  }
  out.put_bytes(text.substr(from));
}

void append_text_value(const Value& v, WireBuffer& out, std::string& scratch, bool into_json = false) {
  if (v.is_null()) return out.put_bytes("\\N");
  if (const Bytes* b = v.get_if<Bytes>()) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.put_bytes("\\\\x");  // bytea's hex input, its backslash escaped for COPY
    char* p = out.extend(2 * b->data.size());
    for (unsigned char c : b->data) {
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
    }
    return;
  }
  param_text(v, scratch, into_json);
  append_escaped(scratch, out);
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : trim(text)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

}  // namespace

CopyIn::CopyIn(PgConnection& connection, const std::string& sql, std::string context)
    : conn_(connection.handle()), context_(std::move(context)) {
  connection.finish_active_cursor();
  ResultHandle started(PQexec(conn_, sql.c_str()));
  if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN) {
    open_ = false;
    drain(conn_);
    if (!started) throw_connection_error(conn_, context_);
    throw_result_error(started.get(), conn_, context_);
  }
}

CopyIn::~CopyIn() {
  if (open_) abort("the COPY was interrupted");
}

void CopyIn::send(WireBuffer& data) {
  if (data.empty()) return;
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) throw_connection_error(conn_, context_);
  data.clear();
}

std::uint64_t CopyIn::finish() {
  open_ = false;
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    drain(conn_);
    throw_connection_error(conn_, context_);
  }
  ResultHandle result(PQgetResult(conn_));
  drain(conn_);
  if (!result) throw_connection_error(conn_, context_);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    // The server's context says where: "COPY t, line 3, column qty: "abc"".
    const char* where = PQresultErrorField(result.get(), PG_DIAG_CONTEXT);
    std::string context = where ? fmt::format("{} ({})", context_, one_line(where)) : context_;
    throw_result_error(result.get(), conn_, context);
  }
  return std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
}

void CopyIn::abort(std::string_view reason) noexcept {
  if (!open_) return;
  open_ = false;
  try {
    PQputCopyEnd(conn_, std::string(reason).c_str());
  } catch (...) {  // std::string's allocation: end the COPY without a reason
    PQputCopyEnd(conn_, "weir ended the COPY");
  }
  drain(conn_);
}

void append_text_row(std::span<const Value> row, WireBuffer& out, std::optional<std::int64_t> row_number,
                     std::span<const Oid> types) {
  thread_local std::string scratch;
  for (std::size_t c = 0; c < row.size(); ++c) {
    if (c) out.put_u8('\t');
    append_text_value(row[c], out, scratch, c < types.size() && is_json_type(types[c]));
  }
  if (row_number) {
    out.put_u8('\t');
    append_text_value(Value(*row_number), out, scratch);
  }
  out.put_u8('\n');
}

void append_binary_header(WireBuffer& out) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // and the NUL that ends the literal
  out.put_bytes({kSignature, sizeof kSignature});
  out.put_i32(0);  // flags: no OIDs
  out.put_i32(0);  // no header extension
}

void append_binary_trailer(WireBuffer& out) { out.put_i16(-1); }

}  // namespace weir::db::postgres
