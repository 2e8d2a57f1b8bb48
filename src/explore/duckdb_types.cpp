// DuckDB's type names for weir's logical types, for users who load the data there: narrowed by
// the source's precision, length or bits as the drivers' own column_type() narrows them.
#include <fmt/format.h>

#include <array>
#include <utility>

#include "core/text.hpp"
#include "explore/describe.hpp"

namespace weir::explore {
namespace {

// PostgreSQL array element types by their native name (format_type's spelling).
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kArrayElements{{
    {"boolean", "BOOLEAN"},     {"smallint", "SMALLINT"},       {"integer", "INTEGER"},
    {"bigint", "BIGINT"},       {"real", "FLOAT"},              {"double precision", "DOUBLE"},
    {"text", "VARCHAR"},        {"character varying", "VARCHAR"}, {"date", "DATE"},
    {"timestamp without time zone", "TIMESTAMP"}, {"timestamp with time zone", "TIMESTAMPTZ"},
    {"uuid", "UUID"},           {"json", "JSON"},               {"jsonb", "JSON"},
    {"bytea", "BLOB"},          {"numeric", "VARCHAR"},
}};

std::string integer_type(int bits) {
  if (bits > 0 && bits <= 16) return "SMALLINT";
  if (bits > 0 && bits <= 32) return "INTEGER";
  return "BIGINT";  // 33 (an unsigned int) and 64
}

std::string array_type(const Column& column) {
  std::string_view element = column.native_type;
  if (auto paren = element.find('('); paren != std::string_view::npos) element = element.substr(0, paren);
  if (auto brackets = element.find('['); brackets != std::string_view::npos) element = element.substr(0, brackets);
  for (auto [native, duck] : kArrayElements)
    if (trim(element) == native) return std::string(duck) + "[]";
  return "JSON";
}

}  // namespace

std::string duckdb_type(const Column& column) {
  switch (column.type) {
    case Type::boolean: return "BOOLEAN";
    case Type::int64: return integer_type(column.bits);
    case Type::float64: return column.bits == 32 ? "FLOAT" : "DOUBLE";
    case Type::decimal:
      if (column.precision > 38) return "VARCHAR";
      if (column.precision > 0) return fmt::format("DECIMAL({},{})", column.precision, column.scale);
      return "VARCHAR";  // an unbounded numeric: DuckDB's DECIMAL stops at 38 digits
    case Type::text: return "VARCHAR";
    case Type::bytes: return "BLOB";
    case Type::date: return "DATE";
    case Type::time: return "TIME";
    case Type::timestamp: return "TIMESTAMP";
    case Type::timestamptz: return "TIMESTAMPTZ";
    case Type::interval: return "INTERVAL";
    case Type::uuid: return "UUID";
    case Type::json: return "JSON";
    case Type::array: return array_type(column);
    case Type::null: break;
  }
  return "VARCHAR";
}

}  // namespace weir::explore
