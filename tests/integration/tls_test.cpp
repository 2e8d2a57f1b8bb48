// TLS against the harness's real servers: sslmode / ssl_mode, server certificate checks
// (CA and host name) and client-certificate login. The harness generates a throw-away CA
// (WEIR_TEST_TLS_CA), an unrelated CA (WEIR_TEST_TLS_WRONG_CA) and a client certificate for
// the PostgreSQL role and MariaDB user weir_cert (WEIR_TEST_TLS_CLIENT_CERT / _KEY; MariaDB:
// REQUIRE SUBJECT '/CN=weir_cert' AND ISSUER the harness CA). The PostgreSQL server
// certificate names only DNS:localhost; the MariaDB one DNS:localhost and IP:127.0.0.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

#include "support/test_support.hpp"
#include "weir/batch.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

struct Tls {
  std::string ca, wrong_ca, client_cert, client_key;
};

constexpr const char* kNoTls =
    "needs the harness's server URL and TLS files (WEIR_TEST_*_URL, WEIR_TEST_TLS_*): run through "
    "tests/harness/with-servers.sh";

// The harness's TLS files; nullopt (and a failure under CI=true) when they are not exported.
std::optional<Tls> tls_files() {
  const char* ca = std::getenv("WEIR_TEST_TLS_CA");
  const char* wrong = std::getenv("WEIR_TEST_TLS_WRONG_CA");
  const char* cert = std::getenv("WEIR_TEST_TLS_CLIENT_CERT");
  const char* key = std::getenv("WEIR_TEST_TLS_CLIENT_KEY");
  if (!ca || !wrong || !cert || !key) {
    if (test::running_under_ci()) ADD_FAILURE() << "WEIR_TEST_TLS_* are not set (run under tests/harness/with-servers.sh)";
    return std::nullopt;
  }
  return Tls{ca, wrong, cert, key};
}

std::unique_ptr<db::Connection> connect(const Url& url) {
  db::ConnectionConfig config;
  config.url = url;
  return db::connect(config);
}

// First column of the first row as text ("" when there is no row).
std::string scalar(db::Connection& c, std::string_view sql) {
  auto cursor = c.query(sql);
  Batch batch;
  while (cursor->next(batch, 10)) {
    if (batch.rows() == 0) continue;
    const Value& v = batch.at(0, batch.width() - 1);
    if (v.is_null()) return "<null>";
    if (v.type() == Type::boolean) return v.as_bool() ? "true" : "false";
    return v.as_text();
  }
  return "";
}

// Connecting must fail; returns the error.
Error connect_error(const Url& url) {
  try {
    connect(url);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "connected to " << url.to_string();
  return Error(ErrorKind::internal, "connected");
}

void expect_clean_message(const Error& e, const Url& url) {
  std::string what = e.what();
  EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  if (!url.password.empty()) {
    EXPECT_EQ(what.find(url.password), std::string::npos) << what;
  }
}

// A harness server's URL and the TLS files made for it.
struct ServerTls {
  Url url;
  Tls tls;
};

std::optional<ServerTls> tls_setup(const char* url_variable) {
  auto url = test::server_url(url_variable);
  if (!url) return std::nullopt;
  auto tls = tls_files();
  if (!tls) return std::nullopt;
  return ServerTls{Url::parse(*url), *tls};
}

std::optional<ServerTls> pg_setup() { return tls_setup("WEIR_TEST_PG_URL"); }
std::optional<ServerTls> my_setup() { return tls_setup("WEIR_TEST_MYSQL_URL"); }

// `url` as the certificate-authenticated user weir_cert (no password), checking the server
// against the harness CA with `sslmode`.
Url as_certificate_user(Url url, std::string_view sslmode, const Tls& tls) {
  url.user = "weir_cert";
  url.password.clear();
  url.set_option("sslmode", sslmode);
  url.set_option("sslrootcert", tls.ca);
  return url;
}

constexpr std::string_view kPgSsl = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

TEST(Tls, PostgresVerifyFullWithTheRightCaUsesTls) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.host = "localhost";  // the name in the server certificate
  u.set_option("sslmode", "verify-full");
  u.set_option("sslrootcert", s->tls.ca);
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, kPgSsl), "true");
}

TEST(Tls, PostgresVerifyFullWithAWrongCaIsAConnectionError) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.host = "localhost";
  u.set_option("sslmode", "verify-full");
  u.set_option("sslrootcert", s->tls.wrong_ca);
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::connection) << e.what();
  EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
  expect_clean_message(e, u);
}

TEST(Tls, PostgresVerifyFullChecksTheHostNameAndVerifyCaDoesNot) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.host = "127.0.0.1";  // not in the certificate (DNS:localhost only)
  u.set_option("sslmode", "verify-full");
  u.set_option("sslrootcert", s->tls.ca);
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::connection) << e.what();
  EXPECT_NE(std::string(e.what()).find("does not match host name"), std::string::npos) << e.what();
  expect_clean_message(e, u);

  u.set_option("sslmode", "verify-ca");
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, kPgSsl), "true");
}

TEST(Tls, PostgresVerifyCaWithAWrongCaFails) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.set_option("sslmode", "verify-ca");
  u.set_option("sslrootcert", s->tls.wrong_ca);
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::connection) << e.what();
  expect_clean_message(e, u);
}

