// MySQL/MariaDB's SQL spelling: `backtick` identifiers, ? placeholders, ON DUPLICATE KEY UPDATE.
#pragma once

#include "weir/db/dialect.hpp"

namespace weir::db::mysql {

class MyDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "mysql"; }
  std::string quote_identifier(std::string_view identifier) const override;
  std::string placeholder(std::size_t) const override { return "?"; }
  std::string upsert_clause(const TableRef& table, std::span<const std::string> key,
                            std::span<const std::string> update_columns) const override;
  std::string ignore_clause(std::span<const std::string> key, std::span<const std::string> columns) const override;
  std::string differs(std::span<const std::string> columns, std::string_view row,
                      std::string_view other) const override;
  std::string column_type(const Column& column) const override;
  std::string alter_column_type_sql(const TableRef& table, std::string_view column, std::string_view type,
                                    bool not_null) const override;
  std::optional<std::string> cannot_hold(const Column& column) const override;
  std::string clock_minus(Type column, std::string_view time_zone, std::chrono::microseconds lag,
                          const Bind& bind) const override;
  // utf8mb4 spelled out: the server's default may be latin1. Binary collation compares as the
  // other databases do, so keys that differ only in case stay distinct.
  std::string_view table_options() const noexcept override { return " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"; }
  // The server's default sql_mode: "…" is a string and backslashes escape in every string.
  SqlSyntax sql_syntax() const noexcept override {
    return {.backslash_escapes = true, .escape_strings = false, .dollar_quotes = false,
            .double_quoted_strings = true, .hash_comments = true, .dash_comment_needs_space = true};
  }
  SessionLock session_lock() const noexcept override { return {.try_query = "SELECT GET_LOCK(?, 0)"}; }
};

}  // namespace weir::db::mysql
