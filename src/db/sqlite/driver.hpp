// The SQLite driver: sqlite:path, sqlite:///abs/path, sqlite::memory:.
//
// URL options: options.cpp declares them (url_options_spec), docs/configuration.md lists them.
#pragma once

#include "weir/db/driver.hpp"

namespace weir::db::sqlite {

class SqliteDriver final : public Driver {
 public:
  std::string_view name() const noexcept override { return "SQLite"; }
  const UrlScheme& url_scheme() const noexcept override;
  const config::Spec& url_options() const override;
  const Dialect& dialect() const override;
  const Catalog& catalog() const override;
  std::string types_reference() const override;
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
  // One: SQLite takes one writer at a time; more would only wait for each other.
  BulkWriters bulk_writers() const noexcept override { return {.by_default = 1, .at_most = 1}; }
};

}  // namespace weir::db::sqlite
