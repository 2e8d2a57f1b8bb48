// The SQLite driver: sqlite:path, sqlite:///abs/path, sqlite::memory:.
//
// URL options: mode=rwc|rw|ro (default rwc: create the file if absent), busy_timeout=<ms>
// (default 5000), journal_mode=wal|delete|… (default wal, not for :memory:),
// synchronous=off|normal|full (default full), foreign_keys=on|off (default on),
// cache_size=<KiB> (default 2000), mmap_size=<bytes> (default 0: off).
#pragma once

#include "weir/db/driver.hpp"

namespace weir::db::sqlite {

class SqliteDriver final : public Driver {
 public:
  std::string_view name() const noexcept override { return "SQLite"; }
  std::string_view scheme() const noexcept override { return "sqlite"; }
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
};

}  // namespace weir::db::sqlite
