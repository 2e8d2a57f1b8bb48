// The PostgreSQL driver: postgres://user:password@host:port/database?option=value.
//
// URL options: options.cpp declares them (url_options_spec), docs/configuration.md lists them.
// Only `options` and `query_timeout` send the `options` startup parameter, which connection
// poolers refuse: weir's own session settings are SET after login (session.hpp).
//
// TLS options go to libpq unchanged, with libpq's meaning: sslmode verify-ca checks the chain
// against sslrootcert (default ~/.postgresql/root.crt), verify-full the host name too (a host
// given as an IP address must be in the certificate's IP SANs); sslcert/sslkey are a client
// certificate (pg_hba `cert`, or clientcert=verify-*). A server that refuses the login because a
// client certificate is missing (`cert`) or because of a pg_hba `reject` line is Error{auth}.
#pragma once

#include "db/postgres/connection.hpp"
#include "weir/db/driver.hpp"

namespace weir::db::postgres {

class PgDriver final : public Driver {
 public:
  std::string_view name() const noexcept override { return "PostgreSQL"; }
  const UrlScheme& url_scheme() const noexcept override;
  const config::Spec& url_options() const override;
  const Dialect& dialect() const override;
  const Catalog& catalog() const override;
  std::string types_reference() const override;
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
  // Two: a COPY waits on its one backend, so a second one shares the work (docs/sync.md).
  BulkWriters bulk_writers() const noexcept override { return {.by_default = 2, .at_most = 0}; }
};

// A replication connection (libpq's replication=database: the walsender protocol, which also
// runs SQL), logged in as connect() logs in, with the same session settings, so values come
// out of logical decoding as they come out of a query. Throws what connect() throws.
ConnHandle connect_replication(const ConnectionConfig& config);

}  // namespace weir::db::postgres
