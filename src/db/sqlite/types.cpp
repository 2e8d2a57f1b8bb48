#include "db/sqlite/types.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

#include "db/common/column_rounding.hpp"
#include "db/common/type_names.hpp"

#include "core/text.hpp"
#include "db/sqlite/errors.hpp"
#include "weir/temporal.hpp"

namespace weir::db::sqlite {
namespace {

// The type weir declares for exact decimals. Its "TEXT" gives the column TEXT affinity, so
// SQLite keeps each value as the text it was given; NUMERIC affinity would turn
// 1234567890123456789012345678.0123456789 into a REAL, 1.23456789012346e+27.
constexpr std::string_view kDecimalText = "decimal_text";

// First match wins, so longer names come before the names they contain.
constexpr std::array kDeclRules{
    DeclaredRule{kDecimalText, Type::decimal}, DeclaredRule{"interval", Type::interval},  DeclaredRule{"bool", Type::boolean},
    DeclaredRule{"int", Type::int64},          DeclaredRule{"timestamptz", Type::timestamptz},
    DeclaredRule{"with time zone", Type::timestamptz}, DeclaredRule{"datetime", Type::timestamp},
    DeclaredRule{"timestamp", Type::timestamp}, DeclaredRule{"date", Type::date},
    DeclaredRule{"time", Type::time},
    DeclaredRule{"char", Type::text},          DeclaredRule{"clob", Type::text},
    DeclaredRule{"text", Type::text},          DeclaredRule{"json", Type::json},
    DeclaredRule{"uuid", Type::uuid},          DeclaredRule{"blob", Type::bytes},
    DeclaredRule{"real", Type::float64},       DeclaredRule{"floa", Type::float64},
    DeclaredRule{"doub", Type::float64},       DeclaredRule{"dec", Type::decimal},
    DeclaredRule{"numeric", Type::decimal},
};

constexpr std::array kCreateNames{
    TypeName{Type::null, "BLOB"},         TypeName{Type::boolean, "BOOLEAN"},
    TypeName{Type::int64, "INTEGER"},     TypeName{Type::float64, "REAL"},
    TypeName{Type::decimal, "DECIMAL_TEXT"}, TypeName{Type::text, "TEXT"},
    TypeName{Type::bytes, "BLOB"},        TypeName{Type::date, "DATE"},
    TypeName{Type::time, "TIME"},         TypeName{Type::timestamp, "TIMESTAMP"},
    TypeName{Type::timestamptz, "TIMESTAMPTZ"}, TypeName{Type::interval, "INTERVAL"},
    TypeName{Type::uuid, "UUID"},         TypeName{Type::json, "JSON"},
    TypeName{Type::array, "JSON"},
};

// The shortest text that reads back as `v`, without an exponent: a decimal column's REAL
// must read as "0.0000001", not "1e-07".
std::string plain_number(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of("eE") == std::string::npos) return s;
  s = fmt::format("{:.17f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// SQLite stores NaN as NULL: a float column keeps it as the text "NaN" instead (REAL affinity
// leaves text that is not a number alone). Infinities are REALs.
constexpr std::string_view kNaN = "NaN";
std::optional<double> non_finite(std::string_view text) {
  if (text == kNaN) return std::numeric_limits<double>::quiet_NaN();
  return std::nullopt;
}

std::string_view value_text(sqlite3_value* value) {
  auto* p = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return {p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(value))};
}

void read_text(std::string_view text, Type logical, Value& out) {
  switch (logical) {
    case Type::json:
    case Type::array: out.set_json(text); return;
    case Type::decimal: out.set_decimal(text); return;
    case Type::float64:
      if (auto special = non_finite(text)) return out.set_double(*special);
      break;
    case Type::date:
      if (auto d = parse_date(text)) return void(out = *d);
      break;
    case Type::time:
      if (auto t = parse_time(text)) return void(out = *t);
      break;
    case Type::timestamp:
      if (auto ts = parse_timestamp(text)) return void(out = *ts);
      break;
    case Type::timestamptz:
      if (auto ts = parse_timestamptz(text)) return void(out = *ts);
      break;
    case Type::uuid:
      if (auto u = parse_uuid(text)) return void(out = *u);
      break;
    case Type::interval:
      if (auto iv = parse_interval(text)) return void(out = *iv);
      break;
    default: break;
  }
  out.set_text(text);
}

}  // namespace

std::span<const DeclaredRule> declared_rules() noexcept { return kDeclRules; }

Type logical_type(std::string_view declared) noexcept {
  if (declared.empty()) return Type::null;
  std::string lower = to_lower(declared);
  for (const DeclaredRule& rule : kDeclRules)
    if (lower.find(rule.fragment) != std::string::npos) return rule.type;
  return Type::null;
}

std::string declared_type(const Column& column) {
  if (column.type == Type::decimal && column.precision > 0)
    return fmt::format("DECIMAL_TEXT({},{})", column.precision, column.scale);
  if (column.type == Type::text && column.length > 0) return fmt::format("VARCHAR({})", column.length);
  return std::string(type_name(kCreateNames, column.type, "BLOB"));
}

bool numeric_affinity(std::string_view declared) {
  return logical_type(declared) == Type::decimal && to_lower(declared).find(kDecimalText) == std::string::npos;
}

std::optional<std::string> numeric_affinity_change(std::string_view text) {
  std::int64_t integer = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (ec == std::errc{} && end == text.data() + text.size()) return std::nullopt;  // stays an INTEGER
  if (!is_number(text)) return std::nullopt;  // SQLite keeps the text
  const std::string copy(text);
  char* parsed = nullptr;
  const double real = std::strtod(copy.c_str(), &parsed);
  if (parsed != copy.c_str() + copy.size() || !std::isfinite(real)) return std::nullopt;
  std::string read_back = plain_number(real);
  if (same_number(text, read_back)) return std::nullopt;
  return read_back;
}

void describe_declared(std::string_view declared, Column& column) {
  column.native_type = declared;
  column.type = logical_type(declared);
  std::size_t open = declared.find('(');
  if (open == std::string_view::npos) return;
  int first = 0, second = 0;
  const char* end = declared.data() + declared.size();
  auto blanks = [end](const char* at) {  // "DECIMAL(12, 2)": SQLite keeps the type as written
    while (at < end && *at == ' ') ++at;
    return at;
  };
  auto [p, ec] = std::from_chars(blanks(declared.data() + open + 1), end, first);
  if (ec != std::errc{}) return;
  p = blanks(p);
  if (p < end && *p == ',') std::from_chars(blanks(p + 1), end, second);
  if (column.type == Type::decimal) {
    column.precision = first;
    column.scale = second;
  } else if (column.type == Type::text) {
    column.length = first;
  }
}

void read_cell(sqlite3_value* cell, Type logical, Value& out) {
  switch (sqlite3_value_type(cell)) {
    case SQLITE_NULL: out.set_null(); return;
    case SQLITE_INTEGER: {
      sqlite3_int64 v = sqlite3_value_int64(cell);
      if (logical == Type::boolean) out.set_bool(v != 0);
      else if (logical == Type::decimal) out.set_decimal(fmt::format("{}", v));
      else if (logical == Type::json) out.set_json(fmt::format("{}", v));
      else out.set_int(v);
      return;
    }
    case SQLITE_FLOAT: {
      double v = sqlite3_value_double(cell);
      if (logical == Type::decimal) out.set_decimal(plain_number(v));
      else if (logical == Type::json) out.set_json(plain_number(v));
      else out.set_double(v);
      return;
    }
    case SQLITE_TEXT: read_text(value_text(cell), logical, out); return;
    default: {
      auto* p = static_cast<const char*>(sqlite3_value_blob(cell));
      std::string_view blob{p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(cell))};
      if (logical == Type::uuid && blob.size() == 16) {
        Uuid u;
        std::copy(blob.begin(), blob.end(), u.bytes.begin());
        out = u;
      } else {
        out.set_bytes(blob);
      }
    }
  }
}

