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

  static constexpr SqlSyntax kSyntax{.nested_comments = true};
};

}  // namespace weir::db::postgres
