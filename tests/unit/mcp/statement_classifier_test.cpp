// The read-only statement classifier without a server: what it refuses and why (one line), what
// it lets through, and the function names it hands on to PostgreSQL's volatility check.
#include <gtest/gtest.h>

#include "mcp/statement_classifier.hpp"
#include "weir/db/driver.hpp"

namespace weir::mcp {
namespace {

db::SqlSyntax syntax_of(SqlFamily family) {
  const char* scheme = family == SqlFamily::postgres ? "postgres" : family == SqlFamily::mysql ? "mysql" : "sqlite";
  return db::Registry::builtin().for_scheme(scheme).dialect().sql_syntax();
}

std::string refusal(std::string_view sql, SqlFamily family) {
  return classify_read_only(sql, family, syntax_of(family)).refusal.value_or("");
}

TEST(StatementClassifier, ASecondStatementIsRefusedWhereverTheServerEndsTheFirst) {
  const std::string one = "exactly one statement per call: the SQL holds more than one";
  EXPECT_EQ(refusal("COMMIT; DROP TABLE t", SqlFamily::postgres), one);
  EXPECT_EQ(refusal("COMMIT", SqlFamily::postgres),
            "`COMMIT` statements do not run on a read-only connection: only SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW do");
  EXPECT_EQ(refusal("SELECT 1; DROP TABLE t", SqlFamily::sqlite), one);
  EXPECT_EQ(refusal("SELECT E'\\''; DROP TABLE t; --'", SqlFamily::postgres), one);
  EXPECT_EQ(refusal("SELECT /* /* */ 1 */ 1; DROP TABLE t", SqlFamily::postgres), one);
  EXPECT_EQ(refusal("SELECT 1 --x\n; DROP TABLE t", SqlFamily::mysql), one);
  // Trailing semicolons and comments are one statement.
  EXPECT_EQ(refusal("SELECT 1;; -- done", SqlFamily::postgres), "");
  EXPECT_EQ(classify_read_only("  SELECT 1 ; ", SqlFamily::postgres, syntax_of(SqlFamily::postgres)).statement, "SELECT 1");
}

TEST(StatementClassifier, MysqlTricksAreRefusedUnderEitherBackslashReading) {
  EXPECT_EQ(refusal("SELECT * FROM t INTO/**/OUTFILE '/tmp/x'", SqlFamily::mysql),
            "`INTO` writes, locks or sends rows elsewhere: not on a read-only connection");
  EXPECT_EQ(refusal("/*!50000 DROP TABLE t */", SqlFamily::mysql), "MySQL runs the text of /*! … */ comments as SQL: leave them out");
  EXPECT_EQ(refusal("SELECT 1 /*M!100000 , LOAD_FILE('x') */", SqlFamily::mysql),
            "MySQL runs the text of /*! … */ comments as SQL: leave them out");
  // With backslash escapes the call is code; without them the string may end elsewhere: refused.
  EXPECT_NE(refusal("SELECT '\\'', LOAD_FILE('/etc/passwd') -- '", SqlFamily::mysql), "");
  // Under NO_BACKSLASH_ESCAPES the server ends the string at \' and runs LOAD_FILE: refused,
  // although with backslash escapes (the dialect's reading) the call lies inside a string.
  EXPECT_EQ(refusal("SELECT 'a\\', LOAD_FILE('/etc/passwd') -- '", SqlFamily::mysql),
            "`load_file()` acts outside the query (files, other sessions, locks, sequences): not on a read-only connection");
  EXPECT_EQ(refusal("SELECT load_file /**/ ('/etc/passwd')", SqlFamily::mysql),
            "`load_file()` acts outside the query (files, other sessions, locks, sequences): not on a read-only connection");
  EXPECT_NE(refusal("SELECT GET_LOCK('a', 1)", SqlFamily::mysql), "");
  EXPECT_NE(refusal("SELECT * FROM t LOCK IN SHARE MODE", SqlFamily::mysql), "");
  EXPECT_NE(refusal("SELECT @a := 1", SqlFamily::mysql), "");
  EXPECT_NE(refusal("SET SESSION TRANSACTION READ WRITE", SqlFamily::mysql), "");
}

TEST(StatementClassifier, PostgresSideEffectsAreRefusedInAnySpelling) {
  for (const char* sql : {"SELECT pg_read_file('/etc/passwd')", "SeLeCt Pg_ReAd_FiLe('x')", "SELECT \"pg_read_file\"('x')",
                          "SELECT pg_catalog.lo_export(1, '/tmp/x')", "SELECT dblink_exec('', 'DROP TABLE t')",
                          "SELECT nextval('s')", "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
                          "SELECT * FROM t FOR UPDATE", "SELECT * FROM t FOR KEY SHARE", "SELECT * INTO t2 FROM t",
                          "EXPLAIN ANALYZE DELETE FROM t", "DO $$ BEGIN END $$", "COPY t TO PROGRAM 'id'"})
    EXPECT_NE(refusal(sql, SqlFamily::postgres), "") << sql;
}

TEST(StatementClassifier, SqliteFileAndSchemaStatementsAreRefused) {
  for (const char* sql : {"ATTACH DATABASE '/tmp/x.db' AS x", "PRAGMA writable_schema=1", "VACUUM INTO '/tmp/x.db'",
                          "SELECT load_extension('x')"})
    EXPECT_NE(refusal(sql, SqlFamily::sqlite), "") << sql;
}

TEST(StatementClassifier, ValidReadsAreNeverRefused) {
  for (const char* sql :
       {"WITH a AS (WITH b AS (SELECT 1 AS x) SELECT x FROM b) SELECT * FROM a",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t",
        "SELECT sum(x) OVER (PARTITION BY y ORDER BY z ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT * FROM a CROSS JOIN LATERAL (SELECT 1) b", "SELECT doc->>'k', doc #> '{a,b}' FROM t",
        "EXPLAIN (VERBOSE, FORMAT JSON) SELECT 1", "SELECT 'DELETE FROM t; INTO OUTFILE' AS \"update\"",
        "TABLE t", "VALUES (1), (2)", "(SELECT 1) UNION (SELECT 2)", "SELECT replace(name, 'a', 'b') FROM t"})
    EXPECT_EQ(refusal(sql, SqlFamily::postgres), "") << sql;
  EXPECT_EQ(refusal("EXPLAIN FORMAT=JSON SELECT 1", SqlFamily::mysql), "");
  EXPECT_EQ(refusal("EXPLAIN QUERY PLAN SELECT 1", SqlFamily::sqlite), "");
  EXPECT_EQ(refusal("SELECT CAST(x AS CHAR CHARACTER SET utf8mb4) FROM t", SqlFamily::mysql), "");
}

TEST(StatementClassifier, TheFunctionsCalledAreListedForTheCatalogCheck) {
  Classified c = classify_read_only("SELECT my_schema.\"Audit\"(x), count(*), now() FROM t WHERE x IN (1, 2)",
                                    SqlFamily::postgres, syntax_of(SqlFamily::postgres));
  EXPECT_EQ(c.functions, (std::vector<std::string>{"audit", "count", "now"}));
  // As EXPLAIN VERBOSE prints a plan's output and filter.
  EXPECT_EQ(called_functions("(rt_write() IS NOT NULL) AND (t.a = ANY ('{1,2}'::integer[]))", syntax_of(SqlFamily::postgres)),
            (std::vector<std::string>{"rt_write"}));
}

}  // namespace
}  // namespace weir::mcp
