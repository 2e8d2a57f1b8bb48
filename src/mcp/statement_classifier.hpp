// Which SQL may run on a read-only connection, judged from the text before anything reaches the
// server: one statement, a reading verb (SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW), none of
// the words that write, lock or leave the transaction (INSERT … INTO, FOR UPDATE, LOCK), no
// MySQL executable comment (/*! … */), and no call of a function known to act outside the
// database (pg_read_file, lo_export, dblink, LOAD_FILE, GET_LOCK, load_extension …).
//
// It is one of three walls, not the only one: the database refuses writes itself (a read-only
// transaction, SQLite opened read-only), and on PostgreSQL every function the plan calls is
// checked for volatility (safe_query.cpp). The text is read by the shared SQL lexer under every
// quoting the server might use (with and without backslash escapes), and refused when any
// reading finds something: a string the server ends earlier than we think cannot hide code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/db/dialect.hpp"

namespace weir::mcp {

enum class SqlFamily { postgres, mysql, sqlite };

// The family of a driver's dialect name ("postgres", "mysql", "sqlite").
SqlFamily sql_family(std::string_view dialect_name);

struct Classified {
  std::optional<std::string> refusal;   // one line: why the statement may not run; nullopt: it may
  std::vector<std::string> functions;   // every name called as a function, lower-cased, unique
  std::string statement;                // the statement without a trailing `;` and comments around it
  std::size_t statement_begin = 0;      // where `statement` starts in the text given, in bytes
};

Classified classify_read_only(std::string_view sql, SqlFamily family, const db::SqlSyntax& syntax);

// The function names of `text` (a name, possibly quoted or schema-qualified, followed by `(`),
// lower-cased: how PostgreSQL's EXPLAIN VERBOSE prints the calls of a plan.
std::vector<std::string> called_functions(std::string_view text, const db::SqlSyntax& syntax);

// True when `name` (lower-case) is refused on a read-only connection whatever the catalog says.
bool denied_function(std::string_view name, SqlFamily family);

}  // namespace weir::mcp
