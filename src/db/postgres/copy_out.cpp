#include "db/postgres/copy_out.hpp"

#include <fmt/format.h>

#include <cstring>

#include "core/text.hpp"
#include "db/postgres/wire_buffer.hpp"
#include "weir/error.hpp"

namespace weir::db::postgres {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) { return is_word_start(c) || (c >= '0' && c <= '9') || c == '$'; }

// Scans SQL the way the server's lexer splits it, far enough to find the statement's first
// keyword, its end, and any second statement. Positions are byte offsets into sql_.
class SqlScan {
 public:
  explicit SqlScan(std::string_view sql) : sql_(sql) {}

  // False when the text cannot be followed (unterminated quote or comment) or holds a
  // second statement after a ';'.
  bool run() {
    bool after_semicolon = false;
    while (i_ < sql_.size()) {
      char c = sql_[i_];
      if (is_space(c)) {
        ++i_;
      } else if (c == '-' && peek(1) == '-') {
        std::size_t eol = sql_.find('\n', i_);
        i_ = eol == std::string_view::npos ? sql_.size() : eol + 1;
      } else if (c == '/' && peek(1) == '*') {
        if (!skip_block_comment()) return false;
      } else if (c == ';') {
        after_semicolon = true;
        ++i_;
      } else {
        if (after_semicolon || !skip_token()) return false;
        end_ = i_;
      }
    }
    return true;
  }
  std::string_view first_word() const { return first_word_; }
  std::size_t end() const { return end_; }

 private:
  char peek(std::size_t ahead) const { return i_ + ahead < sql_.size() ? sql_[i_ + ahead] : '\0'; }

  bool skip_block_comment() {  // nested, as the server's are
    int depth = 0;
    while (i_ < sql_.size()) {
      if (sql_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
      } else if (sql_[i_] == '*' && peek(1) == '/') {
        --depth;
        i_ += 2;
      } else {
        ++i_;
      }
      if (depth == 0) return true;
    }
    return false;
  }

  // A quoted run ending at `quote`, doubled quotes inside; backslash escapes in E'' strings.
  bool skip_quoted(char quote, bool backslashes) {
    for (++i_; i_ < sql_.size(); ++i_) {
      if (backslashes && sql_[i_] == '\\') {
        ++i_;
      } else if (sql_[i_] == quote) {
        ++i_;
        if (peek(0) != quote) return true;
      }
    }
    return false;
  }

  // $tag$ … $tag$; a '$' that opens no such quote ($1, or inside a word) is an ordinary char.
  bool skip_dollar_quote() {
    std::size_t close = sql_.find('$', i_ + 1);
    std::string_view tag = close == std::string_view::npos ? "" : sql_.substr(i_, close - i_ + 1);
    bool quote = !tag.empty();
    for (std::size_t k = 1; quote && k + 1 < tag.size(); ++k)
      quote = is_word_char(tag[k]) && tag[k] != '$' && (k > 1 || is_word_start(tag[k]));
    if (!quote) {
      ++i_;
      return true;
    }
    std::size_t end = sql_.find(tag, close + 1);
    if (end == std::string_view::npos) return false;
    i_ = end + tag.size();
    return true;
  }

  bool skip_token() {
    char c = sql_[i_];
    if (c == '\'') return skip_quoted('\'', false);
    if (c == '"') return skip_quoted('"', false);
    if (c == '$') return skip_dollar_quote();
    if (!is_word_start(c)) {
      ++i_;
      return true;
    }
    std::size_t start = i_;
    while (i_ < sql_.size() && is_word_char(sql_[i_])) ++i_;
    // E'…' and U&'…' strings: the word is their prefix.
    if (i_ - start == 1 && (c == 'e' || c == 'E') && peek(0) == '\'') return skip_quoted('\'', true);
    if (first_word_.empty()) first_word_ = sql_.substr(start, i_ - start);
    return true;
  }

  std::string_view sql_;
  std::size_t i_ = 0;
  std::size_t end_ = 0;
  std::string_view first_word_;
};

[[noreturn]] void not_binary_copy(std::string_view what) {
  throw Error(ErrorKind::internal, fmt::format("reading COPY data: {}", what));
}

}  // namespace

std::optional<std::string_view> copyable_query(std::string_view sql) {
  SqlScan scan(sql);
  if (!scan.run()) return std::nullopt;
  std::string_view word = scan.first_word();
  if (!iequals(word, "select") && !iequals(word, "with") && !iequals(word, "values") && !iequals(word, "table"))
    return std::nullopt;
  return sql.substr(0, scan.end());
}

bool BinaryCopyReader::read(std::string_view message) {
  const char* p = message.data();
  const char* end = p + message.size();
  auto need = [&](std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) not_binary_copy("a message ends inside a tuple");
  };
  if (!header_read_) {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
    need(sizeof kSignature + 8);
    if (std::memcmp(p, kSignature, sizeof kSignature) != 0) not_binary_copy("no binary COPY signature");
    std::uint32_t extension = load32(p + sizeof kSignature + 4);
    p += sizeof kSignature + 8;
    need(extension);
    p += extension;
    header_read_ = true;
  }
  need(2);
  auto count = static_cast<std::int16_t>(load16(p));
  p += 2;
  if (count == -1) return false;
  if (static_cast<std::size_t>(count) != fields_.size())
    not_binary_copy(fmt::format("a tuple has {} fields, the result {} columns", count, fields_.size()));
  for (Field& field : fields_) {
    need(4);
    field.length = static_cast<std::int32_t>(load32(p));
    p += 4;
    field.data = p;
    if (field.length < 0) continue;
    need(static_cast<std::size_t>(field.length));
    p += field.length;
  }
  if (p != end) not_binary_copy("a message holds more than one tuple");
  return true;
}

}  // namespace weir::db::postgres
