#include "cli/sql_script.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "db/common/sql_lexer.hpp"

namespace weir::cli {
namespace {

using db::sql::Token;
using db::sql::TokenKind;

bool is_blank(TokenKind kind) { return kind == TokenKind::space || kind == TokenKind::comment; }

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  return out;
}

}  // namespace

std::vector<ScriptStatement> split_script(std::string_view script, const db::SqlSyntax& syntax) {
  std::vector<Token> tokens = db::sql::tokenize(script, {.syntax = syntax});
  std::vector<ScriptStatement> out;
  int line = 1;
  std::size_t first = 0, last = 0;  // the current statement's first and one-past-last meaningful token
  bool open = false;
  int first_line = 1;
  auto flush = [&] {
    if (open) out.push_back({std::string(script.substr(tokens[first].begin, tokens[last - 1].end - tokens[first].begin)), first_line});
    open = false;
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::semicolon) {
      flush();
    } else if (!is_blank(t.kind)) {
      if (!open) {
        open = true;
        first = i;
        first_line = line;
      }
      last = i + 1;
    }
    std::string_view text = t.text(script);
    line += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  flush();
  return out;
}

StatementInfo inspect_statement(std::string_view sql, const db::SqlSyntax& syntax) {
  StatementInfo info;
  for (const Token& t : db::sql::tokenize(sql, {.syntax = syntax})) {
    if (t.kind != TokenKind::word) continue;
    std::string word = upper(t.text(sql));
    if (info.verb.empty()) info.verb = word;
    if (word == "RETURNING") info.returning = true;
    if (word == "PASSWORD" || word == "IDENTIFIED") info.names_password = true;
  }
  return info;
}

bool counts_rows(const StatementInfo& info) {
  static constexpr std::array<std::string_view, 5> kVerbs = {"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE"};
  return !info.returning && std::find(kVerbs.begin(), kVerbs.end(), info.verb) != kVerbs.end();
}

std::string loggable_statement(std::string_view sql, const db::SqlSyntax& syntax) {
  bool secret_literals = inspect_statement(sql, syntax).names_password;
  std::string out;
  for (const Token& t : db::sql::tokenize(sql, {.syntax = syntax})) {
    if (t.kind == TokenKind::string && secret_literals) out += "'***'";
    else if (t.kind == TokenKind::space || t.kind == TokenKind::comment) out += ' ';
    else out += t.text(sql);
  }
  return out;
}

}  // namespace weir::cli
