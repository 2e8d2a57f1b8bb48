#include "db/mysql/driver.hpp"

#include <fmt/format.h>

#include <mutex>
#include <utility>

#include <errmsg.h>

#include "db/mysql/catalog.hpp"
#include "db/mysql/connection.hpp"
#include "db/mysql/dialect.hpp"
#include "db/mysql/errors.hpp"
#include "db/mysql/options.hpp"
#include "db/mysql/types.hpp"

namespace weir::db::mysql {
namespace {

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
  if (!s.read_only_command.empty()) mysql_optionsv(db.get(), MYSQL_INIT_COMMAND, s.read_only_command.c_str());
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

const UrlScheme& MyDriver::url_scheme() const noexcept {
  static constexpr std::string_view kAliases[] = {"mariadb"};
  static const UrlScheme scheme{"mysql", kAliases};
  return scheme;
}

const config::Spec& MyDriver::url_options() const { return url_options_spec(); }

const Dialect& MyDriver::dialect() const {
  static const MyDialect dialect;
  return dialect;
}

const Catalog& MyDriver::catalog() const {
  static const MyCatalog catalog;
  return catalog;
}

std::string MyDriver::types_reference() const { return types_reference_markdown(); }

std::unique_ptr<Connection> MyDriver::connect(const ConnectionConfig& config) const {
  if (!config.init_script.empty())
    throw Error(ErrorKind::unsupported, fmt::format("{}: `init` scripts are for SQLite databases", config.describe()));
  Settings settings = read_settings(config);  // every option checked before the network is touched
  DbHandle db = open(config, settings);
  unsigned long thread_id = mysql_thread_id(db.get());
  return std::make_unique<MyConnection>(std::move(db), settings.session, thread_id,
                                        [config, settings] { return open(config, settings); });
}

}  // namespace weir::db::mysql
