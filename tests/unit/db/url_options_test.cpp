// Each driver's URL options, declared once as a spec: checked without connecting, read with
// their defaults, and the schemes that Url::parse accepts come from the registry.
#include <gtest/gtest.h>

#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "db/mysql/options.hpp"
#include "db/postgres/options.hpp"
#include "db/sqlite/options.hpp"
#include "db/url_options.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

using Problems = std::vector<std::string>;

Problems problems(const std::string& url) { return url_option_problems(Url::parse(url)); }

TEST(UrlOptions, AMisspeltValueIsNamedWithTheChoicesAndTheClosest) {
  EXPECT_EQ(problems("postgres://h/db?bulk_merge=cpy"),
            Problems{"option `bulk_merge`: `cpy` is not one of: auto, copy, statements (did you mean `copy`?)"});
  EXPECT_EQ(problems("mariadb://h/db?zero_dates=nul"),
            Problems{"option `zero_dates`: `nul` is not one of: error, null (did you mean `null`?)"});
  EXPECT_EQ(problems("sqlite:x.db?journal_mode=wall"),
            Problems{"option `journal_mode`: `wall` is not one of: wal, delete, truncate, persist, memory, off (did "
                     "you mean `wal`?)"});
}

TEST(UrlOptions, AnUnknownOptionIsNamedWithTheClosest) {
  EXPECT_EQ(problems("postgres://h/db?bulkmerge=copy"),
            Problems{"unknown option `bulkmerge` for postgres URLs (did you mean `bulk_merge`?)"});
  EXPECT_EQ(problems("mysql://h/db?ssl-mode=require"),
            Problems{"unknown option `ssl-mode` for mysql URLs (did you mean `ssl_mode`?)"});
  EXPECT_EQ(problems("sqlite:x.db?busy_timout=5"),
            Problems{"unknown option `busy_timout` for sqlite URLs (did you mean `busy_timeout`?)"});
}

TEST(UrlOptions, NumbersAreCheckedForShapeAndRange) {
  EXPECT_EQ(problems("postgres://h/db?connect_timeout=5s&query_timeout=-1"),
            (Problems{"option `connect_timeout`: `5s` is not an integer",
                      "option `query_timeout`: must be at least 0 (got -1)"}));
  EXPECT_EQ(problems("mysql://h/db?connect_timeout=0"),
            Problems{"option `connect_timeout`: must be at least 1 (got 0)"});
  EXPECT_EQ(problems("sqlite:x.db?busy_timeout=10ms&cache_size=-1"),
            (Problems{"option `busy_timeout`: `10ms` is not an integer",
                      "option `cache_size`: must be at least 0 (got -1)"}));
}

TEST(UrlOptions, EveryOptionTheDriversTookBeforeIsStillAccepted) {
  EXPECT_EQ(problems("postgres://h/db?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.crt&sslkey=/c.key"
                     "&application_name=orders&connect_timeout=5&target_session_attrs=read-write"
                     "&options=-c%20work_mem%3D64MB&query_timeout=500&bulk_merge=statements&pooler=transaction"),
            Problems{});
  EXPECT_EQ(problems("mysql://h/db?ssl_mode=verify-ca&ssl_ca=/ca.pem&ssl_capath=/certs&ssl_cert=/c.crt"
                     "&ssl_key=/c.key&connect_timeout=5&query_timeout=500&zero_dates=null&bulk_insert=insert"),
            Problems{});
  EXPECT_EQ(problems("mysql://h/db?sslmode=require&sslrootcert=/ca.pem&sslcert=/c.crt&sslkey=/c.key"), Problems{});
  EXPECT_EQ(problems("sqlite:x.db?mode=ro&busy_timeout=250&journal_mode=DELETE&synchronous=Normal&foreign_keys=off"
                     "&cache_size=4000&mmap_size=0"),
            Problems{}) << "SQLite's pragma values match in any case";
}

TEST(UrlOptions, AnOptionUnderBothItsNamesIsGivenTwice) {
  EXPECT_EQ(problems("mysql://h/db?ssl_cert=/a.crt&sslcert=/b.crt"),
            Problems{"option `ssl_cert` is given twice (`sslcert` is another name for it)"});
}

TEST(UrlOptions, PostgresSettingsHaveTheirDefaultsAndPassLibpqOptionsOn) {
  auto settings = [](const std::string& url) {
    return postgres::read_settings(ConnectionConfig{.name = "pg", .url = Url::parse(url), .init_script = {}});
  };
  postgres::Settings plain = settings("postgres://h/db");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(plain.libpq, (Pairs{{"application_name", "weir"}, {"connect_timeout", "10"}}));
  EXPECT_EQ(plain.bulk_merge, postgres::BulkMerge::automatic);
  EXPECT_EQ(plain.pooler, postgres::Pooler::automatic);
  EXPECT_EQ(plain.server_options, "");

  postgres::Settings set = settings("postgres://h/db?sslmode=require&connect_timeout=3&bulk_merge=copy&pooler=none"
                                    "&options=-c%20work_mem%3D64MB&query_timeout=250");
  EXPECT_EQ(set.libpq, (Pairs{{"sslmode", "require"}, {"application_name", "weir"}, {"connect_timeout", "3"}}));
  EXPECT_EQ(set.bulk_merge, postgres::BulkMerge::copy);
  EXPECT_EQ(set.pooler, postgres::Pooler::none);
  EXPECT_EQ(set.server_options, "-c work_mem=64MB -c statement_timeout=250");
  EXPECT_EQ(set.query_timeout, "250");

  try {
    settings("postgres://app:canary-pw@h/db?bulk_merge=cpy");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(std::string(e.what()), "connection `pg` (postgres://app:***@h/db?bulk_merge=cpy): option `bulk_merge`: "
                                     "`cpy` is not one of: auto, copy, statements (did you mean `copy`?)");
  }
}

