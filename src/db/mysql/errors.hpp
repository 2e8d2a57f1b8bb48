// Mapping MySQL/MariaDB error numbers to weir::Error kinds and retryability.
#pragma once

#include <mysql.h>

#include <string>
#include <string_view>
#include <vector>

#include "weir/error.hpp"

namespace weir::db::mysql {

ErrorKind kind_for_errno(unsigned code) noexcept;
bool retryable_errno(unsigned code) noexcept;

// MariaDB's errno for a failed CHECK constraint, ER_CONSTRAINT_FAILED (MySQL's is 3819).
inline constexpr unsigned kConstraintFailed = 4025;

[[noreturn]] void throw_error(unsigned code, std::string_view message, std::string_view sqlstate,
                              std::string_view context);
// The same with a kind the caller determined (see MyConnection's JSON check).
[[noreturn]] void throw_error(ErrorKind kind, unsigned code, std::string_view message, std::string_view sqlstate,
                              std::string_view context);
// For a problem LOAD DATA LOCAL reported as a warning (it skips or coerces the row instead of
// failing); `count` is how many such problems the statement had.
[[noreturn]] void throw_warning(ErrorKind kind, unsigned code, std::string_view message, std::size_t count,
                                std::string_view context);
// For a failed mysql_real_connect. A TLS error (2026) there is a handshake or certificate
// failure that retrying does not fix; on an established connection (every other function
// here) the same errno means the encrypted stream broke mid-record — the server went away —
// and is retryable like a lost connection (2013).
[[noreturn]] void throw_connect_error(MYSQL* db, std::string_view context);
[[noreturn]] void throw_connection_error(MYSQL* db, std::string_view context);
[[noreturn]] void throw_statement_error(MYSQL_STMT* stmt, std::string_view context);
// For a failed mysql_stmt_fetch: Connector/C reports errors that arrive while rows are read
// (KILL QUERY, a lost connection) on the connection handle, leaving the statement's errno 0.
[[noreturn]] void throw_fetch_error(MYSQL_STMT* stmt, MYSQL* db, std::string_view context);

// The `backquoted` names in a server message, in order, with doubled backquotes undone:
// "CONSTRAINT `t.v` failed for `db`.`t`" → {"t.v", "db", "t"}.
std::vector<std::string> quoted_names(std::string_view message);

}  // namespace weir::db::mysql
