#include <gtest/gtest.h>

#include <string>

#include "weir/error.hpp"
#include "weir/secret.hpp"
#include "weir/url.hpp"

namespace weir {
namespace {

// Parses `text` expecting Error{config}; returns its message.
std::string parse_error(const std::string& text) {
  try {
    Url::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << text;
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

TEST(Url, SchemesAreNormalised) {
  EXPECT_EQ(Url::parse("postgres://h/db").scheme, "postgres");
  EXPECT_EQ(Url::parse("postgresql://h/db").scheme, "postgres");
  EXPECT_EQ(Url::parse("PostgreSQL://h/db").scheme, "postgres");
  EXPECT_EQ(Url::parse("mysql://h/db").scheme, "mysql");
  EXPECT_EQ(Url::parse("mariadb://h/db").scheme, "mysql");
  EXPECT_EQ(Url::parse("sqlite:x.db").scheme, "sqlite");
}

TEST(Url, PartsAreParsed) {
  Url u = Url::parse("postgres://app:pw-parts-7781@db.example.com:6432/shop");
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "pw-parts-7781");
  EXPECT_EQ(u.host, "db.example.com");
  EXPECT_EQ(u.port, 6432);
  EXPECT_EQ(u.database, "shop");
  EXPECT_TRUE(u.options.empty());

  Url bare = Url::parse("mysql://localhost");
  EXPECT_EQ(bare.host, "localhost");
  EXPECT_EQ(bare.port, 0) << "no port means the driver's default";
  EXPECT_EQ(bare.user, "");
  EXPECT_EQ(bare.password, "");
  EXPECT_EQ(bare.database, "");

  Url user_only = Url::parse("mariadb://reader@10.0.0.5/analytics");
  EXPECT_EQ(user_only.user, "reader");
  EXPECT_EQ(user_only.password, "");
  EXPECT_EQ(user_only.host, "10.0.0.5");
  EXPECT_EQ(user_only.database, "analytics");
}

TEST(Url, UserPasswordAndDatabaseArePercentDecoded) {
  Url u = Url::parse("postgres://us%65r%20x:p%40ss%3Aw%2Frd@h/my%2Fdb%20name");
  EXPECT_EQ(u.user, "user x");
  EXPECT_EQ(u.password, "p@ss:w/rd");
  EXPECT_EQ(u.database, "my/db name");
}

TEST(Url, UnencodedAtInPasswordUsesTheLastAt) {
  Url u = Url::parse("postgres://app:pw@with-at-5512@host/db");
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "pw@with-at-5512");
  EXPECT_EQ(u.host, "host");
}

TEST(Url, Ipv6Hosts) {
  Url u = Url::parse("postgres://app@[::1]:5433/db");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 5433);
  EXPECT_EQ(u.database, "db");
  EXPECT_EQ(u.to_string(), "postgres://app@[::1]:5433/db");

  Url no_port = Url::parse("mysql://[2001:db8::7]/x");
  EXPECT_EQ(no_port.host, "2001:db8::7");
  EXPECT_EQ(no_port.port, 0);

