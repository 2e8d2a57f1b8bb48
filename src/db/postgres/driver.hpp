// The PostgreSQL driver: postgres://user:password@host:port/database?option=value.
//
// URL options: sslmode (disable|allow|prefer|require|verify-ca|verify-full), sslrootcert,
// sslcert, sslkey, application_name (default weir), connect_timeout (seconds, default 10),
// query_timeout (milliseconds; the server cancels a longer statement: Error{timeout}),
// options (extra server settings, "-c name=value"), target_session_attrs; weir's own
// bulk_merge (auto|copy|statements, see BulkMerge) and pooler (auto|none|transaction, see
// Pooler). Only options and query_timeout send the `options` startup parameter, which
// connection poolers refuse: weir's own session settings are SET after login (session.hpp).
//
// TLS options go to libpq unchanged, with libpq's meaning: sslmode verify-ca checks the chain
// against sslrootcert (default ~/.postgresql/root.crt), verify-full the host name too (a host
// given as an IP address must be in the certificate's IP SANs); sslcert/sslkey are a client
// certificate (pg_hba `cert`, or clientcert=verify-*). A server that refuses the login because a
// client certificate is missing (`cert`) or because of a pg_hba `reject` line is Error{auth}.
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
