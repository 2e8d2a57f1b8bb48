// The PostgreSQL driver: postgres://user:password@host:port/database?option=value.
//
// URL options: sslmode (disable|allow|prefer|require|verify-ca|verify-full), sslrootcert,
// sslcert, sslkey, application_name (default weir), connect_timeout (seconds, default 10),
// options (extra server settings, "-c name=value"), target_session_attrs.
#pragma once

#include "weir/db/driver.hpp"

namespace weir::db::postgres {

class PgDriver final : public Driver {
 public:
  std::string_view name() const noexcept override { return "PostgreSQL"; }
  std::string_view scheme() const noexcept override { return "postgres"; }
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
};

}  // namespace weir::db::postgres
