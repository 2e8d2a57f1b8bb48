// Expression — a `when:` condition, parsed once and tested against every record.
//
//   condition  := or
//   or         := and { ("or" | "||") and }
//   and        := not { ("and" | "&&") not }
//   not        := ("not" | "!") not | "(" or ")" | comparison
//   comparison := operand [ ("==" | "!=" | "<" | "<=" | ">" | ">=") operand ]
//   operand    := record.<field>[.<key>…] | integer | decimal | 'text' | "text" | true | false | null
//
// Keywords are case-insensitive; strings take \\ \' \" \n \t escapes. A lone operand is true
// only when it is the boolean true (`when: record.active`).
// `not` and parentheses nest at most 200 levels deep; chains of `and` / `or` may be any length.
//
// Values compare as core/value_order.hpp says: numbers numerically across int64/float64/decimal,
// strings bytewise. `==` is true when both sides are NULL or both are non-NULL and equal
// (so `record.x == null` tests for NULL) and `!=` is its negation; `<` `<=` `>` `>=` are
// false when either side is NULL or the two cannot be compared (SQL-like: `record.x > 1` is
// false for a NULL x). Logic is two-valued: `not (record.x > 1)` is true for a NULL x.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/field_path.hpp"
#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::pipeline {

namespace expression_detail {
struct Tree;
}

class BoundExpression;

class Expression {
 public:
  // Throws Error{config}: "condition `record.x >`: expected a value at column 11".
  static Expression parse(std::string_view text);

  const std::string& text() const noexcept;
  // Every field the condition reads, once each, in order of first use: what a validator
  // checks against the input's columns.
  const std::vector<FieldPath>& fields() const noexcept;

  // Resolves the fields against `schema`; throws Error{config} naming a missing field.
  BoundExpression bind(const Schema& schema) const;

 private:
  explicit Expression(std::shared_ptr<const expression_detail::Tree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const expression_detail::Tree> tree_;
};

// An expression resolved against one schema. Cheap to copy; test() is const and allocates
// only for nested (JSON) fields, so one instance may serve one thread's hot loop.
class BoundExpression {
 public:
  // Whether the record `row` (row `row_index` of a batch with the bound schema, whose JSON
  // cells `json` parses once) satisfies the condition.
  bool test(std::span<const Value> row, std::size_t row_index, JsonCells& json) const;

 private:
  friend class Expression;
  BoundExpression(std::shared_ptr<const expression_detail::Tree> tree, std::vector<FieldReader> readers)
      : tree_(std::move(tree)), readers_(std::move(readers)) {}
  struct Row {
    std::span<const Value> cells;
    std::size_t index;
    JsonCells& json;
  };
  bool eval(std::size_t node, const Row& row) const;

  std::shared_ptr<const expression_detail::Tree> tree_;
  std::vector<FieldReader> readers_;  // one per Expression::fields()
};

}  // namespace weir::pipeline
