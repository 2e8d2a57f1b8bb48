#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "weir/error.hpp"
#include "weir/secret.hpp"

// The secret registry is process-wide: every test registers its own distinctive strings so
// tests stay independent of each other (and of other test files in this binary).

namespace weir {
namespace {

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Redact, MasksTheUrlPassword) {
  EXPECT_EQ(redact("cannot reach postgres://app:sx-Url-pass1@db:5432/shop"),
            "cannot reach postgres://app:***@db:5432/shop");
}

TEST(Redact, MasksEveryUrlInOneMessage) {
  std::string out = redact(
      "copy from postgres://a:sx-first-11@h1/db1 to mysql://b:sx-second-22@h2:3306/db2 failed, "
      "fallback mariadb://c:sx-third-33@h3 too");
  EXPECT_FALSE(contains(out, "sx-first-11")) << out;
  EXPECT_FALSE(contains(out, "sx-second-22")) << out;
  EXPECT_FALSE(contains(out, "sx-third-33")) << out;
  EXPECT_TRUE(contains(out, "postgres://a:***@h1/db1")) << out;
  EXPECT_TRUE(contains(out, "mysql://b:***@h2:3306/db2")) << out;
  EXPECT_TRUE(contains(out, "mariadb://c:***@h3 too")) << out;
}

TEST(Redact, UrlFollowedByPunctuationOrQuotes) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{"url 'postgres://u:sx-quote-01@h' is bad", "url 'postgres://u:***@h' is bad"},
           Case{"url \"postgres://u:sx-dquote-02@h\"", "url \"postgres://u:***@h\""},
           Case{"(see postgres://u:sx-paren-03@h)", "(see postgres://u:***@h)"},
           Case{"postgres://u:sx-comma-04@h, retrying", "postgres://u:***@h, retrying"},
           Case{"<postgres://u:sx-angle-05@h>", "<postgres://u:***@h>"},
           Case{"`postgres://u:sx-tick-06@h`", "`postgres://u:***@h`"},
           Case{"at postgres://u:sx-dot-07@h.", "at postgres://u:***@h."},
           Case{"postgres://u:sx-nl-08@h\nnext line", "postgres://u:***@h\nnext line"},
           Case{"postgres://u:sx-query-09@h?sslmode=require",
                "postgres://u:***@h?sslmode=require"},
       }) {
    EXPECT_EQ(redact(c.text), c.expected);
  }
}

TEST(Redact, UrlsWithoutPasswordAreUntouched) {
  for (const char* text : {"postgres://app@db:5432/shop", "mysql://db:3306/x",
                           "see https://example.com:8080/path", "sqlite:file.db",
                           "postgres://h/db then mail bob:x@example.com", "a :// b",
                           "trailing ://", "no urls here: just text @ all"}) {
    EXPECT_EQ(redact(text), text);
  }
}

TEST(Redact, MasksCredentialPairsWhateverTheScheme) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{"odbc:Driver={ODBC 18};Server=h;UID=u;PWD=sx-odbc-01;Encrypt=yes",
                "odbc:Driver={ODBC 18};Server=h;UID=u;PWD=***;Encrypt=yes"},
           Case{"`Server=h;Password=sx-ado-02`", "`Server=h;Password=***`"},
           Case{"host=h user=u password=sx-conninfo-03 dbname=d", "host=h user=u password=*** dbname=d"},
           Case{"host=h password='sx quoted 04' dbname=d", "host=h password=*** dbname=d"},
           Case{"host=h password = sx-spaced-09 dbname=d", "host=h password = *** dbname=d"},
           Case{"DSN=x;pwd={sx;braced-05};UID=u", "DSN=x;pwd=***;UID=u"},
           Case{"postgres://h/db?sslmode=require&password=sx-query-06&x=1",
                "postgres://h/db?sslmode=require&password=***&x=1"},
           Case{"mysql://u:sx-both-07@h/db?sslpassword=sx-both-08", "mysql://u:***@h/db?sslpassword=***"},
       }) {
    EXPECT_EQ(redact(c.text), c.expected);
    EXPECT_EQ(mask_credentials(c.text), c.expected);
  }
  // Keys that merely contain a credential word, and pairs without a value, are left alone.
  for (const char* text : {"passwords=3 compass=north", "password=;", "a == b"}) EXPECT_EQ(redact(text), text);
}

