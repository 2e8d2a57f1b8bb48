#include "query/whole_statement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "db/common/sql_lexer.hpp"
#include "query/pushdown.hpp"
#include "query/remote_traits.hpp"
#include "weir/db/driver.hpp"
#include "weir/temporal.hpp"

namespace weir::query {
namespace {

using db::sql::Token;
using db::sql::TokenKind;

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

template <std::size_t N>
bool among(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Words that mean the same in SQLite and PostgreSQL.
constexpr auto kKeywords = std::to_array<std::string_view>({
    "SELECT", "FROM",  "WHERE",     "GROUP",     "BY",        "HAVING",    "ORDER",     "ASC",       "DESC",
    "NULLS",  "FIRST", "LAST",      "LIMIT",     "OFFSET",    "JOIN",      "INNER",     "LEFT",      "RIGHT",
    "FULL",   "OUTER", "CROSS",     "ON",        "AS",        "DISTINCT",  "ALL",       "CASE",      "WHEN",
    "THEN",   "ELSE",  "END",       "UNION",     "EXCEPT",    "INTERSECT", "WITH",      "RECURSIVE", "AND",
    "OR",     "NOT",   "IS",        "NULL",      "IN",        "BETWEEN",   "EXISTS",    "OVER",      "PARTITION",
    "ROWS",   "RANGE", "UNBOUNDED", "PRECEDING", "FOLLOWING", "CURRENT",   "ROW"});
// Functions that give the same answer on the same values.
constexpr auto kFunctions = std::to_array<std::string_view>({"COUNT",      "SUM",  "MIN",       "MAX",       "COALESCE",
                                                      "NULLIF",     "RANK", "DENSE_RANK", "ROW_NUMBER", "NTILE",
                                                      "FIRST_VALUE", "LAG", "LEAD",      "LAST_VALUE", "FILTER"});
// Words whose meaning differs (or that PostgreSQL reads otherwise), even without parentheses.
constexpr auto kDifferent = std::to_array<std::string_view>({
    "LIKE",   "GLOB",  "REGEXP", "MATCH",        "ILIKE",        "ESCAPE",           "COLLATE", "CAST",
    "ISNULL", "NOTNULL", "INDEXED", "RAISE",      "ROWID",        "_ROWID_",          "OID",     "VALUES",
    "TRUE",   "FALSE", "USING", "NATURAL",  "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"});
constexpr auto kComparisons = std::to_array<std::string_view>({"=", "<>", "!=", "<", "<=", ">", ">=", "||"});
// What ends an ORDER BY list at its own depth.
constexpr auto kOrderEnds = std::to_array<std::string_view>({"LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "ROWS", "RANGE",
                                                     "GROUPS"});

bool is_name(const Token& t) { return t.kind == TokenKind::word || t.kind == TokenKind::identifier; }

std::string unquote(std::string_view text, TokenKind kind) {
  if (kind != TokenKind::identifier || text.size() < 2) return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    out += text[i];
    if (text[i] == '"' && i + 2 < text.size() && text[i + 1] == '"') ++i;
  }
  return out;
}

std::string unquote_string(std::string_view text) {
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\'' && i + 2 < text.size() && text[i + 1] == '\'') ++i;
  }
  return out;
}

bool looks_temporal(const std::string& text) {
  return parse_date(text) || parse_time(text) || parse_timestamp(text) || parse_timestamptz(text);
}

struct Rewriter {
  std::string_view sql;
  std::vector<Token> tokens;       // significant ones
  std::vector<std::size_t> spans;  // where the text before token i starts (spaces kept)
  const std::vector<TableName>& names;
  const std::vector<const std::vector<Column>*>& columns;
  std::string why_not;

  std::string upper_word(std::size_t i) const {
    return i < tokens.size() && tokens[i].kind == TokenKind::word ? upper(tokens[i].text(sql)) : std::string();
  }
  std::string_view text(std::size_t i) const { return i < tokens.size() ? tokens[i].text(sql) : std::string_view(); }
  bool is(std::size_t i, TokenKind kind) const { return i < tokens.size() && tokens[i].kind == kind; }
  bool refuse(std::string reason) {
    if (why_not.empty()) why_not = std::move(reason);
    return false;
  }