namespace {

// How a Value reaches SQLite, as a bound parameter or as a column of the batch table
// (batch_table.cpp): one type switch for both. With `borrow`, strings are handed over without
// a copy.
template <class Sink>
int put_value(const Value& value, bool borrow, const Sink& sink) {
  const sqlite3_destructor_type keep = borrow ? SQLITE_STATIC : SQLITE_TRANSIENT;
  switch (value.type()) {
    case Type::null: return sink.null();
    case Type::boolean: return sink.integer(value.as_bool() ? 1 : 0);
    case Type::int64: return sink.integer(value.as_int());
    case Type::float64:
      return std::isnan(value.as_double()) ? sink.text(kNaN, SQLITE_STATIC) : sink.real(value.as_double());
    case Type::text: return sink.text(value.as_text(), keep);
    case Type::decimal: {
      // Handed over as NUL-terminated (length -1) where it can be, so SQLite marks it so: a
      // function reading it as text (sum() per row) then needs no copy with a NUL added, and
      // the register keeps its buffer for the next row's value instead of reallocating it.
      const std::string& text = value.get<Decimal>().text;
      if (text.size() < 4096 && text.find('\0') == std::string::npos) return sink.terminated(text.c_str(), keep);
      return sink.text(text, keep);
    }
    case Type::json: return sink.text(value.get<Json>().text, keep);
    case Type::bytes: return sink.blob(value.get<Bytes>().data, keep);
    default: {  // temporal, uuid, interval, array: their text, which SQLite copies at once
      // One buffer per thread, reused: a timestamp column cost an allocation per cell here
      // (plus SQLite's copy), on the writer's thread of every copy that carries one.
      thread_local std::string text;
      text.clear();
      value.append_text(text);
      return sink.text(text, SQLITE_TRANSIENT);
    }
  }
}

struct Binding {
  sqlite3_stmt* stmt;
  int index;
  int null() const { return sqlite3_bind_null(stmt, index); }
  int integer(sqlite3_int64 v) const { return sqlite3_bind_int64(stmt, index, v); }
  int real(double v) const { return sqlite3_bind_double(stmt, index, v); }
  int text(std::string_view s, sqlite3_destructor_type keep) const {
    return sqlite3_bind_text64(stmt, index, s.data(), s.size(), keep, SQLITE_UTF8);
  }
  int terminated(const char* s, sqlite3_destructor_type keep) const { return sqlite3_bind_text(stmt, index, s, -1, keep); }
  int blob(std::string_view b, sqlite3_destructor_type keep) const {
    return sqlite3_bind_blob64(stmt, index, b.data(), b.size(), keep);
  }
};

struct Result {
  sqlite3_context* context;
  int null() const { return sqlite3_result_null(context), SQLITE_OK; }
  int integer(sqlite3_int64 v) const { return sqlite3_result_int64(context, v), SQLITE_OK; }
  int real(double v) const { return sqlite3_result_double(context, v), SQLITE_OK; }
  int text(std::string_view s, sqlite3_destructor_type keep) const {
    return sqlite3_result_text64(context, s.data(), s.size(), keep, SQLITE_UTF8), SQLITE_OK;
  }
  int terminated(const char* s, sqlite3_destructor_type keep) const {
    return sqlite3_result_text(context, s, -1, keep), SQLITE_OK;
  }
  int blob(std::string_view b, sqlite3_destructor_type keep) const {
    return sqlite3_result_blob64(context, b.data(), b.size(), keep), SQLITE_OK;
  }
};

}  // namespace

