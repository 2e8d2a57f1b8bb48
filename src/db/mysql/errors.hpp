// Mapping MySQL/MariaDB error numbers to weir::Error kinds and retryability.
#pragma once

#include <mysql.h>

#include <string_view>

#include "weir/error.hpp"

namespace weir::db::mysql {

ErrorKind kind_for_errno(unsigned code) noexcept;
bool retryable_errno(unsigned code) noexcept;

[[noreturn]] void throw_error(unsigned code, std::string_view message, std::string_view sqlstate,
                              std::string_view context);
[[noreturn]] void throw_connection_error(MYSQL* db, std::string_view context);
[[noreturn]] void throw_statement_error(MYSQL_STMT* stmt, std::string_view context);

}  // namespace weir::db::mysql