  // The column a literal at `i` is compared with (`col op 'x'`, `'x' op col`, `col BETWEEN 'x'
  // AND 'y'`, `col IN ('x', …)`): its name, or "" when the literal stands elsewhere.
  std::string compared_column(std::size_t i) const {
    auto name_ending = [&](std::size_t j) { return j < tokens.size() && is_name(tokens[j]) ? unquote(text(j), tokens[j].kind) : ""; };
    auto skip_not = [&](std::size_t j) { return j > 0 && upper_word(j) == "NOT" ? j - 1 : j; };
    if (i >= 2 && tokens[i - 1].kind == TokenKind::op && among(kComparisons, text(i - 1))) return name_ending(i - 2);
    if (is(i + 1, TokenKind::op) && among(kComparisons, text(i + 1)) && i + 2 < tokens.size() && is_name(tokens[i + 2])) {
      std::size_t j = i + 2;
      if (is(j + 1, TokenKind::dot)) j += 2;
      return name_ending(j);
    }
    if (i >= 2 && upper_word(i - 1) == "BETWEEN") return name_ending(skip_not(i - 2));
    if (i >= 4 && upper_word(i - 1) == "AND" && upper_word(i - 3) == "BETWEEN") return name_ending(skip_not(i - 4));
    std::size_t j = i;
    while (j >= 2 && (is(j - 1, TokenKind::comma) && is(j - 2, TokenKind::string))) j -= 2;
    if (j >= 3 && is(j - 1, TokenKind::lparen) && upper_word(j - 2) == "IN") return name_ending(skip_not(j - 3));
    return "";
  }

  // A date or time literal must be the canonical text of the column it is compared with
  // (SQLite compares the column's text, PostgreSQL the value), and no text is compared with a
  // boolean (SQLite's are 0 and 1).
  bool literal_ok(std::size_t i) {
    std::string literal = unquote_string(text(i));
    bool temporal = looks_temporal(literal);
    std::string column = compared_column(i);
    if (column.empty())
      return !temporal || refuse(fmt::format("the date or time {} is compared with no column", text(i)));
    bool found = false;
    for (const auto* table : columns)
      for (const Column& c : *table) {
        if (upper(c.name) != upper(column)) continue;
        found = true;
        // SQLite holds booleans as 0 and 1: 'true' is no value of theirs; PostgreSQL reads it as one.
        if (c.type == Type::boolean) return refuse(fmt::format("it compares {} with a boolean", text(i)));
        bool temporal_column = c.type == Type::date || c.type == Type::time || c.type == Type::timestamp ||
                               c.type == Type::timestamptz;
        if (temporal_column && !to_column_value(c, RhsKind::text, literal))
          return refuse(fmt::format("{} is not written as weir writes a {} ('2026-01-31 10:00:00')", text(i), to_string(c.type)));
      }
    return found || !temporal || refuse(fmt::format("the date or time {} is compared with no column of the tables", text(i)));
  }

  bool token_ok(std::size_t i) {
    const Token& t = tokens[i];
    std::string_view s = text(i);
    switch (t.kind) {
      case TokenKind::word: {
        std::string word = upper(s);
        if (among(kDifferent, word)) return refuse(fmt::format("it uses {}", word));
        if (is(i + 1, TokenKind::lparen) && !among(kKeywords, word) && !among(kFunctions, word))
          return refuse(fmt::format("it calls {}()", s));
        return true;
      }
      case TokenKind::identifier: return s.front() == '"' || refuse(fmt::format("it quotes a name as {}", s));
      case TokenKind::string: return literal_ok(i);
      case TokenKind::number:
        return s.size() < 2 || upper(s.substr(0, 2)) != "0X" || refuse("it writes a number in hexadecimal");
      case TokenKind::op: return op_ok(i);
      case TokenKind::dot:
      case TokenKind::comma:
      case TokenKind::lparen:
      case TokenKind::rparen:
      case TokenKind::semicolon: return true;
      default: return refuse(fmt::format("it holds {}", s));
    }
  }

  bool op_ok(std::size_t i) {
    std::string_view s = text(i);
    if (among(kComparisons, s)) return true;
    bool after_operand = i > 0 && (is(i - 1, TokenKind::number) || is(i - 1, TokenKind::string) ||
                                   is(i - 1, TokenKind::rparen) || is(i - 1, TokenKind::identifier) ||
                                   (is(i - 1, TokenKind::word) && !among(kKeywords, upper_word(i - 1))));
    if (s == "*" && (is(i - 1, TokenKind::dot) || is(i - 1, TokenKind::comma) || upper_word(i - 1) == "SELECT" ||
                     upper_word(i - 1) == "DISTINCT" || (is(i - 1, TokenKind::lparen) && is(i + 1, TokenKind::rparen))))
      return true;
    if (s == "-" && !after_operand && is(i + 1, TokenKind::number)) return true;  // a negative number
    return refuse(fmt::format("it uses `{}` (SQLite's arithmetic differs from the database's)", s));
  }
};

struct OrderList {
  int depth = 0;
  bool desc = false;
  bool nulls = false;
};

