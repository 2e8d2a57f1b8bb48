// SQL templates: placeholders per dialect, what counts as a template, and the errors that
// name the template.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "lookup/sql_template.hpp"
#include "db/mysql/dialect.hpp"
#include "db/postgres/dialect.hpp"
#include "db/sqlite/dialect.hpp"
#include "weir/error.hpp"

namespace weir::lookup {
namespace {

// The drivers' own dialects: no stand-ins.
const db::Dialect& pg() {
  static const db::postgres::PgDialect d;
  return d;
}
const db::Dialect& my() {
  static const db::mysql::MyDialect d;
  return d;
}
const db::Dialect& lite() {
  static const db::sqlite::SqliteDialect d;
  return d;
}

std::string error_of(const std::string& sql) {
  try {
    SqlTemplate::parse(sql, "p.filters[0].sql_call.queries[0].sql");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  return "(no error)";
}

TEST(SqlTemplate, RendersPlaceholdersInOrder) {
  auto t = SqlTemplate::parse("SELECT a FROM t WHERE x = {{record.x}} AND y > {{ record.y.z }}", "q");
  ASSERT_EQ(t.fields().size(), 2u);
  EXPECT_EQ(t.fields()[0].to_string(), "record.x");
  EXPECT_EQ(t.fields()[1].to_string(), "record.y.z");
  EXPECT_EQ(t.render(pg()), "SELECT a FROM t WHERE x = $1 AND y > $2");
  EXPECT_EQ(t.render(my()), "SELECT a FROM t WHERE x = ? AND y > ?");
  EXPECT_EQ(t.render(lite()), "SELECT a FROM t WHERE x = ?1 AND y > ?2");
  EXPECT_EQ(t.pieces().size(), 3u);
  EXPECT_EQ(t.pieces()[0], "SELECT a FROM t WHERE x = ");
  EXPECT_EQ(t.pieces()[2], "");
}

TEST(SqlTemplate, OneParameterPerOccurrence) {
  auto t = SqlTemplate::parse("SELECT {{record.a}}, {{record.a}}", "q");
  ASSERT_EQ(t.fields().size(), 2u);
  EXPECT_EQ(t.render(pg()), "SELECT $1, $2");
}

TEST(SqlTemplate, WithoutTemplatesTheSqlIsUnchanged) {
  auto t = SqlTemplate::parse("SELECT 1 AS one", "q");
  EXPECT_TRUE(t.fields().empty());
  EXPECT_EQ(t.render(pg()), "SELECT 1 AS one");
}

TEST(SqlTemplate, BracesInLiteralsIdentifiersAndCommentsAreText) {
  const std::string sql =
      "SELECT '{{x}}' AS a, \"{{y}}\" AS b, $$ {{z}} $$ AS c, `{{w}}` -- {{record.c}}\n"
      "/* {{record.d}} */ FROM t WHERE k = {{record.k}} AND j = E'it\\'s {{'";
  auto t = SqlTemplate::parse(sql, "q");
  ASSERT_EQ(t.fields().size(), 1u);
  EXPECT_EQ(t.fields()[0].column, "k");
  std::string rendered = t.render(pg());
  EXPECT_EQ(rendered, "SELECT '{{x}}' AS a, \"{{y}}\" AS b, $$ {{z}} $$ AS c, `{{w}}` -- {{record.c}}\n"
                      "/* {{record.d}} */ FROM t WHERE k = $1 AND j = E'it\\'s {{'");
}

TEST(SqlTemplate, DoubledQuotesStayInsideTheLiteral) {
  auto t = SqlTemplate::parse("SELECT 'it''s {{' AS a WHERE b = {{record.b}}", "q");
  ASSERT_EQ(t.fields().size(), 1u);
  EXPECT_EQ(t.render(my()), "SELECT 'it''s {{' AS a WHERE b = ?");
}

TEST(SqlTemplate, ValuesAreNeverPartOfTheText) {
  auto t = SqlTemplate::parse("SELECT * FROM customers WHERE name = {{record.name}}", "q");
  EXPECT_EQ(t.render(pg()).find("DROP"), std::string::npos);
  EXPECT_EQ(t.render(pg()), "SELECT * FROM customers WHERE name = $1");
}

TEST(SqlTemplate, ErrorsNameTheTemplate) {
  EXPECT_EQ(error_of("SELECT * FROM t WHERE id = {{record.id"),
            "p.filters[0].sql_call.queries[0].sql: SQL template `SELECT * FROM t WHERE id = {{record.id`: unclosed "
            "`{{` at column 28");
  EXPECT_EQ(error_of("SELECT {{user.id}}"),
            "p.filters[0].sql_call.queries[0].sql: SQL template `SELECT {{user.id}}`: `{{user.id}}` at column 8: "
            "unknown root `user`: fields are written record.<name>");
  EXPECT_EQ(error_of("SELECT {{}}"),
            "p.filters[0].sql_call.queries[0].sql: SQL template `SELECT {{}}`: `{{}}` at column 8: empty field path");
  EXPECT_EQ(error_of("SELECT {{record}}"),
            "p.filters[0].sql_call.queries[0].sql: SQL template `SELECT {{record}}`: `{{record}}` at column 8: "
            "expected a field after `record.`");
  EXPECT_NE(error_of("SELECT {{record.a b}}").find("`a b` is not a field name"), std::string::npos);
  EXPECT_NE(error_of("SELECT {{record..a}}").find("empty name after `.`"), std::string::npos);
  EXPECT_NE(error_of("SELECT * FROM t WHERE name LIKE '%{{record.q}}%'")
                .find("a template inside the string literal at column 33 would not be bound"),
            std::string::npos);
  EXPECT_NE(error_of("SELECT 'abc").find("unclosed string at column 8"), std::string::npos);
  EXPECT_NE(error_of("SELECT 1 /* x").find("unclosed comment at column 10"), std::string::npos);
  EXPECT_NE(error_of("SELECT \"abc").find("unclosed quoted identifier at column 8"), std::string::npos);
  EXPECT_NE(error_of("   ").find("is empty"), std::string::npos);
}

}  // namespace
}  // namespace weir::lookup
