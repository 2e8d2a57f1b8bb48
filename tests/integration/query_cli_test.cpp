// `weir query` on each database as a user runs it: affected-row counts, SQL scripts with
// --file (and --single-transaction), NULL against 'NULL' and line breaks in the table format,
// CSV as PostgreSQL's COPY writes it, and a debug log that shows what happens without secrets.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "support/test_support.hpp"

namespace weir {
namespace {

using test::run_weir;

struct Backend {
  const char* name;
  const char* url_variable;  // null: a SQLite file
  const char* password_variable;
  const char* placeholder;   // for one parameter
  char quote;                // around identifiers
  // A statement carrying the password `{pw}` for a new account `{user}`, and its undoing.
  const char* create_account;
  const char* drop_account;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

const Backend kSqlite{"Sqlite", nullptr, nullptr, "?", '"', nullptr, nullptr};
const Backend kPostgres{"Postgres", "WEIR_TEST_PG_URL", "WEIR_TEST_PG_PASSWORD", "$1", '"', "CREATE ROLE {user} PASSWORD '{pw}'",
                        "DROP ROLE {user}"};
const Backend kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL", "WEIR_TEST_MYSQL_PASSWORD", "?", '`',
                       "CREATE USER '{user}'@'localhost' IDENTIFIED BY '{pw}'", "DROP USER '{user}'@'localhost'"};

class QueryOnEachDatabase : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().url_variable) {
      auto url = test::server_url(GetParam().url_variable);
      if (!url) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
      url_ = *url;
    } else {
      url_ = "sqlite:" + dir_.file("q.db");
    }
    table_ = "qc_" + test::unique_suffix();
    ok("CREATE TABLE " + table_ + " (id INTEGER PRIMARY KEY, note VARCHAR(100))");
  }

  void TearDown() override {
    if (!table_.empty()) run_weir({"query", url_, "DROP TABLE IF EXISTS " + table_});
  }

  test::CommandResult query(std::vector<std::string> args) {
    args.insert(args.begin(), {"query", url_});
    return run_weir(args, dir_.path().string());
  }

  std::string ok(const std::string& sql, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), sql);
    auto r = query(extra);
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
    return r.out;
  }

  std::string count() { return ok("SELECT count(*) AS n FROM " + table_, {"-f", "csv"}); }

  std::string script(const std::string& text) {
    test::write_file(dir_.file("s.sql"), text);
    return dir_.file("s.sql");
  }

  std::string q(const std::string& identifier) const {
    return GetParam().quote + identifier + GetParam().quote;
  }

  std::string url_, table_;
  test::TempDir dir_;
};

TEST_P(QueryOnEachDatabase, DmlPrintsTheAffectedRowCount) {
  EXPECT_EQ(ok("INSERT INTO " + table_ + " VALUES (1, 'a'), (2, 'b'), (3, 'c')"), "INSERT 3\n");
  EXPECT_EQ(ok("UPDATE " + table_ + " SET note = 'z' WHERE id >= 2"), "UPDATE 2\n");
  EXPECT_EQ(ok("UPDATE " + table_ + " SET note = 'z' WHERE id = 99"), "UPDATE 0\n");
  EXPECT_EQ(ok("INSERT INTO " + table_ + " VALUES (4, " + GetParam().placeholder + ")", {"-p", "d"}), "INSERT 1\n");
  EXPECT_EQ(ok("delete FROM " + table_ + " WHERE id > 2"), "DELETE 2\n");
  EXPECT_EQ(ok("CREATE INDEX " + table_ + "_note ON " + table_ + " (note)"), "OK\n");
}

