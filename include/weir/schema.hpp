// weir::Schema — the columns of a result, a table or a batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/change.hpp"
#include "weir/value.hpp"

namespace weir {

struct Column {
  std::string name;
  Type type = Type::null;   // logical type; null means unknown (e.g. an SQLite expression)
  std::string native_type;  // the database's own type name, as declared ("numeric(12,2)")
  bool nullable = true;
  // The source type's range where the database says, 0 where it does not: a decimal's digits
  // and scale (numeric(12,2)), a text's length in characters (varchar(40)), an integer's bits,
  // one more for an unsigned one (int unsigned: 33). A created column holds every value of the
  // source's, and is no wider than it needs to be.
  int precision = 0;
  int scale = 0;
  int length = 0;
  int bits = 0;
  bool primary_key = false;  // part of the source table's primary key, where the database says
  // Last, so that positional initialisers of the fields above stay valid.
  std::uint32_t native_type_id = 0;  // the database's id of that type (a PostgreSQL type OID); 0: none
  bool operator==(const Column&) const = default;
};

// How a change stream's table changed shape mid-stream (a column added, dropped, retyped or
// renamed at the source), and what the stream's policy (postgres_cdc `schema_changes`) made of
// it: an output that keeps a table (sql_apply) alters it for what is applied, and leaves it
// as it is for what is ignored.
struct ColumnChange {
  enum class Kind : std::uint8_t { add, drop, type, rename };
  Kind kind = Kind::add;
  bool apply = true;     // false: ignored, the target is left as it is
  Column column;         // the column as it now is (drop: as it was)
  std::string old_name;  // rename: the name it had
  // add: the value the rows already there took (ADD COLUMN … DEFAULT), where the source said.
  std::optional<Value> existing;
  bool operator==(const ColumnChange&) const = default;
};

struct ShapeChange {
  std::vector<ColumnChange> changes;  // since the table's previous shape in the stream
  // Kept from earlier changes the policy ignored: source columns the target never gets (an
  // added column ignored), and source names the target knows by another (a rename ignored).
  std::vector<std::string> left_out;
  std::map<std::string, std::string> target_names;
  bool operator==(const ShapeChange&) const = default;
};

std::string_view to_string(ColumnChange::Kind kind) noexcept;

// An ordered list of columns with lookup by name, and the source table they belong to when
// they are one table's (a change stream's batches always are). Immutable once shared between
// stages (held as std::shared_ptr<const Schema>): a table whose shape changes mid-stream
// gets a new Schema, so an output knows its batches' shape by the pointer.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Column> columns, SourceTable source = {},
                  std::shared_ptr<const ShapeChange> change = nullptr);

  std::size_t size() const noexcept { return columns_.size(); }
  bool empty() const noexcept { return columns_.empty(); }
  const Column& operator[](std::size_t i) const { return columns_[i]; }
  const std::vector<Column>& columns() const noexcept { return columns_; }
  auto begin() const noexcept { return columns_.begin(); }
  auto end() const noexcept { return columns_.end(); }

  // Exact match first, then ASCII case-insensitive, as SQL users expect.
  std::optional<std::size_t> find(std::string_view name) const noexcept;
  // Like find(), but throws Error{config} naming the column and the closest existing one.
  std::size_t index_of(std::string_view name) const;
  const SourceTable& source() const noexcept { return source_; }
  // How this shape of a change stream's table came about; null when nothing changed.
  const ShapeChange* change() const noexcept { return change_.get(); }

  bool operator==(const Schema& other) const {
    return columns_ == other.columns_ && source_ == other.source_ &&
           (change_ == other.change_ || (change_ && other.change_ && *change_ == *other.change_));
  }

 private:
  std::vector<Column> columns_;
  SourceTable source_;
  std::shared_ptr<const ShapeChange> change_;
};

}  // namespace weir