void bind_value(sqlite3_stmt* stmt, int index, const Value& value, bool borrow) {
  int rc = put_value(value, borrow, Binding{stmt, index});
  if (rc != SQLITE_OK) throw_error(sqlite3_db_handle(stmt), rc, fmt::format("binding parameter {}", index));
}

void result_value(sqlite3_context* context, const Value& value, bool borrow) {
  put_value(value, borrow, Result{context});
}

std::string types_reference_markdown() {
  std::string out =
      "A column's declared type decides its logical type: the first rule whose fragment "
      "occurs in the declaration (any case) wins; no match (or no declaration) means any. Each cell is "
      "then read by its storage class: an INTEGER in a boolean column is a boolean, ISO-8601 text in a "
      "timestamp column a timestamp; text that does not parse as the declared type stays text. "
      "`DECIMAL_TEXT`, which weir declares for decimals, has SQLite's TEXT affinity: each decimal is "
      "stored as its exact text (NUMERIC affinity would turn long ones into REALs). A NaN in a float "
      "column is stored as the text `NaN` (SQLite would store NULL). `decimal_sum(x)`, registered on "
      "every connection weir opens, sums decimals exactly.\n\n"
      "| declaration contains | logical type |\n|---|---|\n";
  for (const DeclaredRule& r : declared_rules()) out += fmt::format("| `{}` | {} |\n", r.fragment, to_string(r.type));
  return out;
}

}  // namespace weir::db::sqlite
