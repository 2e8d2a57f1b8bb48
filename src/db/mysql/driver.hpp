// The MySQL/MariaDB driver: mysql://user:password@host:port/database?option=value
// (mariadb:// too).
//
// URL options: options.cpp declares them (url_options_spec), docs/configuration.md lists them.
//
// TLS, as MariaDB Connector/C 3.3 can do it:
//   disable      no TLS; the ssl_* files are ignored.
//   prefer       TLS when the server offers it, else a plain connection (tried again without
//                TLS only when the server says it has none). Like require otherwise.
//   require      TLS or fail. The server certificate is not checked unless ssl_ca/ssl_capath
//                is given: Connector/C then always checks the chain against it.
//   verify-ca    TLS, and the certificate chain must verify against ssl_ca/ssl_capath (which
//                are therefore required: a config error without them). The host name is not
//                checked. Connector/C has no switch for "chain only": it checks the chain
//                whenever a CA is set, and MYSQL_OPT_SSL_VERIFY_SERVER_CERT adds the host name.
//   verify-full  TLS, chain verified (against ssl_ca/ssl_capath, or the system CA store without
//                them) and the host name of the URL matched against the certificate's names
//                (MYSQL_OPT_SSL_VERIFY_SERVER_CERT; IP addresses against IP SANs).
// ssl_cert/ssl_key: a client certificate for accounts created REQUIRE X509 / SUBJECT.
// Note that Connector/C uses the default unix socket for host "localhost": use 127.0.0.1 or a
// real host name (then verify-full needs that name/IP in the server certificate) for TCP.
#pragma once

#include "weir/db/driver.hpp"

namespace weir::db::mysql {

class MyDriver final : public Driver {
 public:
  std::string_view name() const noexcept override { return "MySQL/MariaDB"; }
  const UrlScheme& url_scheme() const noexcept override;
  const config::Spec& url_options() const override;
  const Dialect& dialect() const override;
  const Catalog& catalog() const override;
  std::string types_reference() const override;
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
};

}  // namespace weir::db::mysql
