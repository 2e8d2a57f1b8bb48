#include "db/postgres/driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/text.hpp"
#include "db/postgres/connection.hpp"
#include "db/postgres/errors.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::array<std::string_view, 10> kOptions{"sslmode",         "sslrootcert",     "sslcert", "sslkey",
                                                    "application_name", "connect_timeout", "options",
                                                    "target_session_attrs", "query_timeout", "bulk_merge"};

// Settings that make the text form of every value canonical for types.cpp to parse.
constexpr std::string_view kSessionOptions =
    "-c DateStyle=ISO -c IntervalStyle=iso_8601 -c TimeZone=UTC -c extra_float_digits=3";

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
      {"options", std::string(kSessionOptions)},
  };
  BulkMerge bulk_merge = BulkMerge::automatic;
  for (const auto& [key, value] : url.options) {
    if (std::find(kOptions.begin(), kOptions.end(), key) == kOptions.end())
      throw Error(ErrorKind::config, fmt::format("{}: unknown option `{}`{}", config.describe(), key,
                                                 did_you_mean(key, kOptions)));
    if (key == "bulk_merge") {  // weir's own: see BulkMerge
      if (value == "auto") bulk_merge = BulkMerge::automatic;
      else if (value == "copy") bulk_merge = BulkMerge::copy;
      else if (value == "statements") bulk_merge = BulkMerge::statements;
      else
        throw Error(ErrorKind::config, fmt::format("{}: option bulk_merge={} is invalid, expected auto, copy or statements",
                                                   config.describe(), value));
      continue;
    }
    if (key == "options") {
      params.back().second += " " + value;
      continue;
    }
    if (key == "query_timeout") {  // milliseconds, enforced by the server for every statement
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        throw Error(ErrorKind::config, fmt::format("{}: option query_timeout={} is invalid, expected milliseconds",
                                                   config.describe(), value));
      params.back().second += " -c statement_timeout=" + value;
      continue;
    }
    auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == key; });
    if (it != params.end()) it->second = value;
    else params.emplace_back(key, value);
  }
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  ConnHandle conn(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    std::string context = fmt::format("connecting to {}", config.describe());
    if (conn && refused_by_server_auth(PQerrorMessage(conn.get())))
      throw Error(ErrorKind::auth, fmt::format("{}: {}", context, one_line(PQerrorMessage(conn.get()))), "28000",
                  false);
    throw_connection_error(conn.get(), context);
  }
  return std::make_unique<PgConnection>(std::move(conn), bulk_merge);
}

}  // namespace weir::db::postgres