TEST(UrlOptions, MysqlAndSqliteSettingsHaveTheirDefaults) {
  auto config = [](const std::string& url) {
    return ConnectionConfig{.name = "c", .url = Url::parse(url), .init_script = {}};
  };
  mysql::Settings my = mysql::read_settings(config("mysql://h/db"));
  EXPECT_EQ(my.ssl_mode, "prefer");
  EXPECT_EQ(my.connect_timeout, 10u);
  EXPECT_FALSE(my.session.zero_dates_as_null);
  EXPECT_TRUE(my.session.load_data);
  mysql::Settings named = mysql::read_settings(config("mysql://h/db?sslmode=verify-ca&sslrootcert=/ca.pem"));
  EXPECT_EQ(named.ssl_mode, "verify-ca") << "PostgreSQL's names are read as MySQL's";
  EXPECT_EQ(named.ssl_ca, "/ca.pem");

  sqlite::Options lite = sqlite::read_options(config("sqlite:x.db?journal_mode=DELETE"));
  EXPECT_EQ(lite.journal_mode, "delete");
  EXPECT_EQ(lite.busy_timeout_ms, 5000);
  EXPECT_EQ(lite.synchronous, "full");
  EXPECT_EQ(lite.cache_size_kib, 2000);
}

TEST(UrlOptions, ValidatingAConnectionFileReportsThemWithTheYamlPath) {
  std::string yaml = "connections:\n"
                     "  shop: \"postgres://app@db/shop?bulk_merge=cpy\"\n"
                     "  crm: { url: \"mysql://u@h/crm?colour=blue\" }\n";
  config::Document doc = config::parse_document(yaml, "/srv/w.yaml");
  config::Diagnostics d("/srv/w.yaml");
  Connections read = read_connections(doc, d);
  EXPECT_TRUE(read.empty());
  EXPECT_EQ(d.messages(),
            (Problems{"/srv/w.yaml:2:9: connections.shop: option `bulk_merge`: `cpy` is not one of: auto, copy, "
                      "statements (did you mean `copy`?)",
                      "/srv/w.yaml:3:15: connections.crm.url: unknown option `colour` for mysql URLs"}));
}

// verify-ca checks the chain only against a CA the URL names: without one it would check
// nothing, so validation rejects it without connecting — under either name of each option.
TEST(UrlOptions, MysqlVerifyCaWithoutACaIsRejectedWithoutConnecting) {
  const std::string needs_ca =
      "ssl_mode=verify-ca needs ssl_ca (or ssl_capath), the CA to check the server certificate against";
  EXPECT_EQ(problems("mysql://h/db?ssl_mode=verify-ca"), Problems{needs_ca});
  EXPECT_EQ(problems("mariadb://h/db?sslmode=verify-ca&ssl_cert=/c.crt"), Problems{needs_ca});
  EXPECT_EQ(problems("mysql://h/db?ssl_mode=verify-ca&sslrootcert=/ca.pem"), Problems{});
  EXPECT_EQ(problems("mysql://h/db?ssl_mode=verify-ca&ssl_capath=/certs"), Problems{});
  EXPECT_EQ(problems("mysql://h/db?ssl_mode=verify-full"), Problems{}) << "verify-full may use the system CAs";
  std::string yaml = "connections:\n  crm: \"mysql://u@h/crm?ssl_mode=verify-ca\"\n";
  config::Document doc = config::parse_document(yaml, "/srv/w.yaml");
  config::Diagnostics d("/srv/w.yaml");
  EXPECT_TRUE(read_connections(doc, d).empty());
  EXPECT_EQ(d.messages(), Problems{"/srv/w.yaml:2:8: connections.crm: " + needs_ca});
}

TEST(UrlSchemes, ComeFromTheRegisteredDrivers) {
  EXPECT_EQ(Url::parse("PostgreSQL://h/db").scheme, "postgres");
  EXPECT_EQ(Url::parse("mariadb://h/db").scheme, "mysql");
  EXPECT_EQ(Url::parse("sqlite3:x.db").scheme, "sqlite");
  std::vector<std::string_view> names;
  for (const UrlScheme& s : Registry::builtin().url_schemes()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"sqlite", "postgres", "mysql"}));
}

TEST(UrlSchemes, AnyDriverCanDeclareItsOwn) {
  static constexpr std::string_view kAliases[] = {"duck"};
  const UrlScheme schemes[] = {{"duckdb", kAliases, true}, {"redis", {}, false}};
  Url file = Url::parse("Duck:data/x.duckdb?threads=4", schemes);
  EXPECT_EQ(file.scheme, "duckdb");
  EXPECT_TRUE(file.file_path);
  EXPECT_EQ(file.database, "data/x.duckdb");
  EXPECT_EQ(file.option("threads"), "4");
  EXPECT_EQ(file.to_string(), "duckdb:data/x.duckdb?threads=4");
  Url host = Url::parse("redis://cache:6380/0", schemes);
  EXPECT_EQ(host.host, "cache");
  EXPECT_EQ(host.port, 6380);
  try {
    Url::parse("postgres://h/db", schemes);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown scheme `postgres` (known: duckdb, duck, redis)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace weir::db
