// Mapping PostgreSQL errors (SQLSTATE) to weir::Error kinds and retryability.
#pragma once

#include <libpq-fe.h>

#include <string_view>

#include "weir/error.hpp"

namespace weir::db::postgres {

// The kind for a five-character SQLSTATE ("23505" → unique).
ErrorKind kind_for_sqlstate(std::string_view sqlstate) noexcept;
// Whether retrying the same statement may succeed (deadlock, serialization, lost connection…).
bool retryable_sqlstate(std::string_view sqlstate) noexcept;

// Whether `result` is the server refusing a cached prepared statement whose result columns
// changed since it was prepared (ALTER TABLE under a SELECT *): "cached plan must not change
// result type". Told by the reporting function, which is not translated as messages are.
bool is_stale_plan(const PGresult* result) noexcept;

// Throws for a failed result: kind from its SQLSTATE, the server's message, where in the
// statement it found the error (" at character N", 1-based, in characters of the statement sent,
// when the server says) and its detail.
[[noreturn]] void throw_result_error(const PGresult* result, PGconn* conn, std::string_view context);
// Throws for a failure with no result (connection lost, libpq-level error).
[[noreturn]] void throw_connection_error(PGconn* conn, std::string_view context);

}  // namespace weir::db::postgres
