#include "db/postgres/driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/text.hpp"
#include "db/postgres/connection.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/session.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::array<std::string_view, 11> kOptions{
    "sslmode", "sslrootcert",          "sslcert",       "sslkey",     "application_name", "connect_timeout",
    "options", "target_session_attrs", "query_timeout", "bulk_merge", "pooler"};

// What the URL asks of the session besides libpq's own parameters.
struct Settings {
  BulkMerge bulk_merge = BulkMerge::automatic;
  Pooler pooler = Pooler::automatic;
  // The `options` startup parameter, sent only when the URL asks for it (options, query_timeout):
  // poolers refuse it (PgBouncer by default), so weir's own settings are SET (session.hpp).
  std::string server_options;
  std::string query_timeout;  // milliseconds, checked against the session's statement_timeout
};

// Reads one of weir's own options into `settings`; false for an option libpq takes as it is.
bool read_own_option(const ConnectionConfig& config, const std::string& key, const std::string& value,
                     Settings& settings) {
  auto invalid = [&](std::string_view expected) {
    return Error(ErrorKind::config,
                 fmt::format("{}: option {}={} is invalid, expected {}", config.describe(), key, value, expected));
  };
  if (key == "bulk_merge") {  // see BulkMerge
    if (value == "auto") settings.bulk_merge = BulkMerge::automatic;
    else if (value == "copy") settings.bulk_merge = BulkMerge::copy;
    else if (value == "statements") settings.bulk_merge = BulkMerge::statements;
    else throw invalid("auto, copy or statements");
  } else if (key == "pooler") {  // see Pooler
    if (value == "auto") settings.pooler = Pooler::automatic;
    else if (value == "none") settings.pooler = Pooler::none;
    else if (value == "transaction") settings.pooler = Pooler::transaction;
    else throw invalid("auto, none or transaction");
  } else if (key == "options") {
    settings.server_options += (settings.server_options.empty() ? "" : " ") + value;
  } else if (key == "query_timeout") {  // milliseconds, enforced by the server for every statement
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) throw invalid("milliseconds");
    settings.query_timeout = value;
    settings.server_options += (settings.server_options.empty() ? "" : " ") + ("-c statement_timeout=" + value);
  } else {
    return false;
  }
  return true;
}

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
                            "and `query_timeout`, which a connection pooler may refuse: set them for the role "
                            "instead, e.g. ALTER ROLE … SET statement_timeout = …)",
                            context, message),
                "08P01", false);
  throw_connection_error(conn, context);
}

}  // namespace

std::unique_ptr<Connection> PgDriver::connect(const ConnectionConfig& config) const {
  if (!config.init_script.empty())
    throw Error(ErrorKind::unsupported, fmt::format("{}: `init` scripts are for SQLite databases", config.describe()));
  const Url& url = config.url;
  std::vector<std::pair<std::string, std::string>> params{
      {"host", url.host.empty() ? "localhost" : url.host},
      {"port", std::to_string(url.port ? url.port : 5432)},
      {"dbname", url.database.empty() ? url.user : url.database},
      {"user", url.user},
      {"password", url.password},
      {"client_encoding", "UTF8"},
      {"application_name", "weir"},
      {"connect_timeout", "10"},
  };
  Settings settings;
  for (const auto& [key, value] : url.options) {
    if (std::find(kOptions.begin(), kOptions.end(), key) == kOptions.end())
      throw Error(ErrorKind::config, fmt::format("{}: unknown option `{}`{}", config.describe(), key,
                                                 did_you_mean(key, kOptions)));
    if (read_own_option(config, key, value, settings)) continue;
    auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == key; });
    if (it != params.end()) it->second = value;
    else params.emplace_back(key, value);
  }
  params.emplace_back("options", settings.server_options);
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
  bool transaction_pooler = false;
  try {
    transaction_pooler = start_session(conn.get(), settings.pooler, settings.query_timeout);
  } catch (Error& e) {
    throw e.add_context(fmt::format("connecting to {}", config.describe()));
  }
  return std::make_unique<PgConnection>(std::move(conn), settings.bulk_merge, transaction_pooler);
}

}  // namespace weir::db::postgres
