// The MySQL/MariaDB driver: mysql://user:password@host:port/database?option=value
// (mariadb:// too).
//
// URL options: ssl_mode (disable|prefer|require|verify-ca|verify-full, default prefer), ssl_ca,
// ssl_capath, ssl_cert, ssl_key, connect_timeout (seconds, default 10), query_timeout
// (milliseconds, MariaDB max_statement_time: a longer statement fails with Error{timeout}),
// zero_dates (error|null, default error: how 0000-00-00 dates are read), bulk_insert
// (load_data|insert, default load_data: how the bulk writer inserts batches of 128+ rows —
// LOAD DATA LOCAL INFILE fed from memory, about 1.7x as fast, or multi-row INSERTs; a server
// with local_infile=OFF gets INSERTs either way). PostgreSQL's names sslmode, sslrootcert,
// sslcert and sslkey work too, for ssl_mode, ssl_ca, ssl_cert and ssl_key.
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
  std::string_view scheme() const noexcept override { return "mysql"; }
  std::unique_ptr<Connection> connect(const ConnectionConfig& config) const override;
};

}  // namespace weir::db::mysql
