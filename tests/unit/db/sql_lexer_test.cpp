// The SQL lexer every reader of SQL text shares: templates, batched lookups, weir query's
// scripts and PostgreSQL's COPY cursor.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db/common/sql_lexer.hpp"
#include "db/mysql/dialect.hpp"
#include "db/postgres/dialect.hpp"
#include "db/sqlite/dialect.hpp"
#include "weir/error.hpp"

namespace weir::db::sql {
namespace {

TEST(SqlLexer, TokensCoverTheTextExactly) {
  const std::string sql = "SELECT a.b, 'x''y' AS \"q\"\"r\", 1.5e3 FROM t WHERE c::text <> $1 AND d = ? -- end";
  auto tokens = tokenize(sql);
  std::string joined;
  std::size_t expected_begin = 0;
  for (const auto& t : tokens) {
    EXPECT_EQ(t.begin, expected_begin);
    expected_begin = t.end;
    joined += t.text(sql);
  }
  EXPECT_EQ(joined, sql);
  auto kind_of = [&](std::string_view text) {
    for (const auto& t : tokens)
      if (t.text(sql) == text) return t.kind;
    ADD_FAILURE() << "no token " << text;
    return TokenKind::other;
  };
  EXPECT_EQ(kind_of("'x''y'"), TokenKind::string);
  EXPECT_EQ(kind_of("\"q\"\"r\""), TokenKind::identifier);
  EXPECT_EQ(kind_of("1.5e3"), TokenKind::number);
  EXPECT_EQ(kind_of("::"), TokenKind::op);
  EXPECT_EQ(kind_of("<>"), TokenKind::op);
  EXPECT_EQ(kind_of("-- end"), TokenKind::comment);
  EXPECT_EQ(kind_of("."), TokenKind::dot);
}


const SqlSyntax kPg = postgres::PgDialect().sql_syntax();
const SqlSyntax kMy = mysql::MyDialect().sql_syntax();
const SqlSyntax kLite = sqlite::SqliteDialect().sql_syntax();

// The tokens of `sql` other than spaces, as "kind:text".
std::vector<std::string> lex(std::string_view sql, const SqlSyntax& syntax = {}, bool templates = false) {
  static constexpr const char* kNames[] = {"space", "comment", "word", "identifier", "string", "number", "dot",
                                          "comma", "lparen", "rparen", "semicolon", "op", "other", "templ"};
  std::vector<std::string> out;
  for (const Token& t : tokenize(sql, {.syntax = syntax, .templates = templates}))
    if (t.kind != TokenKind::space) out.push_back(std::string(kNames[static_cast<int>(t.kind)]) + ":" + std::string(t.text(sql)));
  return out;
}

using Tokens = std::vector<std::string>;

std::string unclosed_error(std::string_view sql, const SqlSyntax& syntax = {}) {
  try {
    tokenize(sql, {.syntax = syntax});
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  return "(no error)";
}

TEST(SqlLexer, QuotesDoubledInsideStringsAndIdentifiers) {
  EXPECT_EQ(lex("'it''s' \"a\"\"b\" `c``d`"), (Tokens{"string:'it''s'", "identifier:\"a\"\"b\"", "identifier:`c``d`"}));
  EXPECT_EQ(lex("'a;b';"), (Tokens{"string:'a;b'", "semicolon:;"}));
  EXPECT_EQ(lex("'--' '/*' x"), (Tokens{"string:'--'", "string:'/*'", "word:x"}));
}

TEST(SqlLexer, BackslashesEscapeInEStringsOnPostgresAndEveryStringOnMysql) {
  EXPECT_EQ(lex(R"(E'it\'s;' 'a\' b)", kPg), (Tokens{R"(string:E'it\'s;')", R"(string:'a\')", "word:b"}));
  EXPECT_EQ(lex(R"('it\'s; x' "q\"; y")", kMy), (Tokens{R"(string:'it\'s; x')", R"(string:"q\"; y")"}));
  EXPECT_EQ(lex(R"(E'a\' x)", kLite), (Tokens{"word:E", R"(string:'a\')", "word:x"})) << "no E'' strings on SQLite";
}

TEST(SqlLexer, DoubleQuotesAreIdentifiersExceptOnMysql) {
  EXPECT_EQ(lex("\"pw\"", kPg), (Tokens{"identifier:\"pw\""}));
  EXPECT_EQ(lex("\"pw\"", kLite), (Tokens{"identifier:\"pw\""}));
  EXPECT_EQ(lex("\"pw\"", kMy), (Tokens{"string:\"pw\""}));
}

TEST(SqlLexer, DollarQuotesOnPostgres) {
  EXPECT_EQ(lex("$$a;'b$$ $tag$ $$ ; $tag$ $1 a$b$ $_x$y$_x$", kPg),
            (Tokens{"string:$$a;'b$$", "string:$tag$ $$ ; $tag$", "other:$", "number:1", "word:a$b$", "string:$_x$y$_x$"}));
  EXPECT_EQ(lex("$1$", kPg), (Tokens{"other:$", "number:1$"})) << "a tag never starts with a digit";
  EXPECT_EQ(lex("$a$ x", kMy), (Tokens{"other:$", "word:a$", "word:x"})) << "MySQL has no dollar quotes";
}

TEST(SqlLexer, CommentsNestOnlyOnPostgres) {
  const std::string sql = "/* a /* b */ c; */ d";
  EXPECT_EQ(lex(sql, kPg), (Tokens{"comment:/* a /* b */ c; */", "word:d"}));
  EXPECT_EQ(lex(sql, kMy), (Tokens{"comment:/* a /* b */", "word:c", "semicolon:;", "op:*/", "word:d"}));
  EXPECT_EQ(lex(sql, kLite), lex(sql, kMy));
  EXPECT_EQ(lex("x /* /* */ */ y", kPg), (Tokens{"word:x", "comment:/* /* */ */", "word:y"}));
}

TEST(SqlLexer, LineCommentsPerDatabase) {
  EXPECT_EQ(lex("a -- b; c\nd"), (Tokens{"word:a", "comment:-- b; c", "word:d"}));
  EXPECT_EQ(lex("a=--b", kPg), (Tokens{"word:a", "op:=", "comment:--b"}));
  EXPECT_EQ(lex("1--1", kMy), (Tokens{"number:1", "op:--", "number:1"})) << "MySQL: -- needs a space after it";
  EXPECT_EQ(lex("1 -- x\n2 --\n3 --", kMy), (Tokens{"number:1", "comment:-- x", "number:2", "comment:--", "number:3", "comment:--"}));
  EXPECT_EQ(lex("a # b; c\nd", kMy), (Tokens{"word:a", "comment:# b; c", "word:d"}));
  EXPECT_EQ(lex("a #- b", kPg), (Tokens{"word:a", "op:#-", "word:b"})) << "# is an operator on PostgreSQL";
}

TEST(SqlLexer, BracketIdentifiersOnSqlite) {
  EXPECT_EQ(lex("[x;y] a", kLite), (Tokens{"identifier:[x;y]", "word:a"}));
  EXPECT_EQ(lex("a[1]", kPg), (Tokens{"word:a", "other:[", "number:1", "other:]"}));
}

TEST(SqlLexer, TemplatesOnlyWhenAskedFor) {
  EXPECT_EQ(lex("x = {{ record.a }} '{{b}}'", {}, true), (Tokens{"word:x", "op:=", "templ:{{ record.a }}", "string:'{{b}}'"}));
  EXPECT_EQ(lex("{{a}}", {}, false), (Tokens{"other:{", "other:{", "word:a", "other:}", "other:}"}));
}

TEST(SqlLexer, ScanReportsWhatIsUnclosedWithoutThrowing) {
  auto unclosed = [](std::string_view sql, const SqlSyntax& syntax) {
    Scan s = scan(sql, {.syntax = syntax});
    return s.unclosed ? s.unclosed->what + "@" + std::to_string(s.unclosed->begin) : "none";
  };
  EXPECT_EQ(unclosed("SELECT 'open", kPg), "string@7");
  EXPECT_EQ(unclosed("SELECT 1 /* a /* b */", kPg), "comment@9") << "still open at depth 1";
  EXPECT_EQ(unclosed("SELECT 1 /* a /* b */", kMy), "none");
  EXPECT_EQ(unclosed("SELECT $x$ open", kPg), "dollar-quoted string@7");
  EXPECT_EQ(unclosed("SELECT \"a", kPg), "quoted identifier@7");
  EXPECT_EQ(unclosed("SELECT [a", kLite), "quoted identifier@7");
  EXPECT_EQ(unclosed(R"(SELECT 'a\')", kMy), "string@7");
  EXPECT_EQ(unclosed(R"(SELECT 'a\')", kPg), "none");
  Scan s = scan("SELECT 1; 'x", {});
  ASSERT_EQ(s.tokens.size(), 5u) << "the tokens before the unclosed one";
  EXPECT_EQ(s.tokens.back().kind, TokenKind::space);
}

TEST(SqlLexer, TokenizeNamesWhereSomethingIsLeftOpen) {
  EXPECT_EQ(unclosed_error("SELECT 'abc"), "unclosed string at column 8");
  EXPECT_EQ(unclosed_error("SELECT 1;\n  SELECT /* x"), "unclosed comment at line 2, column 10");
  EXPECT_EQ(unclosed_error("\n'x"), "unclosed string at line 2, column 1");
  EXPECT_EQ(unclosed_error("SELECT $b$ x", kPg), "unclosed dollar-quoted string at column 8");
}

}  // namespace
}  // namespace weir::db::sql
