// Where in an agent's SQL text the database found an error. PostgreSQL says where as a character
// offset into the statement it received (the driver's message ends its first part with
// " at character N", db/postgres/errors.hpp); weir may have sent more than the agent's statement
// (the `EXPLAIN (VERBOSE, FORMAT JSON) ` that checks a read-only connection's plan first), so the
// offset is shifted back and told as the line and column of the text the agent sent. MariaDB
// already says "near '…' at line N" of the statement as sent, which is the agent's: left as is.
#pragma once

#include <cstddef>
#include <string_view>

#include "weir/error.hpp"

namespace weir::mcp {

// The statement sent for an agent's SQL text `sql`: `prefix` (characters weir added before it)
// then the part of `sql` that starts `begin` bytes in.
struct SentStatement {
  std::string_view sql;
  std::size_t begin = 0;
  std::size_t prefix_chars = 0;
};

// `e` with its " at character N" told as " (line L, column C)" of `sent.sql` (both 1-based,
// columns in characters), or without it when N falls outside the agent's text; `e` itself when
// its message gives no position.
Error located(const Error& e, const SentStatement& sent);

}  // namespace weir::mcp
