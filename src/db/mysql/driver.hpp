// The MySQL/MariaDB driver: mysql://user:password@host:port/database?option=value
// (mariadb:// too).
//
// URL options: ssl_mode (disable|require|verify-ca|verify-full), ssl_ca, ssl_cert, ssl_key,
// connect_timeout (seconds, default 10), zero_dates (error|null, default error: how
// 0000-00-00 dates are read).
#pragma once

#include "weir/db/driver.hpp"

namespace weir::db::mysql {

class MyDriver final : public Driver {
 public:
  std::string_view name() const noexcept override { return "MySQL/MariaDB"; }
  std::string_view scheme() const noexcept override { return "mysql"; }
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
};

}  // namespace weir::db::mysql