TEST(Redact, RegisteredSecretsAreMaskedAnywhere) {
  register_secret("sx-Token-Alpha-9981");
  EXPECT_EQ(redact("token=sx-Token-Alpha-9981;"), "token=***;");
  EXPECT_EQ(redact("sx-Token-Alpha-9981sx-Token-Alpha-9981 and sx-Token-Alpha-9981"),
            "****** and ***");
  EXPECT_EQ(redact("unrelated text"), "unrelated text");
  // and Error messages go through the same cleaning
  Error e(ErrorKind::auth, "password sx-Token-Alpha-9981 rejected");
  EXPECT_STREQ(e.what(), "password *** rejected");
  e.add_context("while using sx-Token-Alpha-9981");
  EXPECT_FALSE(contains(e.what(), "sx-Token-Alpha-9981")) << e.what();
}

TEST(Redact, RegisteredSecretsAreMaskedInPercentEncodedForm) {
  register_secret("sx/Beta+Key 42");
  std::string out = redact("dsn: mysql:host?pw=sx%2FBeta%2BKey%2042&x=1");
  EXPECT_FALSE(contains(out, "sx%2FBeta%2BKey%2042")) << out;
  EXPECT_EQ(out, "dsn: mysql:host?pw=***&x=1");
  EXPECT_EQ(redact("raw sx/Beta+Key 42!"), "raw ***!");
}

TEST(Redact, SecretsShorterThanFourCharactersAreIgnored) {
  register_secret("q7z");
  register_secret("");
  EXPECT_EQ(redact("q7z appears in q7z-text"), "q7z appears in q7z-text");
  register_secret("q7zw");
  EXPECT_EQ(redact("q7zw!"), "***!");
}

TEST(Redact, LongestSecretWinsWhenOneContainsAnother) {
  // registered shortest first on purpose
  register_secret("sx-Gamma");
  register_secret("sx-Gamma-extended-77");
  EXPECT_EQ(redact("[sx-Gamma-extended-77]"), "[***]");
  EXPECT_EQ(redact("[sx-Gamma]"), "[***]");
  EXPECT_EQ(redact("sx-Gamma-extended-77 sx-Gamma"), "*** ***");
}

TEST(Redact, RegisteringTwiceIsHarmless) {
  register_secret("sx-Delta-dup");
  register_secret("sx-Delta-dup");
  EXPECT_EQ(redact("sx-Delta-dup"), "***");
}

TEST(Redact, UrlPasswordAndRegisteredSecretTogether) {
  register_secret("sx-Epsilon-tok");
  std::string out = redact("postgres://u:sx-url-pw-55@h/db token sx-Epsilon-tok");
  EXPECT_EQ(out, "postgres://u:***@h/db token ***");
}

TEST(Redact, ThreadSafetySmoke) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 200;
  constexpr int kReads = 300;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([w] {
      for (int i = 0; i < kPerWriter; ++i)
        register_secret("sx-thread-" + std::to_string(w) + "-" + std::to_string(i) + "-zz");
    });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r)
    readers.emplace_back([&] {
      for (int i = 0; i < kReads; ++i) {
        std::string out = redact("postgres://u:sx-reader-pw@h/db and sx-thread-0-0-zz");
        if (contains(out, "sx-reader-pw")) ++bad;
      }
    });
  for (auto& t : threads) t.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  for (int w = 0; w < kWriters; ++w)
    for (int i = 0; i < kPerWriter; i += 37) {
      std::string secret = "sx-thread-" + std::to_string(w) + "-" + std::to_string(i) + "-zz";
      EXPECT_EQ(redact("<" + secret + ">"), "<***>") << secret;
    }
}

TEST(Redact, UrlPasswordWithUnencodedSlashIsMasked) {
  std::string out = redact("cannot connect to postgres://app:sx-Ab3/xYz+9q@db/shop now");
  EXPECT_EQ(out.find("xYz+9q"), std::string::npos) << out;
  EXPECT_EQ(out.find("sx-Ab3"), std::string::npos) << out;
  EXPECT_TRUE(contains(out, "@db/shop now")) << out;
}

}  // namespace
}  // namespace weir
