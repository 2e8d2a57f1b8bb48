#include "query/table_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "db/common/sql_lexer.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::query {
namespace {

using db::sql::Token;
using db::sql::TokenKind;

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// Words that end a FROM list.
constexpr std::array kClauseWords{"WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "EXCEPT", "INTERSECT",
                                  "WINDOW", "SELECT", "VALUES", "RETURNING", "SET"};
// Words that may follow a table name and are no alias.
constexpr std::array kNotAlias{"WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "WINDOW",
                               "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON", "USING", "OUTER",
                               "INDEXED", "NOT", "OFFSET", "RETURNING", "SET"};

template <std::size_t N>
bool among(const std::array<const char*, N>& words, std::string_view word) {
  std::string u = upper(word);
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return u == w; });
}

// An identifier's name: a quoted one without its quotes, doubled quotes made single.
std::string unquote(std::string_view text, TokenKind kind) {
  if (kind != TokenKind::identifier || text.size() < 2) return std::string(text);
  char close = text.front() == '[' ? ']' : text.front();
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    out += text[i];
    if (text[i] == close && close != ']' && i + 2 < text.size() && text[i + 1] == close) ++i;
  }
  return out;
}

bool is_name(const Token& t) { return t.kind == TokenKind::word || t.kind == TokenKind::identifier; }

struct Frame {
  bool query = true;    // a statement or subquery, not an expression's parentheses
  bool in_from = false;
};

class Finder {
 public:
  Finder(std::string_view sql, std::vector<Token> tokens, const std::function<bool(std::string_view)>& is_connection)
      : sql_(sql), is_connection_(is_connection) {
    for (const Token& t : tokens)
      if (t.kind != TokenKind::space && t.kind != TokenKind::comment) tokens_.push_back(t);
  }

  std::vector<TableName> run() {
    std::vector<Frame> frames{{true, false}};
    bool expect_table = false;
    bool after_lparen = false;
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      std::string_view text = t.text(sql_);
      Frame& frame = frames.back();
      if (after_lparen) frame.query = t.kind == TokenKind::word && among(std::array{"SELECT", "WITH", "VALUES"}, text);
      after_lparen = false;
      if (t.kind == TokenKind::lparen) {
        frames.push_back({false, false});
        after_lparen = true;
        expect_table = false;
        continue;
      }
      if (t.kind == TokenKind::rparen) {
        if (frames.size() > 1) frames.pop_back();
        expect_table = false;
        continue;
      }
      if (expect_table && is_name(t)) {
        i = take_name(i);
        expect_table = false;
        continue;
      }
      expect_table = false;
      if (t.kind == TokenKind::word && frame.query) {
        std::string word = upper(text);
        if (word == "FROM") frame.in_from = expect_table = true;
        else if (word == "JOIN") expect_table = frame.in_from;
        else if (among(kClauseWords, word)) frame.in_from = false;
      } else if (t.kind == TokenKind::comma && frame.in_from) {
        expect_table = true;
      }
    }
    return std::move(names_);
  }

 private:
  // Reads the dotted name starting at token `i`; returns its last token's index.
  std::size_t take_name(std::size_t i) {
    std::vector<std::size_t> parts{i};
    while (parts.back() + 2 < tokens_.size() && tokens_[parts.back() + 1].kind == TokenKind::dot &&
           is_name(tokens_[parts.back() + 2]))
      parts.push_back(parts.back() + 2);
    std::size_t last = parts.back();
    if (parts.size() < 2 || parts.size() > 3) return last;
    auto part = [&](std::size_t k) { return unquote(tokens_[parts[k]].text(sql_), tokens_[parts[k]].kind); };
    std::string first = part(0);
    if (!is_connection_(first)) {
      if (parts.size() == 2 && among(std::array{"MAIN", "TEMP"}, first)) return last;
      throw Error(ErrorKind::config, fmt::format("no connection `{}` in the config file (table `{}` at column {})",
                                                 first, sql_.substr(tokens_[i].begin, tokens_[last].end - tokens_[i].begin),
                                                 tokens_[i].begin + 1));
    }
    TableName name;
    name.connection = first;
    name.table = parts.size() == 3 ? db::TableRef{part(1), part(2)} : db::TableRef{"", part(1)};
    name.begin = tokens_[i].begin;
    name.end = tokens_[last].end;
    if (last + 1 < tokens_.size()) {
      const Token& next = tokens_[last + 1];
      name.has_alias = next.kind == TokenKind::identifier ||
                       (next.kind == TokenKind::word && !among(kNotAlias, next.text(sql_)));
    }
    names_.push_back(std::move(name));
    return last;
  }

  std::string_view sql_;
  const std::function<bool(std::string_view)>& is_connection_;
  std::vector<Token> tokens_;
  std::vector<TableName> names_;
};

}  // namespace

std::string TableName::label() const { return fmt::format("{}.{}", connection, table.to_string()); }

std::vector<TableName> find_remote_tables(std::string_view sql, const std::function<bool(std::string_view)>& is_connection) {
  db::sql::LexOptions options{.syntax = db::Registry::builtin().for_scheme("sqlite").dialect().sql_syntax()};
  return Finder(sql, db::sql::tokenize(sql, options), is_connection).run();
}

std::string rewrite_tables(std::string_view sql, const std::vector<TableName>& names,
                           const std::function<std::string(const TableName&)>& replacement) {
  const db::Dialect& sqlite = db::Registry::builtin().for_scheme("sqlite").dialect();
  std::string out;
  std::size_t at = 0;
  for (const TableName& name : names) {
    out.append(sql.substr(at, name.begin - at));
    out += replacement(name);
    if (!name.has_alias) out += " AS " + sqlite.quote_identifier(name.table.name);
    at = name.end;
  }
  out.append(sql.substr(at));
  return out;
}

}  // namespace weir::query
