// The one SQL lexer (db/common/sql_lexer) under every combination of its syntax rules, and
// what reads SQL through it without a server: `weir query --file` script splitting and
// PostgreSQL's test for a COPY-able query. The first byte picks the rules (one bit each),
// the second whether {{…}} templates are tokens. Invariants: tokens cover the text end to
// end (up to what is left open); each token starts as its kind says; tokenize throws exactly
// when scan leaves something open; a script's statements are trimmed pieces of it, in order.
#include <cstddef>
#include <cstdint>

#include "cli/sql_script.hpp"
#include "db/common/sql_lexer.hpp"
#include "db/postgres/copy_out.hpp"
#include "fuzz_check.hpp"

namespace weir::fuzz {
namespace {

using db::sql::TokenKind;

db::SqlSyntax syntax_of(std::uint8_t bits) {
  return {.nested_comments = (bits & 1) != 0,
          .backslash_escapes = (bits & 2) != 0,
          .escape_strings = (bits & 4) != 0,
          .dollar_quotes = (bits & 8) != 0,
          .double_quoted_strings = (bits & 16) != 0,
          .bracket_identifiers = (bits & 32) != 0,
          .hash_comments = (bits & 64) != 0,
          .dash_comment_needs_space = (bits & 128) != 0};
}

bool starts_as_its_kind(TokenKind kind, std::string_view t) {
  switch (kind) {
    case TokenKind::comment: return t.starts_with("--") || t.starts_with('#') || t.starts_with("/*");
    case TokenKind::identifier: return t.starts_with('"') || t.starts_with('`') || t.starts_with('[');
    case TokenKind::string:
      return t.starts_with('\'') || t.starts_with('"') || t.starts_with("E'") || t.starts_with("e'") ||
             t.starts_with('$');
    case TokenKind::templ: return t.starts_with("{{") && t.ends_with("}}") && t.size() >= 4;
    case TokenKind::dot: return t == ".";
    case TokenKind::comma: return t == ",";
    case TokenKind::lparen: return t == "(";
    case TokenKind::rparen: return t == ")";
    case TokenKind::semicolon: return t == ";";
    case TokenKind::other: return t.size() == 1;
    default: return true;
  }
}

void check_scan(std::string_view sql, const db::sql::LexOptions& options) {
  db::sql::Scan scan = db::sql::scan(sql, options);
  std::size_t at = 0;
  for (const db::sql::Token& t : scan.tokens) {
    require(t.begin == at && t.end > t.begin, fmt::format("a gap or an empty token at byte {}", at));
    require(starts_as_its_kind(t.kind, t.text(sql)),
            fmt::format("token `{}` at byte {} is not of kind {}", t.text(sql), t.begin, static_cast<int>(t.kind)));
    at = t.end;
  }
  require(at == (scan.unclosed ? scan.unclosed->begin : sql.size()),
          fmt::format("the tokens end at byte {} of {}", at, sql.size()));
  bool threw = false;
  try {
    (void)db::sql::tokenize(sql, options);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    threw = true;
  }
  require(threw == scan.unclosed.has_value(), "tokenize and scan disagree about what is left open");
}

void check_script(std::string_view script, const db::SqlSyntax& syntax) {
  std::vector<cli::ScriptStatement> statements;
  try {
    statements = cli::split_script(script, syntax);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    return;
  }
  std::size_t from = 0;
  int line = 1;
  for (const cli::ScriptStatement& s : statements) {
    std::size_t found = script.find(s.sql, from);
    require(!s.sql.empty() && found != std::string_view::npos, fmt::format("statement `{}` is not in the script", s.sql));
    require(s.sql.back() != ';' && !std::isspace(static_cast<unsigned char>(s.sql.front())) &&
                !std::isspace(static_cast<unsigned char>(s.sql.back())),
            fmt::format("statement `{}` is not trimmed", s.sql));
    require(s.line >= line, "statements are not in order of their lines");
    line = s.line;
    from = found + s.sql.size();
    (void)cli::inspect_statement(s.sql, syntax);
    (void)cli::loggable_statement(s.sql, syntax);
  }
}

void check(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  std::string_view sql(reinterpret_cast<const char*>(data + 2), size - 2);
  db::sql::LexOptions options{.syntax = syntax_of(data[0]), .templates = (data[1] & 1) != 0};
  check_scan(sql, options);
  check_script(sql, options.syntax);
  if (auto query = db::postgres::copyable_query(sql))
    require(sql.starts_with(*query), "a COPY-able query is not a prefix of the statement");
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check(data, size);
  return 0;
}
