// PostgreSQL ↔ weir value mapping, both directions, in one table.
//
// Results are read in text format (session settings make it canonical: UTF8, DateStyle ISO,
// TimeZone UTC, floats exact; intervals in IntervalStyle postgres or iso_8601) and parsed by the column's
// type OID; parameters are sent as text with OID 0 so the server infers their type from
// the statement, except bytea, which is sent binary so no byte is reinterpreted.
#pragma once

#include <libpq-fe.h>

#include <span>
#include <string>
#include <string_view>

#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir::db::postgres {

struct PgType {
  Oid oid;
  std::string_view name;  // the SQL type name
  Type type;              // logical type
  Oid element;            // for arrays: the element's OID, else 0
};

// Every type weir reads natively (others are read as text).
std::span<const PgType> known_types() noexcept;
// Its part of docs/types.md (Driver::types_reference), from the table above.
std::string types_reference_markdown();
// The table entry for `oid`, or nullptr for types weir does not know (read as text).
const PgType* find_type(Oid oid) noexcept;
// The SQL type weir uses when it creates `column` (see Dialect::column_type).
std::string column_type(const Column& column);
// Sets the range of `column` (bits, precision and scale, length) from its type and modifier.
void describe_modifier(Oid oid, int typmod, Column& column);

// Parses the text form of a value of type `oid` into `out`.
void read_text(std::string_view text, Oid oid, Value& out);

// Whether a column or parameter of type `oid` holds JSON (json, jsonb).
bool is_json_type(Oid oid) noexcept;

// The text form of `value` for a parameter; false for NULL. Throws Error{data} for text with
// a NUL byte, which PostgreSQL cannot store. `into_json`: the value goes into a json or jsonb
// column or parameter (is_json_type), where an array is written as a JSON array, as binary COPY
// writes it: PostgreSQL's array literal would be `{1,2}`, which is no JSON, or `{}`, an object.
bool param_text(const Value& value, std::string& out, bool into_json = false);

}  // namespace weir::db::postgres
