#include "db/postgres/options.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "db/url_options.hpp"

namespace weir::db::postgres {
namespace {

using config::Field;

// The options libpq takes as they are: anything else is weir's.
constexpr std::array<std::string_view, 7> kLibpqOptions{
    "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "connect_timeout", "target_session_attrs"};

}  // namespace

const config::Spec& url_options_spec() {
  static const config::Spec spec{
      "postgres URLs",
      "Options of a `postgres://` (or `postgresql://`) URL, after `?`, e.g. "
      "`postgres://app@db:5432/shop?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem`. The TLS options, "
      "`application_name`, `connect_timeout` and `target_session_attrs` go to libpq unchanged, with libpq's meaning.",
      {
          Field{.name = "sslmode", .choices = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"},
                .description = "TLS: `verify-ca` checks the server's certificate chain against `sslrootcert`, "
                               "`verify-full` its host name too (an IP address must be among the certificate's IP "
                               "SANs). libpq's default, `prefer`, applies when not given.",
                .example = "verify-full"},
          Field{.name = "sslrootcert",
                .description = "CA certificate(s) the server's certificate must verify against; libpq's default "
                               "`~/.postgresql/root.crt`.",
                .example = "/etc/ssl/certs/db-ca.pem"},
          Field{.name = "sslcert",
                .description = "A client certificate, for pg_hba `cert` lines or `clientcert=verify-*`.",
                .example = "/etc/weir/client.crt"},
          Field{.name = "sslkey", .description = "The client certificate's private key.",
                .example = "/etc/weir/client.key"},
          Field{.name = "application_name", .default_value = "weir",
                .description = "The name the server shows in pg_stat_activity and its logs.", .example = "orders-sync"},
          Field{.name = "connect_timeout", .shapes = config::kInteger, .default_value = "10",
                .description = "Seconds to wait for the connection to be made; 0 waits for ever.", .example = "30",
                .minimum = 0},
          Field{.name = "target_session_attrs",
                .choices = {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"},
                .description = "With several hosts: which kind of server to settle on.", .example = "read-write"},
          Field{.name = "options",
                .description = "Server settings for the session as `-c name=value`, sent as the startup parameter "
                               "`options`, which connection poolers such as PgBouncer refuse: set them for the role "
                               "instead there (ALTER ROLE … SET).",
                .example = "-c work_mem=64MB"},
          Field{.name = "query_timeout", .shapes = config::kInteger,
                .description = "Milliseconds after which the server cancels a statement (statement_timeout): the "
                               "statement fails with a timeout error. 0: no limit. Sent like `options`.",
                .example = "30000", .minimum = 0},
          Field{.name = "bulk_merge", .default_value = "auto", .choices = {"auto", "copy", "statements"},
                .description = "How upserts, updates and deletes of a batch reach the server: `copy` stages the "
                               "rows with COPY and merges them in one statement, `statements` sends prepared "
                               "statements pipelined one per row, `auto` stages batches large enough to gain from it.",
                .example = "statements"},
          Field{.name = "pooler", .default_value = "auto", .choices = {"auto", "none", "transaction"},
                .description = "Whether a pooler in transaction mode (PgBouncer's pool_mode=transaction, RDS Proxy, "
                               "Supavisor) sits between weir and the server: then no statement is kept prepared "
                               "between transactions. `auto` detects it.",
                .example = "transaction"},
      }};
  return spec;
}

Settings read_settings(const ConnectionConfig& config) {
  config::Section options = read_url_options(config, url_options_spec());
  Settings s;
  for (std::string_view name : kLibpqOptions)
    if (std::string value = options.string(name); !value.empty()) s.libpq.emplace_back(name, std::move(value));
  std::string bulk_merge = options.string("bulk_merge");
  s.bulk_merge = bulk_merge == "copy"         ? BulkMerge::copy
                 : bulk_merge == "statements" ? BulkMerge::statements
                                              : BulkMerge::automatic;
  std::string pooler = options.string("pooler");
  s.pooler = pooler == "none" ? Pooler::none : pooler == "transaction" ? Pooler::transaction : Pooler::automatic;
  if (options.has("query_timeout")) s.query_timeout = std::to_string(options.integer("query_timeout"));
  if (config.query_timeout) s.query_timeout = std::to_string(config.query_timeout->count());
  if (config.connect_timeout) {
    // libpq counts whole seconds; a fraction waits the next whole second rather than for ever (0).
    auto seconds = (config.connect_timeout->count() + 999) / 1000;
    for (auto& [name, value] : s.libpq)
      if (name == "connect_timeout") value = std::to_string(std::max<std::int64_t>(seconds, 1));
  }
  // In the URL's order: the server takes the last of two settings of one name.
  for (const auto& [key, value] : config.url.options) {
    std::string part = key == "options"         ? value
                       : key == "query_timeout" ? "-c statement_timeout=" + s.query_timeout
                                                : "";
    if (!part.empty()) s.server_options += (s.server_options.empty() ? "" : " ") + part;
  }
  // The connection's own options (connections.NAME.…), which the URL cannot also set.
  auto add = [&](std::string part) { s.server_options += (s.server_options.empty() ? "" : " ") + part; };
  if (config.query_timeout) add("-c statement_timeout=" + s.query_timeout);
  if (config.read_only) add("-c default_transaction_read_only=on");
  return s;
}

}  // namespace weir::db::postgres
