// SQLite's SQL spelling: "double-quoted" identifiers, ?N placeholders, ON CONFLICT upserts.
#pragma once

#include "weir/db/dialect.hpp"

namespace weir::db::sqlite {

class SqliteDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "sqlite"; }
  std::string placeholder(std::size_t index) const override;
  std::string column_type(const Column& column) const override;
  std::string alter_column_type_sql(const TableRef&, std::string_view, std::string_view, bool) const override {
    return "";
  }
  bool drops_any_column() const noexcept override { return false; }
  std::string clock_minus(Type column, std::string_view time_zone, std::chrono::microseconds lag,
                          const Bind& bind) const override;
  std::string_view explain_prefix() const noexcept override { return "EXPLAIN QUERY PLAN "; }
  SqlSyntax sql_syntax() const noexcept override {
    return {.escape_strings = false, .dollar_quotes = false, .bracket_identifiers = true};
  }
};

}  // namespace weir::db::sqlite
