// The one SQL lexer: every piece of weir that reads SQL text without a server uses it —
// `{{…}}` templates and batched lookups (lookup/), `weir query --file` scripts (cli/), and
// PostgreSQL's test for a COPY-able query (db/postgres/copy_out).
//
// It splits text the way the database's own lexer would, far enough to know where strings,
// quoted identifiers and comments begin and end: the rules come from the dialect's
// SqlSyntax ('…' with '' doubled everywhere; E'…', $tag$…$tag$ and nested /* */ on
// PostgreSQL; backslash escapes, "…" strings, # and `-- ` comments on MySQL; […]
// identifiers on SQLite). Tokens cover the text end to end, so slicing between them
// reproduces the SQL exactly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/db/dialect.hpp"

namespace weir::db::sql {

enum class TokenKind {
  space,       // whitespace
  comment,     // -- …, # … or /* … */
  word,        // keyword or bare identifier (letters, digits, _, $, non-ASCII)
  identifier,  // "quoted", `quoted` or [quoted]
  string,      // '…', E'…', $tag$…$tag$ (and "…" where the syntax says so)
  number,
  dot,
  comma,
  lparen,
  rparen,
  semicolon,
  op,          // runs of operator characters: = <> != :: || …
  other,       // anything else, one character (?, $1 …)
  templ,       // {{ … }}, only when templates are asked for
};

struct Token {
  TokenKind kind;
  std::size_t begin;  // byte offsets into the SQL
  std::size_t end;
  std::string_view text(std::string_view sql) const { return sql.substr(begin, end - begin); }
};

struct LexOptions {
  SqlSyntax syntax{};
  bool templates = false;  // `{{…}}` is one templ token (weir's SQL templates)
};

// What tokenize() could not close: "string", "comment", "quoted identifier",
// "dollar-quoted string" or "`{{`", and where it opened.
struct Unclosed {
  std::string what;
  std::size_t begin;
};

struct Scan {
  std::vector<Token> tokens;         // up to the unclosed construct, if any
  std::optional<Unclosed> unclosed;
};

// Never throws: an unterminated string, identifier, comment or template is reported in
// Scan::unclosed.
Scan scan(std::string_view sql, const LexOptions& options = {});

// The tokens of `sql`; throws Error{config} for anything unclosed, naming the 1-based column
// where it starts (and the line, when the SQL has several).
std::vector<Token> tokenize(std::string_view sql, const LexOptions& options = {});

}  // namespace weir::db::sql