TEST_P(QueryOnEachDatabase, TableShowsNullApartFromTheTextNullAndKeepsEachRowOnOneLine) {
  ok("INSERT INTO " + table_ + " VALUES (1, NULL), (2, 'NULL'), (3, '')");
  ok("INSERT INTO " + table_ + " VALUES (4, " + GetParam().placeholder + ")", {"-p", "two\nlines\tand a tab"});
  std::string sql = "SELECT id, note FROM " + table_ + " ORDER BY id";
  EXPECT_EQ(ok(sql),
            "id | note\n"
            "---+----------------------\n"
            " 1 | \n"
            " 2 | NULL\n"
            " 3 | \n"
            " 4 | two\\nlines\\tand a tab\n"
            "(4 rows)\n");
  EXPECT_EQ(ok(sql, {"--null", "(null)"}),
            "id | note\n"
            "---+----------------------\n"
            " 1 | (null)\n"
            " 2 | NULL\n"
            " 3 | \n"
            " 4 | two\\nlines\\tand a tab\n"
            "(4 rows)\n");
  EXPECT_EQ(ok(sql, {"-f", "csv"}), "id,note\n1,\n2,NULL\n3,\"\"\n4,\"two\nlines\tand a tab\"\n");
}

TEST_P(QueryOnEachDatabase, FileRunsEveryStatementOfAScript) {
  std::string t = table_;
  std::string text =
      "-- a script; semicolons in strings, identifiers and comments end nothing\n"
      "INSERT INTO " + t + " VALUES (1, 'a;b'), (2, 'it''s; fine');  /* block; comment */\n"
      "INSERT INTO " + t + " VALUES (3, '-- not a comment');\n"
      "\n"
      "UPDATE " + t + " SET id = id + 10 WHERE id = 3;  -- trailing; comment\n"
      ";\n"
      "SELECT id, note AS " + q("x;y") + " FROM " + t + " ORDER BY id;\n";
  auto r = query({"--file", script(text)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "INSERT 2\n"
            "INSERT 1\n"
            "UPDATE 1\n"
            "id | x;y\n"
            "---+-----------------\n"
            " 1 | a;b\n"
            " 2 | it's; fine\n"
            "13 | -- not a comment\n"
            "(3 rows)\n");
  if (std::string(GetParam().name) == "Postgres") {
    r = query({"--file", script("SELECT $body$a;b$body$ AS d; SELECT $$;$$ AS e")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "d\n---\na;b\n(1 row)\ne\n-\n;\n(1 row)\n");
  }
}

// Scripts are split the way the server reads them: MariaDB's backslash escapes, "…" strings,
// # and `-- ` comments; PostgreSQL's nested comments; SQLite's [bracketed] identifiers.
TEST_P(QueryOnEachDatabase, FileSplitsInTheDatabasesOwnSyntax) {
  std::string t = table_, name = GetParam().name, text, expected;
  if (name == "Mariadb") {
    text = "INSERT INTO " + t + " VALUES (1, 'it\\'s; here'), (2, \"dq; \\\"str\\\"\");  # hash; comment\n"
           "SELECT id, note FROM " + t + " WHERE 0--1 > 0 ORDER BY id;\n";  // 0 - -1: `--` before no space is no comment
    expected = "INSERT 2\nid | note\n---+-----------\n 1 | it's; here\n 2 | dq; \"str\"\n(2 rows)\n";
  } else if (name == "Postgres") {
    text = "/* outer /* inner; */ still; a comment */ INSERT INTO " + t + " VALUES (1, E'it\\'s; here');\n"
           "SELECT id, note FROM " + t + ";\n";
    expected = "INSERT 1\nid | note\n---+-----------\n 1 | it's; here\n(1 row)\n";
  } else {
    text = "INSERT INTO " + t + " VALUES (1, 'a;b');\nSELECT note AS [x;y] FROM " + t + ";\n";
    expected = "INSERT 1\nx;y\n---\na;b\n(1 row)\n";
  }
  auto r = query({"--file", script(text)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
}

TEST_P(QueryOnEachDatabase, FileStopsAtTheFirstErrorNamingTheStatementAndLine) {
  std::string t = table_;
  std::string text = "INSERT INTO " + t + " VALUES (1, 'one');\n"
                     "INSERT INTO " + t + " VALUES (2, 'two');\n"
                     "\n"
                     "INSERT INTO " + t + " VALUES (1, 'again');\n"
                     "INSERT INTO " + t + " VALUES (3, 'three');\n";
  std::string file = script(text);
  auto r = query({"--file", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "INSERT 1\nINSERT 1\n");
  EXPECT_NE(r.err.find(file + ":4: statement 3 of 4 (statements 1 to 2 took effect): "), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(count(), "n\n2\n");

  ok("DELETE FROM " + t);
  r = query({"--file", file, "--single-transaction"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":4: statement 3 of 4 (rolled back, no statement took effect): "), std::string::npos)
      << r.err;
  EXPECT_EQ(count(), "n\n0\n") << "the script's transaction was rolled back";

  r = query({"--file", script("INSERT INTO " + t + " VALUES (7, 'x');\nINSERT INTO " + t + " VALUES (8, 'y');\n"),
             "--single-transaction"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count(), "n\n2\n");

  r = query({"--file", script("INSERT INTO " + t + " VALUES (9, 'it''s\n;\nSELECT 1;")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("s.sql: unclosed string at line 1, column "), std::string::npos) << r.err;
  EXPECT_EQ(count(), "n\n2\n") << "nothing ran";
}

TEST_P(QueryOnEachDatabase, SeveralStatementsWithoutFileAskForFile) {
  auto r = query({"INSERT INTO " + table_ + " VALUES (1, 'a'); DELETE FROM " + table_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "weir: config error: the SQL holds 2 statements; run several with --file FILE\n");
  EXPECT_EQ(count(), "n\n0\n");
}

// Debug shows the connection (its URL masked), each statement with its parameter count and
// the time taken; never a password, nor parameter values. Timestamps carry the UTC offset.
TEST_P(QueryOnEachDatabase, DebugLogShowsConnectionStatementsAndTimingsWithoutSecrets) {
  const std::string canary = "Canary-Pw-41c7";
  auto r = run_weir({"--log-level", "debug", "query", url_, "SELECT note FROM " + table_ + " WHERE note = " +
                                                                 GetParam().placeholder, "-p", canary},
                    dir_.path().string(), {"TZ=IST-5:30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30 debug .+)");
  std::istringstream lines(r.err);
  std::vector<std::string> seen;
  for (std::string l; std::getline(lines, l);) {
    EXPECT_TRUE(std::regex_match(l, line)) << l;
    seen.push_back(l.substr(l.find(" debug ") + 7));
  }
  ASSERT_EQ(seen.size(), 4u) << r.err;
  EXPECT_TRUE(seen[0].starts_with("connecting to " + url_.substr(0, url_.find(':')))) << seen[0];
  EXPECT_TRUE(seen[1].starts_with("connected in ")) << seen[1];
  EXPECT_EQ(seen[2], "sending (1 parameter): SELECT note FROM " + table_ + " WHERE note = " + GetParam().placeholder);
  EXPECT_TRUE(std::regex_match(seen[3], std::regex(R"(0 rows in \d+\.\d ms)"))) << seen[3];
  EXPECT_EQ(r.err.find(canary), std::string::npos);
  if (const char* pw = GetParam().password_variable ? std::getenv(GetParam().password_variable) : nullptr) {
    EXPECT_EQ(r.err.find(pw), std::string::npos) << "the server's password was logged";
  }

  if (!GetParam().create_account) return;
  std::string user = "qc_user_" + test::unique_suffix();
  auto sql = [&](const char* pattern) {
    return fmt::format(fmt::runtime(pattern), fmt::arg("user", user), fmt::arg("pw", canary));
  };
  r = run_weir({"--log-level", "debug", "query", url_, sql(GetParam().create_account)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'***'"), std::string::npos) << r.err;
  ok(sql(GetParam().drop_account));
  if (std::string(GetParam().name) != "Mariadb") return;
  // MariaDB reads "…" as a string too: a password in double quotes is as secret.
  r = run_weir({"--log-level", "debug", "query", url_,
                "CREATE USER '" + user + "'@'localhost' IDENTIFIED BY \"" + canary + "\""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(canary), std::string::npos) << r.err;
  ok(sql(GetParam().drop_account));
}

INSTANTIATE_TEST_SUITE_P(Databases, QueryOnEachDatabase, ::testing::Values(kSqlite, kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(QueryHelp, NamesOnlyCommandsThatExist) {
  auto r = run_weir({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\n  sync "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\n  serve "), std::string::npos) << "not a command yet: " << r.out;
  r = run_weir({"query", "--help"});
  EXPECT_NE(r.out.find("--file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--single-transaction"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace weir
