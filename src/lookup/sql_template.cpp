#include "lookup/sql_template.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::lookup {
namespace {

[[noreturn]] void fail(std::string_view name, std::string_view sql, std::string_view problem) {
  std::string shown(sql.substr(0, 200));
  if (sql.size() > 200) shown += "…";
  throw Error(ErrorKind::config, fmt::format("{}: SQL template `{}`: {}", name, shown, problem));
}

}  // namespace

SqlTemplate SqlTemplate::parse(std::string_view sql, std::string_view name) {
  SqlTemplate t;
  t.sql_ = std::string(sql);
  t.name_ = std::string(name);
  if (trim(sql).empty()) fail(name, sql, "is empty");
  std::vector<db::sql::Token> tokens;
  try {
    tokens = db::sql::tokenize(sql, kTemplateLex);
  } catch (const Error& e) {
    fail(name, sql, e.what());
  }
  std::string piece;
  for (const db::sql::Token& token : tokens) {
    std::string_view text = token.text(sql);
    if (token.kind == db::sql::TokenKind::string && text.find("{{record.") != std::string_view::npos)
      fail(name, sql,
           fmt::format("a template inside the string literal at column {} would not be bound; write it outside "
                       "the quotes, e.g. '%' || {{{{record.x}}}} || '%'",
                       token.begin + 1));
    if (token.kind != db::sql::TokenKind::templ) {
      piece += text;
      continue;
    }
    std::string problem;
    auto path = parse_field_path(trim(text.substr(2, text.size() - 4)), problem);
    if (!path) fail(name, sql, fmt::format("`{}` at column {}: {}", text, token.begin + 1, problem));
    t.fields_.push_back(std::move(*path));
    t.pieces_.push_back(std::move(piece));
    piece.clear();
  }
  t.pieces_.push_back(std::move(piece));
  return t;
}

std::string SqlTemplate::render(const db::Dialect& dialect) const {
  std::string out = pieces_[0];
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    out += dialect.placeholder(i + 1);
    out += pieces_[i + 1];
  }
  return out;
}

}  // namespace weir::lookup
