#include "pipeline/sql_lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "weir/error.hpp"

namespace weir::pipeline::sql {
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
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (pos_ < sql_.size()) {
      std::size_t start = pos_;
      TokenKind kind = next();
      tokens.push_back(Token{kind, start, pos_});
    }
    return tokens;
  }

 private:
  // Multi-line SQL (a script) is located by line and column, one line by column alone.
  [[noreturn]] void unclosed(std::string_view what, std::size_t start) const {
    if (sql_.find('\n') == std::string_view::npos)
      throw Error(ErrorKind::config, fmt::format("unclosed {} at column {}", what, start + 1));
    auto line = 1 + std::count(sql_.begin(), sql_.begin() + static_cast<std::ptrdiff_t>(start), '\n');
    std::size_t line_start = start == 0 ? std::string_view::npos : sql_.rfind('\n', start - 1);
    std::size_t column = line_start == std::string_view::npos ? start + 1 : start - line_start;
    throw Error(ErrorKind::config, fmt::format("unclosed {} at line {}, column {}", what, line, column));
  }

  bool at(std::string_view s) const { return sql_.substr(pos_).starts_with(s); }

  // Moves past `close`, which must come before the end.
  void skip_past(std::string_view close, std::string_view what, std::size_t start) {
    std::size_t found = sql_.find(close, pos_);
    if (found == std::string_view::npos) unclosed(what, start);
    pos_ = found + close.size();
  }

  // A quoted run where the quote character doubled stands for itself.
  void quoted(char quote, bool backslash_escapes, std::string_view what, std::size_t start) {
    ++pos_;
    while (true) {
      if (pos_ >= sql_.size()) unclosed(what, start);
      char c = sql_[pos_++];
      if (backslash_escapes && c == '\\') {
        ++pos_;
      } else if (c == quote) {
        if (pos_ < sql_.size() && sql_[pos_] == quote) ++pos_;
        else return;
      }
    }
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

  TokenKind next() {
    std::size_t start = pos_;
    char c = sql_[pos_];
    if (is_space(c)) {
      while (pos_ < sql_.size() && is_space(sql_[pos_])) ++pos_;
      return TokenKind::space;
    }
    if (at("--")) {
      std::size_t eol = sql_.find('\n', pos_);
      pos_ = eol == std::string_view::npos ? sql_.size() : eol;
      return TokenKind::comment;
    }
    if (at("/*")) {
      pos_ += 2;
      skip_past("*/", "comment", start);
      return TokenKind::comment;
    }
    if (at("{{")) {
      pos_ += 2;
      skip_past("}}", "`{{`", start);
      return TokenKind::templ;
    }
    if ((c == 'E' || c == 'e') && pos_ + 1 < sql_.size() && sql_[pos_ + 1] == '\'') {
      ++pos_;
      quoted('\'', true, "string", start);
      return TokenKind::string;
    }
    if (c == '\'') {
      quoted('\'', false, "string", start);
      return TokenKind::string;
    }
    if (c == '"' || c == '`') {
      quoted(c, false, "quoted identifier", start);
      return TokenKind::identifier;
    }
    if (c == '$' && dollar_quoted(start)) return TokenKind::string;
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
    while (pos_ < sql_.size() && is_op_char(sql_[pos_]) && !at("--") && !at("/*")) ++pos_;
    return TokenKind::op;
  }

  std::string_view sql_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<Token> tokenize(std::string_view sql) { return Lexer(sql).run(); }

}  // namespace weir::pipeline::sql
