// SQLite ↔ weir value mapping, both directions, in one place.
//
// SQLite stores five classes (NULL, INTEGER, REAL, TEXT, BLOB); the declared column type
// says what the column means. A column's logical type comes from its declared type
// (logical_type), then each cell is read by its storage class and that logical type: an
// INTEGER in a BOOLEAN column is a bool, ISO text in a TIMESTAMP column a timestamp. Text
// that does not parse as the declared temporal type stays text rather than failing.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "weir/schema.hpp"
#include "weir/value.hpp"

struct sqlite3_stmt;
struct sqlite3_value;
struct sqlite3_context;

namespace weir::db::sqlite {

// How declared types map to logical types: the first rule whose fragment occurs in the
// declaration (case-insensitively) wins; no match means Type::null (any).
struct DeclaredRule {
  std::string_view fragment;
  Type type;
};
std::span<const DeclaredRule> declared_rules() noexcept;
// Its part of docs/types.md (Driver::types_reference), from the table above.
std::string types_reference_markdown();

// Logical type for a declared column type ("VARCHAR(20)", "NUMERIC(10,2)", "DATETIME").
// Empty or unknown declarations give Type::null (any).
Type logical_type(std::string_view declared) noexcept;

// The declared type weir uses when it creates `column` (see Dialect::column_type): exact
// decimals are DECIMAL_TEXT, stored as text and read back as decimals.
std::string declared_type(const Column& column);
// Whether a column declared `declared` has NUMERIC affinity and is a decimal one ("NUMERIC",
// "DECIMAL(12,2)"; not DECIMAL_TEXT, whose TEXT affinity keeps the text as given).
bool numeric_affinity(std::string_view declared);
// What NUMERIC affinity makes of the number `text`, read back, when that is another number: an
// integer beyond 64 bits or a decimal with more digits than a REAL keeps becomes that REAL
// ("12345678901234567890.5" reads back as 12345678901234567168). nullopt when it reads back as
// the same number, or `text` is no number (then SQLite keeps the text).
std::optional<std::string> numeric_affinity_change(std::string_view text);

// Sets the native type, logical type and range ("NUMERIC(10,2)", "VARCHAR(40)") of `column`
// from its declaration.
void describe_declared(std::string_view declared, Column& column);

// Reads one result cell (sqlite3_column_value: one lookup per cell instead of one per
// sqlite3_column_* call; the connection is used by one thread, so its unprotected values
// may be read directly) as `logical`.
void read_cell(sqlite3_value* cell, Type logical, Value& out);

// Binds `value` to 1-based parameter `index`. With `borrow`, strings are bound without a
// copy: the value must outlive the next sqlite3_step.
void bind_value(sqlite3_stmt* stmt, int index, const Value& value, bool borrow);
// Makes `value` the result of a virtual table's column (or a function), as bind_value binds it;
// strings are borrowed: the value must outlive the statement's step. Without `borrow` they are
// copied (a virtual table whose rows change under SQLite's feet: weir query's remote tables).
void result_value(sqlite3_context* context, const Value& value, bool borrow = true);

}  // namespace weir::db::sqlite
