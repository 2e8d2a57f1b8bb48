#include "db/mysql/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "db/url_options.hpp"
#include "weir/error.hpp"

namespace weir::db::mysql {
namespace {

using config::Field;

// PostgreSQL's names for the TLS options mean the same here, so one set of names serves both
// servers' URLs.
Field postgres_name(std::string name, std::string mine) {
  return Field{.name = std::move(name),
               .description = fmt::format("PostgreSQL's name for `{}`, which it means here too.", mine),
               .alias_of = std::move(mine)};
}

// Connector/C 3.3 checks the certificate chain only against an explicit CA, and the host
// name only together with the chain (MYSQL_OPT_SSL_VERIFY_SERVER_CERT, which falls back to
// the system CA store). verify-ca without a CA would silently check nothing.
std::string tls_problem(const std::function<std::string(std::string_view)>& option) {
  if (option("ssl_mode") == "verify-ca" && option("ssl_ca").empty() && option("ssl_capath").empty())
    return "ssl_mode=verify-ca needs ssl_ca (or ssl_capath), the CA to check the server certificate against";
  return {};
}

}  // namespace

const config::Spec& url_options_spec() {
  static const config::Spec spec{
      "mysql URLs",
      "Options of a `mysql://` (or `mariadb://`) URL, after `?`, e.g. "
      "`mysql://app@db:3306/shop?ssl_mode=verify-full&ssl_ca=/etc/ssl/ca.pem`. Connector/C uses the unix socket "
      "for the host `localhost`: use 127.0.0.1 or a host name for TCP (and TLS).",
      {
          Field{.name = "ssl_mode", .default_value = "prefer",
                .choices = {"disable", "prefer", "require", "verify-ca", "verify-full"},
                .description = "TLS. `prefer`: TLS when the server offers it, else a plain connection. `require`: "
                               "TLS or fail; the certificate is checked only against `ssl_ca`/`ssl_capath` when "
                               "given. `verify-ca`: the chain must verify against `ssl_ca`/`ssl_capath` (required), "
                               "the host name is not checked. `verify-full`: the chain (against `ssl_ca`, or the "
                               "system CA store) and the host name (IP addresses against IP SANs).",
                .example = "verify-full"},
          Field{.name = "ssl_ca", .description = "CA certificate(s) the server's certificate must verify against.",
                .example = "/etc/ssl/certs/db-ca.pem"},
          Field{.name = "ssl_capath", .description = "A folder of CA certificates, instead of `ssl_ca`.",
                .example = "/etc/ssl/certs"},
          Field{.name = "ssl_cert",
                .description = "A client certificate, for accounts created REQUIRE X509 or SUBJECT.",
                .example = "/etc/weir/client.crt"},
          Field{.name = "ssl_key", .description = "The client certificate's private key.",
                .example = "/etc/weir/client.key"},
          Field{.name = "connect_timeout", .shapes = config::kInteger, .default_value = "10",
                .description = "Seconds to wait for the connection to be made.", .example = "30", .minimum = 1},
          Field{.name = "query_timeout", .shapes = config::kInteger,
                .description = "Milliseconds after which MariaDB stops a statement (max_statement_time): it fails "
                               "with a timeout error. 0: no limit.",
                .example = "30000", .minimum = 0},
          Field{.name = "zero_dates", .default_value = "error", .choices = {"error", "null"},
                .description = "How a zero date (0000-00-00) reads: an error naming the column, or NULL.",
                .example = "null"},
          Field{.name = "bulk_insert", .default_value = "load_data", .choices = {"load_data", "insert"},
                .description = "How batches of 128 rows and more are inserted: LOAD DATA LOCAL INFILE fed from "
                               "memory (about 1.7 times as fast) or multi-row INSERTs. A server with "
                               "local_infile=OFF gets INSERTs either way.",
                .example = "insert"},
          postgres_name("sslmode", "ssl_mode"),
          postgres_name("sslrootcert", "ssl_ca"),
          postgres_name("sslcert", "ssl_cert"),
          postgres_name("sslkey", "ssl_key"),
      },
      &tls_problem};
  return spec;
}

Settings read_settings(const ConnectionConfig& config) {
  config::Section options = read_url_options(config, url_options_spec());
  Settings s;
  s.connect_timeout = static_cast<unsigned>(options.integer("connect_timeout"));
  s.ssl_mode = options.string("ssl_mode");
  s.ssl_ca = options.string("ssl_ca");
  s.ssl_cert = options.string("ssl_cert");
  s.ssl_key = options.string("ssl_key");
  s.ssl_capath = options.string("ssl_capath");
  s.session.zero_dates_as_null = options.string("zero_dates") == "null";
  s.session.load_data = options.string("bulk_insert") == "load_data";
  // UTC so TIMESTAMP reads as timestamptz; strict mode so a value the column cannot hold is an
  // error, never silently truncated or zeroed; MariaDB's max_statement_time for query_timeout.
  s.init_command = "SET time_zone = '+00:00', sql_mode = CONCAT_WS(',', @@sql_mode, 'STRICT_ALL_TABLES')";
  if (config.connect_timeout)
    s.connect_timeout = static_cast<unsigned>(std::max<std::int64_t>((config.connect_timeout->count() + 999) / 1000, 1));
  if (config.read_only) s.read_only_command = "SET SESSION TRANSACTION READ ONLY";
  std::int64_t query_timeout_ms = config.query_timeout ? config.query_timeout->count() : options.integer("query_timeout");
  if (query_timeout_ms)
    s.init_command += fmt::format(", max_statement_time = {:.3f}", double(query_timeout_ms) / 1000.0);
  return s;
}

}  // namespace weir::db::mysql
