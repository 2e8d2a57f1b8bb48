#include "db/common/sql_lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "weir/error.hpp"

namespace weir::db::sql {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_word_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) noexcept { return is_word_start(c) || is_digit(c) || c == '$'; }
bool is_op_char(char c) noexcept { return std::string_view("=<>!~+-*/%^&|@#:").find(c) != std::string_view::npos; }

class Lexer {
 public:
  Lexer(std::string_view sql, const LexOptions& options) : sql_(sql), syntax_(options.syntax), templates_(options.templates) {}

  Scan run() {
    Scan out;
    while (pos_ < sql_.size()) {
      std::size_t start = pos_;
      TokenKind kind = next();
      if (unclosed_) break;
      out.tokens.push_back(Token{kind, start, pos_});
    }
    out.unclosed = std::move(unclosed_);
    return out;
  }

 private:
  // Records what is left open; the scan stops there.
  void unclosed(std::string_view what, std::size_t start) {
    unclosed_ = Unclosed{std::string(what), start};
    pos_ = sql_.size();
  }

  bool at(std::string_view s) const { return sql_.substr(pos_).starts_with(s); }
  char peek(std::size_t ahead) const { return pos_ + ahead < sql_.size() ? sql_[pos_ + ahead] : '\0'; }

  // Moves past `close`, which must come before the end.
  void skip_past(std::string_view close, std::string_view what, std::size_t start) {
    std::size_t found = sql_.find(close, pos_);
    if (found == std::string_view::npos) return unclosed(what, start);
    pos_ = found + close.size();
  }

  // A quoted run where the quote character doubled stands for itself.
  void quoted(char quote, bool backslash_escapes, std::string_view what, std::size_t start) {
    ++pos_;
    while (true) {
      if (pos_ >= sql_.size()) return unclosed(what, start);
      char c = sql_[pos_++];
      if (backslash_escapes && c == '\\') {
        ++pos_;
      } else if (c == quote) {
        if (pos_ < sql_.size() && sql_[pos_] == quote) ++pos_;
        else return;
      }
    }
  }

  void block_comment(std::size_t start) {
    pos_ += 2;
    if (!syntax_.nested_comments) return skip_past("*/", "comment", start);
    for (int depth = 1; depth > 0;) {
      if (pos_ >= sql_.size()) return unclosed("comment", start);
      if (at("/*")) ++depth, pos_ += 2;
      else if (at("*/")) --depth, pos_ += 2;
      else ++pos_;
    }
  }

  // -- (MySQL: only before a space or control character), or # on MySQL.
  bool line_comment_starts() const {
    if (syntax_.hash_comments && sql_[pos_] == '#') return true;
    if (!at("--")) return false;
    return !syntax_.dash_comment_needs_space || pos_ + 2 >= sql_.size() || static_cast<unsigned char>(peek(2)) <= ' ';
  }

  // $$…$$ or $tag$…$tag$; false when `$` does not open one (e.g. the placeholder $1).
  bool dollar_quoted(std::size_t start) {
    std::size_t i = pos_ + 1;
    while (i < sql_.size() && is_word_char(sql_[i]) && sql_[i] != '$') ++i;
    if (i >= sql_.size() || sql_[i] != '$' || (i > pos_ + 1 && is_digit(sql_[pos_ + 1]))) return false;
    std::string_view tag = sql_.substr(pos_, i - pos_ + 1);
    pos_ = i + 1;
    skip_past(tag, "dollar-quoted string", start);
    return true;
  }

  // Strings, quoted identifiers and comments; nullopt when `c` opens none of them.
  std::optional<TokenKind> quoted_or_comment(char c, std::size_t start) {
    if (line_comment_starts()) {
      std::size_t eol = sql_.find('\n', pos_);
      pos_ = eol == std::string_view::npos ? sql_.size() : eol;
      return TokenKind::comment;
    }
    if (at("/*")) {
      block_comment(start);
      return TokenKind::comment;
    }
    if (templates_ && at("{{")) {
      pos_ += 2;
      skip_past("}}", "`{{`", start);
      return TokenKind::templ;
    }
    if (syntax_.escape_strings && (c == 'E' || c == 'e') && peek(1) == '\'') {
      ++pos_;
      quoted('\'', true, "string", start);
      return TokenKind::string;
    }
    if (c == '\'' || (c == '"' && syntax_.double_quoted_strings)) {
      quoted(c, syntax_.backslash_escapes, "string", start);
      return TokenKind::string;
    }
    if (c == '"' || c == '`') {
      quoted(c, false, "quoted identifier", start);
      return TokenKind::identifier;
    }
    if (c == '[' && syntax_.bracket_identifiers) {
      ++pos_;
      skip_past("]", "quoted identifier", start);
      return TokenKind::identifier;
    }
    if (c == '$' && syntax_.dollar_quotes && dollar_quoted(start)) return TokenKind::string;
    return std::nullopt;
  }

  TokenKind next() {
    std::size_t start = pos_;
    char c = sql_[pos_];
    if (is_space(c)) {
      while (pos_ < sql_.size() && is_space(sql_[pos_])) ++pos_;
      return TokenKind::space;
    }
    if (auto kind = quoted_or_comment(c, start)) return *kind;
    if (is_word_start(c)) {
      while (pos_ < sql_.size() && is_word_char(sql_[pos_])) ++pos_;
      return TokenKind::word;
    }
    if (is_digit(c)) {
      while (pos_ < sql_.size() && (is_digit(sql_[pos_]) || sql_[pos_] == '.' || is_word_char(sql_[pos_]))) ++pos_;
      return TokenKind::number;
    }
    ++pos_;
    switch (c) {
      case '.': return TokenKind::dot;
      case ',': return TokenKind::comma;
      case '(': return TokenKind::lparen;
      case ')': return TokenKind::rparen;
      case ';': return TokenKind::semicolon;
      default: break;
    }
    if (!is_op_char(c)) return TokenKind::other;
    // Stop before a comment: `=--x` is `=` and a comment.
    while (pos_ < sql_.size() && is_op_char(sql_[pos_]) && !line_comment_starts() && !at("/*")) ++pos_;
    return TokenKind::op;
  }

  std::string_view sql_;
  SqlSyntax syntax_;
  bool templates_;
  std::size_t pos_ = 0;
  std::optional<Unclosed> unclosed_;
};

}  // namespace

Scan scan(std::string_view sql, const LexOptions& options) { return Lexer(sql, options).run(); }

std::vector<Token> tokenize(std::string_view sql, const LexOptions& options) {
  Scan s = scan(sql, options);
  if (!s.unclosed) return std::move(s.tokens);
  const auto& [what, start] = *s.unclosed;
  // Multi-line SQL (a script) is located by line and column, one line by column alone.
  if (sql.find('\n') == std::string_view::npos)
    throw Error(ErrorKind::config, fmt::format("unclosed {} at column {}", what, start + 1));
  auto line = 1 + std::count(sql.begin(), sql.begin() + static_cast<std::ptrdiff_t>(start), '\n');
  std::size_t line_start = start == 0 ? std::string_view::npos : sql.rfind('\n', start - 1);
  std::size_t column = line_start == std::string_view::npos ? start + 1 : start - line_start;
  throw Error(ErrorKind::config, fmt::format("unclosed {} at line {}, column {}", what, line, column));
}

}  // namespace weir::db::sql
