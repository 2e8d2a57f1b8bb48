// FieldPath — a reference to a record's field in `when:` conditions and SQL templates.
//
// `record.customer_id` names a column; `record.customer.tier` reads key `tier` of the JSON
// object held by column `customer` (weir::Json is JSON text, e.g. a column merged by an
// earlier sql_call with `merge: nested`). Segments are [A-Za-z0-9_$]+.
//
// FieldReader is a path resolved against one schema: a column index plus the keys to walk.
// Reading a top-level column copies nothing; a nested read parses that cell's JSON.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::pipeline {

struct FieldPath {
  std::string column;             // the record's column
  std::vector<std::string> keys;  // object keys inside that column's JSON, outermost first

  // "record.a.b"
  std::string to_string() const;
  bool operator==(const FieldPath&) const = default;
};

// True for the characters a path segment may hold.
bool is_field_char(char c) noexcept;

// Parses "record.a" / "record.a.b" (no spaces). nullopt with `problem` set (e.g. "the root
// must be `record`") when `text` is not a path.
std::optional<FieldPath> parse_field_path(std::string_view text, std::string& problem);

class FieldReader {
 public:
  // Throws Error{config} naming the path and the closest column when the schema lacks it.
  FieldReader(const FieldPath& path, const Schema& schema);

  // The field's value in `row` (a row of a batch with the bound schema). A nested read
  // stores its result in `scratch` and returns it: NULL when the cell is NULL, not a JSON
  // object, or lacks a key on the way. JSON strings become text, integers int64, other
  // numbers float64, objects and arrays json.
  const Value& read(std::span<const Value> row, Value& scratch) const;

  std::size_t column() const noexcept { return column_; }
  bool nested() const noexcept { return !keys_.empty(); }

 private:
  std::size_t column_;
  std::vector<std::string> keys_;
};

// Walks `keys` into the JSON document `json` and converts what it finds (see read()).
Value json_path_value(std::string_view json, std::span<const std::string> keys);

}  // namespace weir::pipeline
