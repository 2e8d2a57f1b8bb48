// One COPY … FROM STDIN on a connection, and the row formats it carries.
//
//   CopyIn copy(connection, "COPY t (a, b) FROM STDIN (FORMAT binary)", "copying into `t`");
//   append_binary_header(buffer); … rows …; append_binary_trailer(buffer);
//   copy.send(buffer);                  // as often as the buffer fills
//   std::uint64_t rows = copy.finish(); // or, on any failure, copy.abort(reason)
//
// Whatever happens, the COPY is over when finish() or abort() returns or throws, or when the
// CopyIn is destroyed: the connection is ready for its next statement (ROLLBACK TO SAVEPOINT
// after a failure inside a transaction), and a failed COPY stores no row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/postgres/connection.hpp"
#include "db/postgres/wire_buffer.hpp"

namespace weir::db::postgres {

class CopyIn {
 public:
  // Starts the COPY; throws the server's error when it refuses (no such table or column).
  CopyIn(PgConnection& connection, const std::string& sql, std::string context);
  ~CopyIn();
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  // Sends the buffered data and clears `data`. Throws Error{connection} when the connection
  // fails (the server's own errors arrive at finish()).
  void send(WireBuffer& data);
  // Ends the COPY and returns the rows stored. Throws the server's error — a constraint, a
  // value its column refuses — with the line (row of the COPY) and column it names.
  std::uint64_t finish();
  // Ends the COPY as failed: the server stores none of its rows and records `reason`.
  void abort(std::string_view reason) noexcept;

 private:
  PGconn* conn_;
  std::string context_;
  bool open_ = true;
};

// COPY text format: tab-separated fields, \N for NULL, backslash escapes; with `row_number`,
// that number as one more field at the end. `types`: each column's type where known (0 where
// not), which says how an array is written (param_text's `into_json`).
void append_text_row(std::span<const Value> row, WireBuffer& out, std::optional<std::int64_t> row_number = {},
                     std::span<const Oid> types = {});

// The binary format's 19-byte header and its end marker (a field count of -1).
void append_binary_header(WireBuffer& out);
void append_binary_trailer(WireBuffer& out);

}  // namespace weir::db::postgres
