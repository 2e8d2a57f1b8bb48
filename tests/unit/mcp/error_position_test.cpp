// Where in an agent's SQL text a PostgreSQL error is, told from the driver's " at character N"
// (1-based characters of the statement sent) shifted back by what weir sent before the agent's
// statement: line and column of the agent's text, or nothing when N falls outside it.
#include <gtest/gtest.h>

#include "mcp/error_position.hpp"
#include "mcp/statement_classifier.hpp"
#include "weir/db/driver.hpp"

namespace weir::mcp {
namespace {

std::string located_text(std::string_view message, const SentStatement& sent) {
  return located(Error(ErrorKind::syntax, message, "42601"), sent).what();
}

TEST(ErrorPosition, TheServersCharacterOffsetBecomesLineAndColumnOfTheAgentsText) {
  const std::string sql = "SELECT *\nFORM t";
  EXPECT_EQ(located_text("running query: syntax error at or near \"FORM\" at character 10 [SQLSTATE 42601]", {sql, 0, 0}),
            "running query: syntax error at or near \"FORM\" (line 2, column 1) [SQLSTATE 42601]");
  // Behind weir's 31-character EXPLAIN prefix.
  EXPECT_EQ(located_text("x at character 41 [SQLSTATE 42601]", {sql, 0, 31}), "x (line 2, column 1) [SQLSTATE 42601]");
  // The statement starting after a comment: its offset counts from there, its column from the line's start.
  const std::string commented = "/* é */ SELECT nope";
  EXPECT_EQ(located_text("e at character 8 (detail)", {commented, 9, 0}), "e (line 1, column 16) (detail)");
  // Just past the end: the end of the input.
  EXPECT_EQ(located_text("syntax error at end of input at character 10", {"SELECT (1", 0, 0}),
            "syntax error at end of input (line 1, column 10)");
}

TEST(ErrorPosition, AnOffsetOutsideTheAgentsTextIsDroppedAndAMessageWithoutOneIsKept) {
  EXPECT_EQ(located_text("e at character 3 [SQLSTATE 42601]", {"SELECT 1", 0, 31}), "e [SQLSTATE 42601]");
  EXPECT_EQ(located_text("e at character 99", {"SELECT 1", 0, 0}), "e");
  EXPECT_EQ(located_text("near 'FORM t' at line 2", {"SELECT *\nFORM t", 0, 0}), "near 'FORM t' at line 2");
  Error kept = located(Error(ErrorKind::syntax, "no position", "42601", false), {"SELECT 1", 0, 0});
  EXPECT_EQ(kept.kind(), ErrorKind::syntax);
  EXPECT_EQ(kept.code(), "42601");
}

TEST(ErrorPosition, TheClassifierSaysWhereTheStatementStarts) {
  const db::SqlSyntax syntax = db::Registry::builtin().for_scheme("postgres").dialect().sql_syntax();
  Classified c = classify_read_only("  /* é */ SELECT 1;", SqlFamily::postgres, syntax);
  EXPECT_EQ(c.statement, "SELECT 1");
  EXPECT_EQ(c.statement_begin, 11u);  // bytes: é is two
}

}  // namespace
}  // namespace weir::mcp
