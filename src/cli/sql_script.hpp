// SQL scripts for `weir query --file`: split into statements with the SQL lexer, read in the
// connection's syntax (so a `;` inside a string, a quoted identifier, a comment or a $tag$
// body does not end one: MySQL's 'it\'s' and # comments, PostgreSQL's nested comments), and
// what the command needs to know of a statement before running it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "weir/db/dialect.hpp"

namespace weir::cli {

struct ScriptStatement {
  std::string sql;  // without its terminating `;`, comments and spaces around it trimmed
  int line = 1;     // 1-based line of its first token in the script
};

// The statements of `script` in order; empty ones (`;;`, comments only) are skipped. Throws
// Error{config} naming the line of an unclosed string, identifier or comment.
std::vector<ScriptStatement> split_script(std::string_view script, const db::SqlSyntax& syntax);

struct StatementInfo {
  std::string verb;            // the first keyword, upper-cased: SELECT, INSERT, WITH …; empty if none
  bool returning = false;      // has a RETURNING clause (an INSERT/UPDATE/DELETE that yields rows)
  bool names_password = false;  // PASSWORD or IDENTIFIED appears: its string literals may be secrets
};
StatementInfo inspect_statement(std::string_view sql, const db::SqlSyntax& syntax);

// True for the verbs whose affected-row count psql shows: INSERT, UPDATE, DELETE, MERGE, REPLACE.
bool counts_rows(const StatementInfo& info);

// The statement as the debug log shows it: one line, and every string literal as '***' when it
// names a password (CREATE USER … PASSWORD '…', IDENTIFIED BY '…').
std::string loggable_statement(std::string_view sql, const db::SqlSyntax& syntax);

}  // namespace weir::cli
