#include "db/mysql/driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <set>
#include <utility>

#include <errmsg.h>

#include "core/text.hpp"
#include "db/mysql/connection.hpp"
#include "db/mysql/errors.hpp"

namespace weir::db::mysql {
namespace {

constexpr std::array<std::string_view, 13> kOptions{
    "ssl_mode",    "ssl_ca",        "ssl_cert",    "ssl_key", "ssl_capath", "connect_timeout", "zero_dates",
    "query_timeout", "bulk_insert", "sslmode",     "sslrootcert", "sslcert", "sslkey"};

// PostgreSQL's names for the TLS options mean the same here, so one set of names serves both
// servers' URLs.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kPostgresNames{
    {{"sslmode", "ssl_mode"}, {"sslrootcert", "ssl_ca"}, {"sslcert", "ssl_cert"}, {"sslkey", "ssl_key"}}};

std::string_view canonical_option(std::string_view key) {
  for (const auto& [postgres, mine] : kPostgresNames)
    if (key == postgres) return mine;
  return key;
}

struct Settings {
  unsigned connect_timeout = 10;
  std::string ssl_mode = "prefer";
  std::string ssl_ca, ssl_cert, ssl_key, ssl_capath;
  unsigned long query_timeout_ms = 0;  // 0: none
  std::string init_command;
  SessionOptions session;
};

Settings parse_settings(const ConnectionConfig& config) {
  Settings s;
  std::set<std::string_view> seen;
  for (const auto& [spelled, value] : config.url.options) {
    std::string_view key = canonical_option(spelled);
    auto bad = [&](std::string_view expected) {
      return Error(ErrorKind::config, fmt::format("{}: option {}={} is invalid, expected {}", config.describe(),
                                                  spelled, value, expected));
    };
    if (!seen.insert(key).second)
      throw Error(ErrorKind::config, fmt::format("{}: option {} is given twice (sslmode, sslrootcert, sslcert and "
                                                 "sslkey are other names for ssl_mode, ssl_ca, ssl_cert and ssl_key)",
                                                 config.describe(), key));
    if (key == "connect_timeout") {
      s.connect_timeout = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
      if (!s.connect_timeout) throw bad("a number of seconds");
    } else if (key == "query_timeout") {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) throw bad("milliseconds");
      s.query_timeout_ms = std::strtoul(value.c_str(), nullptr, 10);
    } else if (key == "zero_dates") {
      if (value != "error" && value != "null") throw bad("error or null");
      s.session.zero_dates_as_null = value == "null";
    } else if (key == "bulk_insert") {
      if (value != "load_data" && value != "insert") throw bad("load_data or insert");
      s.session.load_data = value == "load_data";
    } else if (key == "ssl_mode") {
      if (value != "disable" && value != "prefer" && value != "require" && value != "verify-ca" && value != "verify-full")
        throw bad("disable, prefer, require, verify-ca or verify-full");
      s.ssl_mode = value;
    } else if (key == "ssl_ca") s.ssl_ca = value;
    else if (key == "ssl_cert") s.ssl_cert = value;
    else if (key == "ssl_key") s.ssl_key = value;
    else if (key == "ssl_capath") s.ssl_capath = value;
    else
      throw Error(ErrorKind::config,
                  fmt::format("{}: unknown option `{}`{}", config.describe(), spelled, did_you_mean(spelled, kOptions)));
  }
  // Connector/C 3.3 checks the certificate chain only against an explicit CA, and the host
  // name only together with the chain (MYSQL_OPT_SSL_VERIFY_SERVER_CERT, which falls back to
  // the system CA store). verify-ca without a CA would silently check nothing.
  // UTC so TIMESTAMP reads as timestamptz; strict mode so a value the column cannot hold is an
  // error, never silently truncated or zeroed; MariaDB's max_statement_time for query_timeout.
  s.init_command = "SET time_zone = '+00:00', sql_mode = CONCAT_WS(',', @@sql_mode, 'STRICT_ALL_TABLES')";
  if (s.query_timeout_ms)
    s.init_command += fmt::format(", max_statement_time = {:.3f}", double(s.query_timeout_ms) / 1000.0);
  if (s.ssl_mode == "verify-ca" && s.ssl_ca.empty() && s.ssl_capath.empty())
    throw Error(ErrorKind::config, fmt::format("{}: ssl_mode=verify-ca needs ssl_ca (or ssl_capath), the CA to check the "
                                               "server certificate against",
                                               config.describe()));
  return s;
}

