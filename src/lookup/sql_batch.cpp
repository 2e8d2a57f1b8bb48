#include "lookup/sql_batch.hpp"

#include <fmt/format.h>

#include <array>

#include "core/text.hpp"

namespace weir::lookup {
namespace {

using db::sql::TokenKind;

// Words after which rows no longer correspond one-to-one to the key they matched.
constexpr std::array<std::string_view, 22> kRowWideWords{
    "DISTINCT", "LIMIT",  "OFFSET", "FETCH", "TOP",       "GROUP",  "HAVING",      "ORDER",
    "UNION",    "INTERSECT", "EXCEPT", "MINUS", "WINDOW", "OVER",   "INTO",        "FOR",
    "LOCK",     "QUALIFY", "PROCEDURE", "WITH", "TABLESAMPLE", "ROWNUM"};

constexpr std::array<std::string_view, 23> kAggregates{
    "COUNT",  "SUM",      "AVG",        "MIN",        "MAX",         "TOTAL",       "GROUP_CONCAT", "EVERY",
    "BOOL_AND", "BOOL_OR", "BIT_AND",   "BIT_OR",     "BIT_XOR",     "STDDEV",      "STDDEV_POP",   "STDDEV_SAMP",
    "VARIANCE", "VAR_POP", "VAR_SAMP",  "MODE",       "ANY_VALUE",   "JSON_GROUP_ARRAY", "JSON_GROUP_OBJECT"};

struct Sig {
  TokenKind kind;
  std::size_t begin, end;
  int depth;           // parentheses around the token
  std::string upper;   // words only
};

std::string upper_ascii(std::string_view word) {
  std::string out(word);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool one_of(std::string_view word, std::span<const std::string_view> list) {
  for (std::string_view w : list)
    if (word == w) return true;
  return false;
}

bool is_aggregate(std::string_view upper) {
  return one_of(upper, kAggregates) || upper.ends_with("AGG") || upper.starts_with("PERCENTILE_") ||
         upper.starts_with("REGR_") || upper.starts_with("COVAR_") || upper == "CORR";
}

// The code tokens (no spaces, comments or trailing semicolons), each with its depth.
std::vector<Sig> significant(std::string_view text) {
  std::vector<Sig> out;
  int depth = 0;
  for (const db::sql::Token& t : db::sql::tokenize(text, kTemplateLex)) {
    if (t.kind == TokenKind::space || t.kind == TokenKind::comment) continue;
    if (t.kind == TokenKind::rparen) --depth;
    Sig s{t.kind, t.begin, t.end, depth, {}};
    if (t.kind == TokenKind::word) s.upper = upper_ascii(t.text(text));
    out.push_back(std::move(s));
    if (t.kind == TokenKind::lparen) ++depth;
  }
  while (!out.empty() && out.back().kind == TokenKind::semicolon) out.pop_back();
  return out;
}

bool is_word(const std::vector<Sig>& s, std::size_t i, std::string_view upper) {
  return i < s.size() && s[i].kind == TokenKind::word && s[i].upper == upper;
}

bool is_name(const Sig& s) { return s.kind == TokenKind::word || s.kind == TokenKind::identifier; }

// Why the statement as a whole cannot be batched, or "".
std::string whole_statement_problem(const std::vector<Sig>& s, std::string_view text) {
  if (s.empty() || !is_word(s, 0, "SELECT")) return "is not a plain SELECT";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].kind == TokenKind::semicolon) return "has several statements";
    std::string_view name = text.substr(s[i].begin, s[i].end - s[i].begin);
    if (s[i].kind == TokenKind::identifier) name = name.substr(1, name.size() - 2);
    if (is_name(s[i]) && iequals(name, BatchPlan::kKeyAlias))
      return fmt::format("already uses the name {}", BatchPlan::kKeyAlias);
    if (s[i].kind != TokenKind::word) continue;
    if (one_of(s[i].upper, kRowWideWords)) return fmt::format("uses {}", s[i].upper);
    if (is_aggregate(s[i].upper) && i + 1 < s.size() && s[i + 1].kind == TokenKind::lparen)
      return fmt::format("calls the aggregate {}()", s[i].upper);
  }
  return {};
}

// A column reference: name { . name }, from s[first] up to (not including) the returned index.
std::size_t column_end(const std::vector<Sig>& s, std::size_t first) {
  if (first >= s.size() || !is_name(s[first])) return first;
  std::size_t i = first + 1;
  while (i + 1 < s.size() && s[i].kind == TokenKind::dot && is_name(s[i + 1])) i += 2;
  return i;
}

