// PostgreSQL's SQL spelling: "double-quoted" identifiers, $n placeholders, ON CONFLICT upserts.
#pragma once

#include "weir/db/dialect.hpp"

namespace weir::db::postgres {

class PgDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "postgres"; }
  std::string placeholder(std::size_t index) const override { return "$" + std::to_string(index); }
  std::string column_type(const Column& column) const override;
  SqlSyntax sql_syntax() const noexcept override { return kSyntax; }
  std::string clock_minus(Type column, std::string_view time_zone, std::chrono::microseconds lag,
                          const Bind& bind) const override;
  std::string_view horizon_query() const noexcept override;
  SessionLock session_lock() const noexcept override;
  std::string settled_condition(std::string_view qualifier, std::string_view horizon) const override;
  std::string differs(std::span<const std::string> columns, std::string_view row,
                      std::string_view other) const override;

  static constexpr SqlSyntax kSyntax{.nested_comments = true};
};

}  // namespace weir::db::postgres
