#include "db/postgres/driver.hpp"

#include <fmt/format.h>

#include <span>

#include "core/text.hpp"
#include "db/postgres/catalog.hpp"
#include "db/postgres/connection.hpp"
#include "db/postgres/dialect.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/options.hpp"
#include "db/postgres/session.hpp"
#include "db/postgres/types.hpp"

namespace weir::db::postgres {
namespace {

// Server-side refusals that throw_connection_error does not recognise as authentication
// failures: a `cert` pg_hba line without a client certificate, and a `reject` line (e.g. the
// non-TLS retry of sslmode=prefer/allow for a role that may only log in with a certificate).
bool refused_by_server_auth(std::string_view message) {
  return message.find("requires a valid client certificate") != std::string_view::npos ||
         message.find("pg_hba.conf rejects connection") != std::string_view::npos;
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : trim(text)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

[[noreturn]] void connect_failed(PGconn* conn, const ConnectionConfig& config) {
  std::string context = fmt::format("connecting to {}", config.describe());
  std::string message = conn ? one_line(PQerrorMessage(conn)) : "";
  if (refused_by_server_auth(message))
    throw Error(ErrorKind::auth, fmt::format("{}: {}", context, message), "28000", false);
  // PgBouncer refuses startup parameters it does not track; trying again cannot help.
  if (message.find("unsupported startup parameter") != std::string::npos)
    throw Error(ErrorKind::config,
                fmt::format("{}: {} (weir sends the startup parameter `options` only for the URL options `options` "
                            "and `query_timeout` and the connection options `query_timeout` and `read_only`, which a connection pooler may refuse: set them for the role "
                            "instead, e.g. ALTER ROLE … SET statement_timeout = …)",
                            context, message),
                "08P01", false);
  throw_connection_error(conn, context);
}

}  // namespace

const UrlScheme& PgDriver::url_scheme() const noexcept {
  static constexpr std::string_view kAliases[] = {"postgresql"};
  static const UrlScheme scheme{"postgres", kAliases};
  return scheme;
}

const config::Spec& PgDriver::url_options() const { return url_options_spec(); }

const Dialect& PgDriver::dialect() const {
  static const PgDialect dialect;
  return dialect;
}

const Catalog& PgDriver::catalog() const {
  static const PgCatalog catalog;
  return catalog;
}

std::string PgDriver::types_reference() const { return types_reference_markdown(); }

namespace {

// Logs in with the URL's settings (TLS options and the rest go to libpq as they are) and
// `extra` connection parameters.
ConnHandle log_in(const ConnectionConfig& config, const Settings& settings,
                  std::span<const std::pair<std::string, std::string>> extra) {
  const Url& url = config.url;
  std::vector<std::pair<std::string, std::string>> params{
      {"host", url.host.empty() ? "localhost" : url.host},
      {"port", std::to_string(url.port ? url.port : 5432)},
      {"dbname", url.database.empty() ? url.user : url.database},
      {"user", url.user},
      {"password", url.password},
      {"client_encoding", "UTF8"},
  };
  params.insert(params.end(), settings.libpq.begin(), settings.libpq.end());
  params.emplace_back("options", settings.server_options);
  params.insert(params.end(), extra.begin(), extra.end());
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  ConnHandle conn(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) connect_failed(conn.get(), config);
  return conn;
}

}  // namespace

std::unique_ptr<Connection> PgDriver::connect(const ConnectionConfig& config) const {
  if (!config.init_script.empty())
    throw Error(ErrorKind::unsupported, fmt::format("{}: `init` scripts are for SQLite databases", config.describe()));
  Settings settings = read_settings(config);  // every option checked before the network is touched
  ConnHandle conn = log_in(config, settings, {});
  bool transaction_pooler = false;
  try {
    transaction_pooler = start_session(conn.get(), settings.pooler, settings.query_timeout);
  } catch (Error& e) {
    throw e.add_context(fmt::format("connecting to {}", config.describe()));
  }
  return std::make_unique<PgConnection>(std::move(conn), settings.bulk_merge, transaction_pooler);
}

ConnHandle connect_replication(const ConnectionConfig& config) {
  Settings settings = read_settings(config);
  static const std::pair<std::string, std::string> kReplication[] = {{"replication", "database"}};
  ConnHandle conn = log_in(config, settings, kReplication);
  try {
    start_session(conn.get(), Pooler::none, settings.query_timeout);
  } catch (Error& e) {
    throw e.add_context(fmt::format("connecting to {}", config.describe()));
  }
  return conn;
}

}  // namespace weir::db::postgres
