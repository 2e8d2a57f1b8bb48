// MySQL/MariaDB's SQL spelling: `backtick` identifiers, ? placeholders, ON DUPLICATE KEY UPDATE.
#pragma once

#include "weir/db/dialect.hpp"

namespace weir::db::mysql {

class MyDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "mysql"; }
  std::string quote_identifier(std::string_view identifier) const override;
  std::string placeholder(std::size_t) const override { return "?"; }
  std::string upsert_clause(std::span<const std::string> key, std::span<const std::string> update_columns) const override;
  std::string column_type(Type type) const override;
};

}  // namespace weir::db::mysql