TEST(Tls, PostgresRequireAndPreferUseTls) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  for (const char* mode : {"require", "prefer"}) {
    Url u = s->url;
    u.set_option("sslmode", mode);
    auto c = connect(u);
    EXPECT_EQ(scalar(*c, kPgSsl), "true") << mode;
  }
}

TEST(Tls, PostgresDisableConnectsWithoutTls) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.set_option("sslmode", "disable");
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, kPgSsl), "false");
}

TEST(Tls, PostgresClientCertificateLogin) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.host = "localhost";
  u = as_certificate_user(u, "verify-full", s->tls);
  u.set_option("sslcert", s->tls.client_cert);
  u.set_option("sslkey", s->tls.client_key);
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, "SELECT current_user"), "weir_cert");
  EXPECT_EQ(scalar(*c, kPgSsl), "true");
}

TEST(Tls, PostgresCertificateRoleWithoutACertificateIsAnAuthError) {
  auto s = pg_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  for (const char* mode : {"verify-full", "require", "prefer"}) {
    Url u = s->url;
    u.host = "localhost";
    u = as_certificate_user(u, mode, s->tls);
    Error e = connect_error(u);
    EXPECT_EQ(e.kind(), ErrorKind::auth) << mode << ": " << e.what();
    EXPECT_FALSE(e.retryable()) << mode;
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
    expect_clean_message(e, s->url);
  }
}

constexpr std::string_view kMyCipher = "SHOW STATUS LIKE 'Ssl_cipher'";

TEST(Tls, MariadbVerifyFullWithTheRightCaUsesTls) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;  // 127.0.0.1: in the MariaDB server certificate as an IP SAN
  u.set_option("ssl_mode", "verify-full");
  u.set_option("ssl_ca", s->tls.ca);
  auto c = connect(u);
  EXPECT_NE(scalar(*c, kMyCipher), "");
}

TEST(Tls, MariadbVerifyFullWithAWrongCaIsAConnectionError) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.set_option("ssl_mode", "verify-full");
  u.set_option("ssl_ca", s->tls.wrong_ca);
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::connection) << e.what();
  EXPECT_FALSE(e.retryable()) << "a certificate that does not verify stays so: " << e.what();
  EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
  expect_clean_message(e, u);
}

TEST(Tls, MariadbVerifyCaChecksTheCa) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.set_option("ssl_mode", "verify-ca");
  u.set_option("ssl_ca", s->tls.ca);
  auto c = connect(u);
  EXPECT_NE(scalar(*c, kMyCipher), "");

  u.set_option("ssl_ca", s->tls.wrong_ca);
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::connection) << e.what();
  EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
  expect_clean_message(e, u);
}

TEST(Tls, MariadbVerifyCaWithoutACaIsAConfigError) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.set_option("ssl_mode", "verify-ca");
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
  EXPECT_NE(std::string(e.what()).find("ssl_ca"), std::string::npos) << e.what();
  expect_clean_message(e, u);
}

TEST(Tls, MariadbRequireAndPreferUseTls) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  for (const char* mode : {"require", "prefer"}) {
    Url u = s->url;
    u.set_option("ssl_mode", mode);
    auto c = connect(u);
    EXPECT_NE(scalar(*c, kMyCipher), "") << mode;
  }
  auto c = connect(s->url);  // prefer is the default
  EXPECT_NE(scalar(*c, kMyCipher), "");
}

TEST(Tls, MariadbDisableConnectsWithoutTls) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.set_option("ssl_mode", "disable");
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, kMyCipher), "");
  // The file options do not switch TLS back on.
  u.set_option("ssl_ca", s->tls.ca);
  auto c2 = connect(u);
  EXPECT_EQ(scalar(*c2, kMyCipher), "");
}

// The same option names as the PostgreSQL URL above.
TEST(Tls, MariadbClientCertificateLogin) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = as_certificate_user(s->url, "verify-full", s->tls);
  u.set_option("sslcert", s->tls.client_cert);
  u.set_option("sslkey", s->tls.client_key);
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, "SELECT CURRENT_USER()"), "weir_cert@127.0.0.1");
  EXPECT_NE(scalar(*c, kMyCipher), "");
}

TEST(Tls, MariadbClientCertificateWithTheMysqlOptionNames) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  Url u = s->url;
  u.user = "weir_cert";
  u.password.clear();
  u.set_option("ssl_mode", "require");
  u.set_option("ssl_cert", s->tls.client_cert);
  u.set_option("ssl_key", s->tls.client_key);
  auto c = connect(u);
  EXPECT_EQ(scalar(*c, "SELECT CURRENT_USER()"), "weir_cert@127.0.0.1");

  u.set_option("sslcert", s->tls.client_cert);  // the same option under both names
  Error e = connect_error(u);
  EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
  EXPECT_NE(std::string(e.what()).find("given twice"), std::string::npos) << e.what();
}

TEST(Tls, MariadbCertificateUserWithoutACertificateIsAnAuthError) {
  auto s = my_setup();
  if (!s) GTEST_SKIP() << kNoTls;
  for (const char* mode : {"verify-full", "require", "prefer"}) {
    Url u = as_certificate_user(s->url, mode, s->tls);
    Error e = connect_error(u);
    EXPECT_EQ(e.kind(), ErrorKind::auth) << mode << ": " << e.what();
    EXPECT_FALSE(e.retryable()) << mode;
    EXPECT_NE(std::string(e.what()).find("Access denied for user 'weir_cert'"), std::string::npos) << e.what();
    expect_clean_message(e, s->url);
  }
}

}  // namespace
}  // namespace weir
