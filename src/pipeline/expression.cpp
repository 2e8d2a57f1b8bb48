#include "pipeline/expression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "core/value_order.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {

namespace expression_detail {

enum class Op { or_, and_, not_, eq, ne, lt, le, gt, ge, truth };

struct Operand {
  Value literal;
  int field = -1;  // index into Tree::fields, or -1 for a literal
};

struct Node {
  Op op;
  std::vector<std::size_t> terms;  // child nodes: or_, and_ all their terms (a chain is one node); not_ one
  Operand a, b;                    // comparison sides (truth: a)
};

struct Tree {
  std::string text;
  std::vector<FieldPath> fields;
  std::vector<Node> nodes;
  std::size_t root = 0;
};

}  // namespace expression_detail

namespace {

using expression_detail::Node;
using expression_detail::Op;
using expression_detail::Operand;
using expression_detail::Tree;

enum class Tok { end, lparen, rparen, compare, and_, or_, not_, literal, field };

struct Token {
  Tok kind = Tok::end;
  std::size_t column = 0;  // 1-based
  Op op = Op::eq;          // for compare
  Value value;             // for literal
  FieldPath path;          // for field
};

class Parser {
 public:
  explicit Parser(Tree& tree) : tree_(tree), text_(tree.text) { advance(); }

  std::size_t parse() {
    std::size_t root = parse_or();
    if (token_.kind != Tok::end) fail("expected `and`, `or` or the end", token_.column);
    return root;
  }

 private:
  [[noreturn]] void fail(std::string_view problem, std::size_t column) const {
    throw Error(ErrorKind::config, fmt::format("condition `{}`: {} at column {}", text_, problem, column));
  }

  std::size_t add(Node node) {
    tree_.nodes.push_back(std::move(node));
    return tree_.nodes.size() - 1;
  }

  // `a or b or c`: one node with every term, so evaluating a long chain takes no deeper stack
  // than one term.
  std::size_t parse_or() {
    std::vector<std::size_t> terms{parse_and()};
    while (token_.kind == Tok::or_) {
      advance();
      terms.push_back(parse_and());
    }
    return terms.size() == 1 ? terms[0] : add(Node{Op::or_, std::move(terms), {}, {}});
  }

  std::size_t parse_and() {
    std::vector<std::size_t> terms{parse_not()};
    while (token_.kind == Tok::and_) {
      advance();
      terms.push_back(parse_not());
    }
    return terms.size() == 1 ? terms[0] : add(Node{Op::and_, std::move(terms), {}, {}});
  }

  std::size_t parse_not() {
    if (token_.kind == Tok::not_ || token_.kind == Tok::lparen) {
      // Parsing and evaluating recurse once per level: a limit keeps a hostile condition from
      // overflowing the stack, far beyond anything written by hand.
      if (nesting_ == kMaxNesting)
        fail(fmt::format("`not` and parentheses nest deeper than {} levels", kMaxNesting), token_.column);
      ++nesting_;
      std::size_t node = parse_nested();
      --nesting_;
      return node;
    }
    Operand a = parse_operand();
    if (token_.kind != Tok::compare) return add(Node{Op::truth, {}, std::move(a), {}});
    Op op = token_.op;
    advance();
    return add(Node{op, {}, std::move(a), parse_operand()});
  }

  std::size_t parse_nested() {
    if (token_.kind == Tok::not_) {
      advance();
      return add(Node{Op::not_, {parse_not()}, {}, {}});
    }
    std::size_t open = token_.column;
    advance();
    std::size_t inner = parse_or();
    if (token_.kind != Tok::rparen) fail("`(` is not closed", open);
    advance();
    return inner;
  }

  Operand parse_operand() {
    Operand o;
    if (token_.kind == Tok::literal) o.literal = std::move(token_.value);
    else if (token_.kind == Tok::field) o.field = field_index(token_.path);
    else fail("expected a value (record.<field>, a number, a string, true, false or null)", token_.column);
    advance();
    return o;
  }

  int field_index(const FieldPath& path) {
    auto it = std::find(tree_.fields.begin(), tree_.fields.end(), path);
    if (it == tree_.fields.end()) it = tree_.fields.insert(it, path);
    return static_cast<int>(it - tree_.fields.begin());
  }

  // Lexing ------------------------------------------------------------------------------

  void advance() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
    token_ = Token{};
    token_.column = pos_ + 1;
    if (pos_ >= text_.size()) return;
    char c = text_[pos_];
    if (c == '(' || c == ')') {
      token_.kind = c == '(' ? Tok::lparen : Tok::rparen;
      ++pos_;
    } else if (c == '\'' || c == '"') {
      lex_string(c);
    } else if ((c >= '0' && c <= '9') || ((c == '-' || c == '.') && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9')) {
      lex_number();
    } else if (is_field_char(c)) {
      lex_word();
    } else {
      lex_operator();
    }
  }