// Connector/C's message when TLS is enforced and the server does not offer it.
constexpr std::string_view kServerWithoutTls = "SSL is required, but the server does not support it";

// One connection attempt. `tls`: false = no TLS at all; true = TLS enforced, with the
// verification ssl_mode asks for (see driver.hpp for what Connector/C 3.3 can check).
DbHandle open_once(const ConnectionConfig& config, const Settings& s, bool tls) {
  static std::once_flag library_ready;
  std::call_once(library_ready, [] { mysql_library_init(0, nullptr, nullptr); });
  DbHandle db(mysql_init(nullptr));
  if (!db) throw Error(ErrorKind::internal, "mysql_init failed: out of memory");
  const Url& url = config.url;
  mysql_optionsv(db.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(db.get(), MYSQL_OPT_CONNECT_TIMEOUT, &s.connect_timeout);
  mysql_optionsv(db.get(), MYSQL_INIT_COMMAND, s.init_command.c_str());
  enable_local_infile(db.get());  // served from memory only (load_data.hpp)
  if (tls) {
    my_bool enforce = 1, verify = s.ssl_mode == "verify-full";
    mysql_optionsv(db.get(), MYSQL_OPT_SSL_ENFORCE, &enforce);
    mysql_optionsv(db.get(), MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    // Connector/C switches TLS on as soon as any ssl_* file is set, so only here; with a CA
    // (ssl_ca / ssl_capath) it also verifies the server's certificate chain.
    auto opt = [&](mysql_option o, const std::string& v) {
      if (!v.empty()) mysql_optionsv(db.get(), o, v.c_str());
    };
    opt(MYSQL_OPT_SSL_CA, s.ssl_ca);
    opt(MYSQL_OPT_SSL_CERT, s.ssl_cert);
    opt(MYSQL_OPT_SSL_KEY, s.ssl_key);
    opt(MYSQL_OPT_SSL_CAPATH, s.ssl_capath);
  }
  std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  // No CLIENT_FOUND_ROWS: affected rows are the rows changed, as Connection::execute promises.
  // With it the no-op update of an insert-or-ignore upsert (ON DUPLICATE KEY UPDATE k = k)
  // counts every existing row, and a single-row INSERT reports nothing else to tell them apart.
  if (!mysql_real_connect(db.get(), host.c_str(), url.user.c_str(), url.password.c_str(),
                          url.database.empty() ? nullptr : url.database.c_str(), url.port ? url.port : 3306, nullptr,
                          CLIENT_MULTI_STATEMENTS)) {
    // prefer: a server without TLS gets a plain connection (below; Connector/C reports this
    // only when it verifies, e.g. with ssl_ca); any other TLS failure, such as a certificate
    // that does not verify against ssl_ca, stays an error.
    if (s.ssl_mode == "prefer" && mysql_errno(db.get()) == CR_SSL_CONNECTION_ERROR &&
        std::string_view(mysql_error(db.get())).find(kServerWithoutTls) != std::string_view::npos)
      return nullptr;
    throw_connect_error(db.get(), fmt::format("connecting to {}", config.describe()));
  }
  // Connector/C 3.3 enforces TLS only when it also verifies the server certificate: with
  // require (no CA) against a server without TLS it silently connects in plain text.
  if (tls && s.ssl_mode != "prefer" && !mysql_get_ssl_cipher(db.get()))
    throw Error(ErrorKind::connection,
                fmt::format("connecting to {}: ssl_mode={} but the server does not support TLS", config.describe(),
                            s.ssl_mode),
                std::to_string(CR_SSL_CONNECTION_ERROR), false);
  return db;
}

DbHandle open(const ConnectionConfig& config, const Settings& s) {
  if (s.ssl_mode == "disable") return open_once(config, s, false);
  DbHandle db = open_once(config, s, true);
  if (!db) db = open_once(config, s, false);  // prefer, and the server has no TLS
  return db;
}

}  // namespace

std::unique_ptr<Connection> MyDriver::connect(const ConnectionConfig& config) const {
  if (!config.init_script.empty())
    throw Error(ErrorKind::unsupported, fmt::format("{}: `init` scripts are for SQLite databases", config.describe()));
  Settings settings = parse_settings(config);
  DbHandle db = open(config, settings);
  unsigned long thread_id = mysql_thread_id(db.get());
  return std::make_unique<MyConnection>(std::move(db), settings.session, thread_id,
                                        [config, settings] { return open(config, settings); });
}

}  // namespace weir::db::mysql