// The derived table a PostgreSQL table is read through: SQLite's comparisons on its columns.
std::optional<std::string> pg_table(const TableName& name, const std::vector<Column>& columns, const db::Dialect& d,
                                    std::string& why_not) {
  std::string list;
  for (const Column& c : columns) {
    std::string q = d.quote_identifier(c.name);
    std::string native = c.native_type;
    bool plain_text = native == "text" || native.starts_with("character varying") || native.starts_with("varchar");
    std::string expr;
    switch (c.type) {
      case Type::int64:
      case Type::float64:
      case Type::decimal:
      case Type::date:
      case Type::time:
      case Type::timestamp:
      case Type::timestamptz:
      case Type::boolean:
      case Type::bytes: expr = q; break;
      case Type::uuid:
      case Type::json: expr = fmt::format("{0}::text COLLATE \"C\" AS {0}", q); break;
      case Type::text:
        if (plain_text) {
          expr = fmt::format("{0} COLLATE \"C\" AS {0}", q);
          break;
        }
        [[fallthrough]];
      default:
        why_not = fmt::format("column `{}` of `{}` is a {}", c.name, name.label(),
                              native.empty() ? std::string(to_string(c.type)) : native);
        return std::nullopt;
    }
    list += (list.empty() ? "" : ", ") + expr;
  }
  return fmt::format("(SELECT {} FROM {})", list, d.quote_table(name.table));
}

WholeStatement on_sqlite_file(std::string_view sql, const std::vector<TableName>& names,
                              const std::vector<const std::vector<Column>*>& columns, const db::Dialect& d) {
  for (std::size_t i = 0; i < names.size(); ++i)
    for (const Column& c : *columns[i])
      if (c.type != Type::int64 && c.type != Type::text && c.type != Type::bytes)
        return {std::nullopt, fmt::format("column `{}` of `{}` is a {}: the virtual table maps it", c.name,
                                          names[i].label(), to_string(c.type))};
  std::size_t i = 0;
  return {rewrite_tables(sql, names, [&](const TableName&) { return d.quote_table(names[i++].table); }), {}};
}

}  // namespace

WholeStatement whole_statement(std::string_view sql, const std::vector<TableName>& names,
                               const std::vector<const std::vector<Column>*>& columns, const db::Dialect& dialect) {
  WholeStatements rule = traits_of(dialect).whole;
  if (rule == WholeStatements::same_engine) return on_sqlite_file(sql, names, columns, dialect);
  if (rule == WholeStatements::never)
    return {std::nullopt, fmt::format("{} compares text under its collations", dialect.name())};
  std::vector<std::string> tables;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string why_not;
    auto table = pg_table(names[i], *columns[i], dialect, why_not);
    if (!table) return {std::nullopt, why_not};
    tables.push_back(*table + (names[i].has_alias ? "" : " AS " + dialect.quote_identifier(names[i].table.name)));
  }
  db::sql::LexOptions options{.syntax = db::Registry::builtin().for_scheme("sqlite").dialect().sql_syntax()};
  Rewriter r{sql, {}, {}, names, columns, {}};
  std::size_t from = 0;
  for (const Token& t : db::sql::tokenize(sql, options)) {
    if (t.kind == TokenKind::space || t.kind == TokenKind::comment) continue;
    r.spans.push_back(from);
    r.tokens.push_back(t);
    from = t.end;
  }
  std::string out;
  std::vector<OrderList> orders;
  int depth = 0;
  auto end_term = [&](bool pop) {
    OrderList& o = orders.back();
    if (!o.nulls) out += o.desc ? " NULLS LAST" : " NULLS FIRST";
    o = {o.depth, false, false};
    if (pop) orders.pop_back();
  };
  std::size_t name = 0;
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    const Token& t = r.tokens[i];
    if (!r.token_ok(i)) return {std::nullopt, r.why_not};
    std::string word = r.upper_word(i);
    if (t.kind == TokenKind::rparen) --depth;
    while (!orders.empty() && orders.back().depth == depth &&
           (t.kind == TokenKind::comma || t.kind == TokenKind::semicolon || among(kOrderEnds, word)))
      if (t.kind == TokenKind::comma) {
        end_term(false);
        break;
      } else {
        end_term(true);
      }
    while (!orders.empty() && orders.back().depth > depth) end_term(true);
    // Spaces and comments before the token: comments go (PostgreSQL nests /* */, SQLite does not).
    out += t.begin > r.spans[i] ? " " : "";
    if (name < names.size() && t.begin == names[name].begin) {
      out += tables[name];
      while (i + 1 < r.tokens.size() && r.tokens[i].end < names[name].end) ++i;
      ++name;
      continue;
    }
    out += t.text(sql);
    if (t.kind == TokenKind::lparen) ++depth;
    if (word == "BY" && i > 0 && r.upper_word(i - 1) == "ORDER") orders.push_back({depth, false, false});
    if (!orders.empty() && orders.back().depth == depth && word != "BY") {
      if (word == "DESC" || word == "ASC") orders.back().desc = word == "DESC";
      if (word == "NULLS") orders.back().nulls = true;
    }
  }
  while (!orders.empty()) end_term(true);
  return {out, {}};
}

}  // namespace weir::query