  void lex_operator() {
    static constexpr std::pair<std::string_view, Op> kCompare[] = {
        {"==", Op::eq}, {"!=", Op::ne}, {"<=", Op::le}, {">=", Op::ge}, {"<", Op::lt}, {">", Op::gt}};
    std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("&&") || rest.starts_with("||")) {
      token_.kind = rest[0] == '&' ? Tok::and_ : Tok::or_;
      pos_ += 2;
      return;
    }
    if (rest.starts_with("<>")) fail("`<>` is written `!=`", token_.column);
    for (const auto& [spelling, op] : kCompare) {
      if (!rest.starts_with(spelling)) continue;
      token_.kind = Tok::compare;
      token_.op = op;
      pos_ += spelling.size();
      return;
    }
    if (rest.starts_with("!")) {
      token_.kind = Tok::not_;
      ++pos_;
      return;
    }
    if (rest.starts_with("=")) fail("`=` compares nothing: write `==`", token_.column);
    fail(fmt::format("unexpected `{}`", rest.substr(0, 1)), token_.column);
  }

  void lex_string(char quote) {
    std::string out;
    std::size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        char e = text_[pos_++];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        out += c;
      }
    }
    if (pos_ >= text_.size()) fail("unterminated string", start + 1);
    ++pos_;
    token_.kind = Tok::literal;
    token_.value = Value(std::move(out));
  }

  void lex_number() {
    std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '.')) ++pos_;
    std::string_view number = text_.substr(start, pos_ - start);
    if (pos_ < text_.size() && is_field_char(text_[pos_])) fail(fmt::format("`{}{}` is not a number", number, text_[pos_]), start + 1);
    token_.kind = Tok::literal;
    std::int64_t i = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), i);
    if (ec == std::errc{} && end == number.data() + number.size()) token_.value = Value(i);
    else if (compare_decimal_text(number, "0")) token_.value = Value(Decimal{std::string(number)});
    else fail(fmt::format("`{}` is not a number", number), start + 1);
  }

  void lex_word() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && (is_field_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    if (iequals(word, "and")) token_.kind = Tok::and_;
    else if (iequals(word, "or")) token_.kind = Tok::or_;
    else if (iequals(word, "not")) token_.kind = Tok::not_;
    else if (iequals(word, "true") || iequals(word, "false")) token_ = literal(Value(iequals(word, "true")), start);
    else if (iequals(word, "null")) token_ = literal(Value(), start);
    else {
      std::string problem;
      auto path = parse_field_path(word, problem);
      if (!path) fail(problem, start + 1);
      token_.kind = Tok::field;
      token_.path = std::move(*path);
    }
  }

  static Token literal(Value v, std::size_t start) {
    Token t;
    t.kind = Tok::literal;
    t.column = start + 1;
    t.value = std::move(v);
    return t;
  }

  static constexpr int kMaxNesting = 200;

  Tree& tree_;
  std::string_view text_;
  std::size_t pos_ = 0;
  Token token_;
  int nesting_ = 0;
};

}  // namespace

Expression Expression::parse(std::string_view text) {
  auto tree = std::make_shared<Tree>();
  tree->text = std::string(text);
  if (trim(text).empty()) throw Error(ErrorKind::config, "condition is empty");
  tree->root = Parser(*tree).parse();
  return Expression(std::move(tree));
}

const std::string& Expression::text() const noexcept { return tree_->text; }

const std::vector<FieldPath>& Expression::fields() const noexcept { return tree_->fields; }

BoundExpression Expression::bind(const Schema& schema) const {
  std::vector<FieldReader> readers;
  for (const FieldPath& f : tree_->fields) {
    try {
      readers.emplace_back(f, schema);
    } catch (Error& e) {
      throw e.add_context(fmt::format("condition `{}` reads {}", tree_->text, f.to_string()));
    }
  }
  return BoundExpression(tree_, std::move(readers));
}

bool BoundExpression::eval(std::size_t index, const Row& row) const {
  const Node& n = tree_->nodes[index];
  switch (n.op) {
    case Op::or_:
      return std::any_of(n.terms.begin(), n.terms.end(), [&](std::size_t t) { return eval(t, row); });
    case Op::and_:
      return std::all_of(n.terms.begin(), n.terms.end(), [&](std::size_t t) { return eval(t, row); });
    case Op::not_: return !eval(n.terms[0], row);
    default: break;
  }
  Value scratch_a, scratch_b;
  auto read = [&](const Operand& o, Value& scratch) -> const Value& {
    if (o.field < 0) return o.literal;
    return readers_[static_cast<std::size_t>(o.field)].read(row.cells, row.index, row.json, scratch);
  };
  const Value& a = read(n.a, scratch_a);
  if (n.op == Op::truth) return a.type() == Type::boolean && a.as_bool();
  const Value& b = read(n.b, scratch_b);
  if (n.op == Op::eq) return values_equal(a, b);
  if (n.op == Op::ne) return !values_equal(a, b);
  std::optional<int> c = compare_values(a, b);
  if (!c) return false;
  switch (n.op) {
    case Op::lt: return *c < 0;
    case Op::le: return *c <= 0;
    case Op::gt: return *c > 0;
    default: return *c >= 0;
  }
}

bool BoundExpression::test(std::span<const Value> row, std::size_t row_index, JsonCells& json) const {
  return eval(tree_->root, Row{row, row_index, json});
}

}  // namespace weir::pipeline