  parse_error("postgres://[::1/db");
  parse_error("postgres://[::1]x/db");
  EXPECT_EQ(Url::parse("postgres://[fe80::1%eth0]:5432/db").host, "fe80::1%eth0");
  EXPECT_EQ(Url::parse("postgres://[::ffff:127.0.0.1]/db").to_string(), "postgres://[::ffff:127.0.0.1]/db");
}

// Found by fuzzing: `127:secret=x` was taken for a host (its text then masked as if it held a
// secret, cutting the shown URL short), and anything in brackets for an IPv6 address.
TEST(Url, AHostWithAColonIsAnIpv6AddressInBrackets) {
  EXPECT_NE(parse_error("postgres://app:canary-Pw-31@127:secret=x:5432/db")
                .find("a host with `:` in it is an IPv6 address, written in brackets (as `[::1]:5432`)"),
            std::string::npos);
  EXPECT_NE(parse_error("postgres://[127:secret=x]/db").find("the host in brackets is not an IPv6 address"),
            std::string::npos);
  EXPECT_EQ(parse_error("postgres://app:canary-Pw-31@::1/db").find("canary-Pw-31"), std::string::npos);
  parse_error("postgresql://user:p%40pesql://use");  // no '@': `user:p@pesql:` is no host
  Url encoded = Url::parse("postgres://h%3Ax/db");  // a colon percent-encoded stays the host's own
  EXPECT_EQ(encoded.host, "h:x");
  EXPECT_EQ(encoded.to_string(), "postgres://h%3Ax/db");
  EXPECT_EQ(Url::parse(encoded.to_string()), encoded);
}

TEST(Url, QueryOptionsKeptInOrder) {
  Url u = Url::parse("postgres://h/db?sslmode=require&application_name=weir%20x&connect_timeout=5");
  ASSERT_EQ(u.options.size(), 3u);
  EXPECT_EQ(u.options[0].first, "sslmode");
  EXPECT_EQ(u.options[0].second, "require");
  EXPECT_EQ(u.options[1].first, "application_name");
  EXPECT_EQ(u.options[1].second, "weir x");
  EXPECT_EQ(u.options[2].first, "connect_timeout");
  EXPECT_EQ(u.option("sslmode"), "require");
  EXPECT_EQ(u.option("application_name"), "weir x");
  EXPECT_FALSE(u.option("missing"));
  EXPECT_FALSE(u.option("SSLMODE")) << "option keys are case-sensitive";
  EXPECT_EQ(u.database, "db") << "the query is not part of the database name";

  Url flag = Url::parse("postgres://h/db?flag&x=1");
  EXPECT_EQ(flag.option("flag"), "");
  EXPECT_EQ(flag.option("x"), "1");

  Url no_db = Url::parse("postgres://h?sslmode=disable");
  EXPECT_EQ(no_db.host, "h");
  EXPECT_EQ(no_db.database, "");
  EXPECT_EQ(no_db.option("sslmode"), "disable");
}

TEST(Url, SetOptionReplacesOrAppends) {
  Url u = Url::parse("postgres://h/db?a=1&b=2");
  u.set_option("a", "9");
  u.set_option("c", "3");
  ASSERT_EQ(u.options.size(), 3u);
  EXPECT_EQ(u.options[0], (std::pair<std::string, std::string>{"a", "9"}));
  EXPECT_EQ(u.options[2], (std::pair<std::string, std::string>{"c", "3"}));
}

TEST(Url, SqliteForms) {
  Url rel = Url::parse("sqlite:relative.db");
  EXPECT_EQ(rel.database, "relative.db");
  EXPECT_EQ(rel.host, "");
  EXPECT_EQ(Url::parse("sqlite:data/sub dir/x.db").database, "data/sub dir/x.db");
  EXPECT_EQ(Url::parse("sqlite:///abs/path.db").database, "/abs/path.db");
  EXPECT_EQ(Url::parse("sqlite::memory:").database, ":memory:");
  EXPECT_EQ(Url::parse("sqlite3:x.db").scheme, "sqlite");

  Url ro = Url::parse("sqlite:file.db?mode=ro");
  EXPECT_EQ(ro.database, "file.db");
  EXPECT_EQ(ro.option("mode"), "ro");
}

TEST(Url, ErrorsAreConfigErrors) {
  EXPECT_NE(parse_error("oracle://h/db").find("oracle"), std::string::npos);
  parse_error("no-scheme-at-all");
  parse_error(":foo");
  parse_error("postgres:h/db");
  parse_error("mysql:/h/db");
  EXPECT_NE(parse_error("postgres://h:0/db").find("port"), std::string::npos);
  parse_error("postgres://h:70000/db");
  parse_error("postgres://h:65536/db");
  parse_error("postgres://h:abc/db");
  parse_error("postgres://h:-1/db");
  parse_error("postgres://h:54x/db");
  EXPECT_EQ(Url::parse("postgres://h:65535/db").port, 65535);
  EXPECT_EQ(Url::parse("postgres://h:1/db").port, 1);
  parse_error("postgres://h/db%zz");
  parse_error("postgres://h/db%4");
  parse_error("postgres://h/db%");
  parse_error("postgres://us%r@h/db");
  parse_error("postgres://h/db?x=%g1");
  parse_error("sqlite:");
  parse_error("sqlite://");
  parse_error("sqlite:?mode=ro");
}

TEST(Url, ErrorsNeverShowThePassword) {
  const std::string pw = "canary-Pw-123";
  for (const std::string& text :
       {"oracle://app:" + pw + "@h/db", "postgres://app:" + pw + "@h:0/db",
        "postgres://app:" + pw + "@h:70000/db", "mysql://app:" + pw + "@h:abc/db",
        "postgres://app:" + pw + "@h/db%zz", "postgres://app:" + pw + "%zz@h/db",
        "postgres://app:" + pw + "@[::1/db"}) {
    std::string msg = parse_error(text);
    EXPECT_EQ(msg.find(pw), std::string::npos) << msg;
  }
}

TEST(Url, UnknownSchemesNeverShowTheirCredentials) {
  const std::string pw = "canary-Pw-321";
  for (const std::string& text :
       {"odbc:Driver={ODBC 18};Server=h;UID=u;PWD=" + pw, "jdbc:sqlserver://h;user=u;password=" + pw,
        "Server=h;Database=d;User Id=u;Password=" + pw, "oracle://app:" + pw + "@h/db?password=" + pw}) {
    std::string msg = parse_error(text);
    EXPECT_EQ(msg.find(pw), std::string::npos) << msg;
    EXPECT_NE(msg.find("invalid connection URL"), std::string::npos) << msg;
  }
  EXPECT_EQ(parse_error("odbc:Driver=x;UID=u;PWD=" + pw),
            "invalid connection URL `odbc:Driver=x;UID=u;PWD=***`: unknown scheme `odbc` (known: sqlite, sqlite3, "
            "postgres, postgresql, mysql, mariadb)");
}

TEST(Url, RawPercentInThePasswordSaysHowToWriteIt) {
  EXPECT_EQ(parse_error("postgres://app:canary%Pw-654@h/db"),
            "invalid connection URL `postgres://app:***@h/db`: the password holds a `%` not followed by two hex "
            "digits: percent-encode special characters (`%` as %25, `@` as %40, `/` as %2F), or give the password "
            "in `password:` instead");
  std::string db = parse_error("postgres://app@h/100%");
  EXPECT_NE(db.find("the database name holds a `%`"), std::string::npos) << db;
  EXPECT_EQ(db.find("password:"), std::string::npos) << db;
}

TEST(Url, MissingSlashesErrorNeverShowsThePassword) {
  const std::string pw = "canary-Pw-456";
  for (const std::string& text : {"postgres:app:" + pw + "@h/db", "postgres//app:" + pw + "@h/db"}) {
    std::string msg = parse_error(text);
    EXPECT_EQ(msg.find(pw), std::string::npos) << msg;
  }
}

TEST(Url, ToStringMasksThePassword) {
  Url u = Url::parse("postgres://app:pw-mask-9914@host:5432/db?sslmode=require");
  EXPECT_EQ(u.to_string(), "postgres://app:***@host:5432/db?sslmode=require");
  EXPECT_EQ(u.to_string().find("pw-mask-9914"), std::string::npos);
  EXPECT_EQ(Url::parse("postgres://h/db?sslpassword=pw-mask-9915&sslmode=require").to_string(),
            "postgres://h/db?sslpassword=***&sslmode=require");
  EXPECT_EQ(Url::parse("postgresql://app@host/db").to_string(), "postgres://app@host/db");
  EXPECT_EQ(Url::parse("mariadb://host").to_string(), "mysql://host");
  EXPECT_EQ(Url::parse("sqlite::memory:").to_string(), "sqlite::memory:");
  EXPECT_EQ(Url::parse("sqlite:file.db?mode=ro").to_string(), "sqlite:file.db?mode=ro");
}

TEST(Url, ToStringWithPasswordRoundTrips) {
  for (const char* text :
       {"postgres://app:p%40ss%3Aw%2Frd@host:5432/db?sslmode=require&application_name=weir%20x",
        "mysql://us%20er:pw-rt-%25%23%3F@[::1]:3306/my%2Fdb", "postgres://h", "mysql://u@h/d",
        "sqlite:relative.db", "sqlite:///abs/path.db?mode=ro", "sqlite::memory:",
        "sqlite:data/sub dir/x.db"}) {
    Url u = Url::parse(text);
    Url back = Url::parse(u.to_string_with_password());
    EXPECT_EQ(back, u) << text << " -> " << u.to_string_with_password();
  }
  Url u = Url::parse("postgres://app:p%40ss%3Aw%2Frd@host/db");
  EXPECT_EQ(Url::parse(u.to_string_with_password()).password, "p@ss:w/rd");
  EXPECT_EQ(u.to_string(), "postgres://app:***@host/db");
}

TEST(Url, SqlitePathWithReservedCharactersRoundTrips) {
  for (const char* text : {"sqlite:100%25.db", "sqlite:what%3F.db"}) {
    Url u = Url::parse(text);
    Url back;
    ASSERT_NO_THROW(back = Url::parse(u.to_string_with_password())) << u.to_string_with_password();
    EXPECT_EQ(back, u) << text;
  }
}

// A host is read percent-decoded, so it is printed encoded where a character would end it; a
// file path starting with two slashes keeps them. Found by fuzzing (tests/fuzz/corpus/url/
// host_with_delimiters, path_with_two_slashes): such URLs printed as another URL.
TEST(Url, DecodedHostsAndPathsPrintAsTheSameUrl) {
  const std::pair<const char*, const char*> cases[] = {
      {"postgres://h%2Fx/db", "postgres://h%2Fx/db"},
      {"postgres://u@h%40x%3F:5432/db", "postgres://u@h%40x%3F:5432/db"},
      {"postgres://[fe80::1%25eth0]/db", "postgres://[fe80::1%25eth0]/db"},
      {"sqlite:%2F%2Fx.db", "sqlite:////x.db"},
  };
  for (auto [text, printed] : cases) {
    Url u = Url::parse(text);
    EXPECT_EQ(u.to_string_with_password(), printed) << text;
    EXPECT_TRUE(Url::parse(u.to_string_with_password()) == u) << text << " reads back as another URL";
  }
}

TEST(Url, PercentHelpers) {
  EXPECT_EQ(percent_decode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_encode("a b/c~d-e_f.g"), "a%20b%2Fc~d-e_f.g");
  EXPECT_EQ(percent_encode("é"), "%C3%A9");
  EXPECT_EQ(percent_decode(percent_encode("p@ss:w/rd?#%& ü")), "p@ss:w/rd?#%& ü");
  EXPECT_THROW(percent_decode("%"), Error);
  EXPECT_THROW(percent_decode("%a"), Error);
  EXPECT_THROW(percent_decode("%xy"), Error);
}

TEST(Url, UnencodedReservedCharacterInPasswordIsKeptAndNeverShown) {
  for (const std::string& password : {std::string("canary/Pw-789"), std::string("canary?Pw-789")}) {
    std::string text = "postgres://app:" + password + "@h:5432/db?sslmode=require";
    Url u = Url::parse(text);
    EXPECT_EQ(u.password, password);
    EXPECT_EQ(u.host, "h");
    EXPECT_EQ(u.port, 5432);
    EXPECT_EQ(u.database, "db");
    EXPECT_EQ(u.option("sslmode"), "require");
    EXPECT_EQ(u.to_string().find("Pw-789"), std::string::npos);
    EXPECT_EQ(redact("failed: " + text).find("Pw-789"), std::string::npos);
  }
  std::string msg = parse_error("postgres://app:canary/Pw-789@h:99999/db");
  EXPECT_EQ(msg.find("Pw-789"), std::string::npos) << msg;
}

// Found by fuzzing: a password made of the characters around it in the masked form
// ("//.:***" after the user ".") reads as if it were shown, though it is masked.
TEST(Url, APasswordThatLooksLikeItsOwnMaskIsMasked) {
  Url u = Url::parse("postgres://.://.:***@127.0.0.23/db");
  EXPECT_EQ(u.user, ".");
  EXPECT_EQ(u.password, "//.:***");
  EXPECT_EQ(u.to_string(), "postgres://.:***@127.0.0.23/db");
  EXPECT_EQ(Url::parse(u.to_string()).password, "***");
  EXPECT_EQ(Url::parse(u.to_string_with_password()), u);
}

}  // namespace
}  // namespace weir
