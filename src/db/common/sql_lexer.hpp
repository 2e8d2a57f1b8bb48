// A lossless SQL tokenizer, just enough to find `{{…}}` templates outside literals and to
// recognise the simple SELECT shape that batched lookups rewrite (sql_batch.hpp).
//
// It knows the quoting every supported database shares — '…' strings with '' doubled,
// E'…' strings with backslash escapes, "…" and `…` identifiers, $tag$…$tag$ bodies, -- and
// /* */ comments — but not MySQL's backslash escapes inside plain '…' (off under
// NO_BACKSLASH_ESCAPES, and standard SQL has none). Tokens cover the text end to end, so
// slicing between them reproduces the SQL exactly.
#pragma once

#include <string_view>
#include <vector>

namespace weir::pipeline::sql {

enum class TokenKind {
  space,       // whitespace
  comment,     // -- … or /* … */
  word,        // keyword or bare identifier (letters, digits, _, $, non-ASCII)
  identifier,  // "quoted" or `quoted`
  string,      // '…', E'…', $tag$…$tag$
  number,
  dot,
  comma,
  lparen,
  rparen,
  semicolon,
  op,          // runs of operator characters: = <> != :: || …
  other,       // anything else, one character (?, $1 …)
  templ,       // {{ … }}
};

struct Token {
  TokenKind kind;
  std::size_t begin;  // byte offsets into the SQL
  std::size_t end;
  std::string_view text(std::string_view sql) const { return sql.substr(begin, end - begin); }
};

// Throws Error{config} for an unclosed string, quoted identifier, block comment or `{{`,
// naming the 1-based column where it starts.
std::vector<Token> tokenize(std::string_view sql);

}  // namespace weir::pipeline::sql
