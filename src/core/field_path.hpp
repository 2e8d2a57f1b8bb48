// FieldPath — a reference to a record's field in `when:` conditions and SQL templates.
//
// `record.customer_id` names a column; `record.customer.tier` reads key `tier` of the JSON
// object held by column `customer` (weir::Json is JSON text, e.g. a column merged by an
// earlier sql_call with `merge: nested`). Segments are [A-Za-z0-9_$]+.
//
// FieldReader is a path resolved against one schema: a column index plus the keys to walk.
// Reading a top-level column copies nothing; a nested read walks the cell's JSON document,
// parsed once per cell and batch in JsonCells however many paths read it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir {

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

// The parsed JSON documents of one batch's cells, each parsed on its first nested read: a
// `when:` condition and every query of a filter that read `record.customer.tier` and
// `record.customer.id` share one parse per cell. Entries are keyed by (row, column), so
// clear() it whenever the batch or a cell already read changes. One thread at a time.
class JsonCells {
 public:
  JsonCells();
  ~JsonCells();
  JsonCells(JsonCells&&) noexcept;
  JsonCells& operator=(JsonCells&&) noexcept;

  void clear() noexcept;

  // The value at `keys` inside the JSON document of `cell` (row `row`, column `column` of the
  // batch), parsed at the first call for that cell: NULL when the cell is NULL, not JSON
  // text, or lacks a key on the way. JSON strings become text, integers int64, other
  // numbers float64, objects and arrays json.
  Value read(std::size_t row, std::size_t column, const Value& cell, std::span<const std::string> keys);

  // Documents parsed on this thread since it started, by every JsonCells: what tests count.
  static std::uint64_t parses_on_this_thread() noexcept;

 private:
  struct Documents;
  std::unique_ptr<Documents> documents_;
};

class FieldReader {
 public:
  // Throws Error{config} naming the path and the closest column when the schema lacks it.
  FieldReader(const FieldPath& path, const Schema& schema);

  // The field's value in `row`, row `row_index` of a batch with the bound schema whose JSON
  // documents `json` holds. A nested read stores its result in `scratch` and returns it (see
  // JsonCells::read).
  const Value& read(std::span<const Value> row, std::size_t row_index, JsonCells& json, Value& scratch) const;

  std::size_t column() const noexcept { return column_; }
  bool nested() const noexcept { return !keys_.empty(); }

 private:
  std::size_t column_;
  std::vector<std::string> keys_;
};

}  // namespace weir