// The same, walking backwards from s[last]; returns the index of its first token.
std::optional<std::size_t> column_begin(const std::vector<Sig>& s, std::size_t last) {
  if (!is_name(s[last])) return std::nullopt;
  std::size_t i = last;
  while (i >= 2 && s[i - 1].kind == TokenKind::dot && is_name(s[i - 2])) i -= 2;
  return i;
}

bool is_equals(const Sig& s, std::string_view text) {
  return s.kind == TokenKind::op && text.substr(s.begin, s.end - s.begin) == "=";
}

// Where `column = {{…}}` (or `{{…}}` = column) sits among the tokens.
struct KeyPredicate {
  std::size_t key_first, key_last;    // the column reference
  std::size_t pred_first, pred_last;  // the whole comparison
};

// The comparison of the template (token t) with a column, as a top-level conjunct of WHERE.
std::optional<KeyPredicate> key_predicate(const std::vector<Sig>& s, std::size_t t, std::string_view text) {
  if (t >= s.size() || s[t].depth != 0) return std::nullopt;
  auto conjunct_edge = [&](std::size_t i) { return is_word(s, i, "WHERE") || is_word(s, i, "AND"); };
  auto ends_conjunct = [&](std::size_t i) { return i >= s.size() || is_word(s, i, "AND"); };
  if (t >= 3 && is_equals(s[t - 1], text) && ends_conjunct(t + 1)) {  // column = {{…}}
    auto b = column_begin(s, t - 2);
    if (b && *b > 0 && conjunct_edge(*b - 1)) return KeyPredicate{*b, t - 2, *b, t};
    return std::nullopt;
  }
  if (conjunct_edge(t - 1) && t + 2 < s.size() && is_equals(s[t + 1], text)) {  // {{…}} = column
    std::size_t e = column_end(s, t + 2);
    if (e > t + 2 && ends_conjunct(e)) return KeyPredicate{t + 2, e - 1, t, e - 1};
  }
  return std::nullopt;
}

}  // namespace

std::optional<BatchPlan> BatchPlan::make(const SqlTemplate& tmpl, std::string& why_not) {
  if (tmpl.fields().size() != 1) {
    why_not = fmt::format("has {} templates (batching needs exactly one)", tmpl.fields().size());
    return std::nullopt;
  }
  std::string_view text = tmpl.sql();
  std::vector<Sig> s = significant(text);
  if (why_not = whole_statement_problem(s, text); !why_not.empty()) return std::nullopt;
  auto depth0 = [&](std::size_t from, std::string_view word) {
    for (std::size_t i = from; i < s.size(); ++i)
      if (s[i].depth == 0 && is_word(s, i, word)) return i;
    return s.size();
  };
  std::size_t from = depth0(1, "FROM"), where = depth0(from, "WHERE");
  if (from == 1 || from == s.size() || where == s.size()) {
    why_not = "is not of the form SELECT … FROM … WHERE …";
    return std::nullopt;
  }
  for (std::size_t i = where + 1; i < s.size(); ++i)
    if (s[i].depth == 0 && (is_word(s, i, "OR") || is_word(s, i, "CASE") || is_word(s, i, "BETWEEN"))) {
      why_not = fmt::format("uses {} in WHERE", s[i].upper);
      return std::nullopt;
    }
  std::size_t t = where + 1;
  while (t < s.size() && s[t].kind != TokenKind::templ) ++t;
  auto p = key_predicate(s, t, text);
  if (!p) {
    why_not = "the template is not compared with `=` to a column as a condition of WHERE joined by AND";
    return std::nullopt;
  }
  BatchPlan plan;
  std::size_t list_end = s[from - 1].end;
  plan.head_ = std::string(text.substr(0, list_end));
  plan.key_ = std::string(text.substr(s[p->key_first].begin, s[p->key_last].end - s[p->key_first].begin));
  plan.middle_ = std::string(text.substr(list_end, s[p->pred_first].begin - list_end));
  plan.tail_ = std::string(text.substr(s[p->pred_last].end, s.back().end - s[p->pred_last].end));
  return plan;
}

std::string BatchPlan::render(const db::Dialect& dialect, std::size_t count) const {
  std::string out = fmt::format("{}, {} AS {}{}{} IN (", head_, key_, kKeyAlias, middle_, key_);
  for (std::size_t i = 1; i <= count; ++i) {
    if (i > 1) out += ", ";
    out += dialect.placeholder(i);
  }
  out += ')';
  out += tail_;
  return out;
}

// `1 = 1` in the predicate's place keeps the rest of the WHERE clause as written.
std::string BatchPlan::render_all() const {
  return fmt::format("{}, {} AS {}{}1 = 1{}", head_, key_, kKeyAlias, middle_, tail_);
}

}  // namespace weir::lookup
