#include "db/mysql/types.hpp"

#include <fmt/format.h>

#include <array>

#include "db/common/row_cells.hpp"
#include "db/common/type_names.hpp"
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include "db/mysql/errors.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::db::mysql {
namespace {

constexpr unsigned kBinaryCharset = 63;
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

constexpr std::array kCreateNames{
    TypeName{Type::null, "longtext"},        TypeName{Type::boolean, "tinyint(1)"},
    TypeName{Type::int64, "bigint"},         TypeName{Type::float64, "double"},
    TypeName{Type::decimal, "decimal(65,30)"}, TypeName{Type::text, "longtext"},
    TypeName{Type::bytes, "longblob"},       TypeName{Type::date, "date"},
    TypeName{Type::time, "time(6)"},         TypeName{Type::timestamp, "datetime(6)"},
    // An instant is written as its UTC date and time: TIMESTAMP, the zoned type, ends in 2038
    // and starts in 1970, DATETIME holds every year from 1000 to 9999.
    TypeName{Type::timestamptz, "datetime(6)"}, TypeName{Type::interval, "varchar(64)"},
    TypeName{Type::uuid, "char(36)"},        TypeName{Type::json, "json"},
    TypeName{Type::array, "json"},
};

constexpr int kMaxDecimalDigits = 65;
constexpr int kMaxDecimalScale = 30;
constexpr int kMaxKeyChars = 255;             // utf8mb4: 1020 of the 3072 bytes an index key may have
constexpr int kTextChars = 65'535 / 4;        // TEXT holds 65,535 bytes, a utf8mb4 character up to 4
constexpr int kMediumTextChars = 16'777'215 / 4;
constexpr std::pair<int, std::string_view> kIntegerTypes[] = {
    {8, "tinyint"}, {16, "smallint"}, {24, "mediumint"}, {32, "int"}};

// Bits of the signed integer type that holds every value of the field's.
int integer_bits(const MYSQL_FIELD& f) {
  int bits = 0;
  switch (f.type) {
    case MYSQL_TYPE_TINY: bits = 8; break;
    case MYSQL_TYPE_SHORT: bits = 16; break;
    case MYSQL_TYPE_YEAR: bits = 16; break;
    case MYSQL_TYPE_INT24: bits = 24; break;
    case MYSQL_TYPE_LONG: bits = 32; break;
    default: return 64;
  }
  return (f.flags & UNSIGNED_FLAG) ? bits + 1 : bits;
}

// The declared range of a result field: characters of a CHAR/VARCHAR (the field's length is in
// bytes), digits and scale of a DECIMAL (its length counts the sign and the point).
void describe_range(const MYSQL_FIELD& f, Column& c) {
  if (c.type == Type::int64) c.bits = integer_bits(f);
  if (f.type == MYSQL_TYPE_LONGLONG && (f.flags & UNSIGNED_FLAG)) c.precision = 20;
  // A length no DECIMAL has (65 digits, the sign and the point at most) says nothing of its range.
  if ((f.type == MYSQL_TYPE_NEWDECIMAL || f.type == MYSQL_TYPE_DECIMAL) &&
      f.length <= static_cast<unsigned long>(kMaxDecimalDigits) + 2) {
    int digits = static_cast<int>(f.length) - (f.decimals > 0 ? 1 : 0) - ((f.flags & UNSIGNED_FLAG) ? 0 : 1);
    c.precision = std::max(digits, 1);
    c.scale = static_cast<int>(f.decimals);
  }
  if (c.type == Type::text && (f.type == MYSQL_TYPE_VAR_STRING || f.type == MYSQL_TYPE_STRING)) {
    const MARIADB_CHARSET_INFO* charset = mariadb_get_charset_by_nr(f.charsetnr);
    unsigned per_char = charset && charset->char_maxlen ? charset->char_maxlen : 1;
    c.length = static_cast<int>(f.length / per_char);
  }
  c.primary_key = f.flags & PRI_KEY_FLAG;
}

std::int64_t time_micros(const MYSQL_TIME& t) {
  return ((std::int64_t{t.hour} * 60 + t.minute) * 60 + t.second) * 1'000'000 + std::int64_t(t.second_part);
}

// MariaDB (10.5+) tells a JSON column (LONGTEXT underneath) and its own data types such as
// UUID apart only in the extended metadata it sends to Connector/C; MySQL has none of it.
std::string_view field_attr(const MYSQL_FIELD& f, mariadb_field_attr_t which) {
  MARIADB_CONST_STRING attr{nullptr, 0};
  if (mariadb_field_attr(&attr, &f, which) != 0 || !attr.str) return {};
  return {attr.str, attr.length};
}

bool starts_with_word(std::string_view column_type, std::string_view word) {
  return column_type.starts_with(word) &&
         (column_type.size() == word.size() || column_type[word.size()] == '(' || column_type[word.size()] == ' ');
}

}  // namespace

constexpr unsigned kUtf8mb4 = 45;
constexpr std::array kFieldDocs{
    FieldDoc{MYSQL_TYPE_TINY, 0, 1, 63, "tinyint(1)", Type::boolean},
    FieldDoc{MYSQL_TYPE_TINY, 0, 4, 63, "tinyint", Type::int64},
    FieldDoc{MYSQL_TYPE_SHORT, 0, 6, 63, "smallint", Type::int64},
    FieldDoc{MYSQL_TYPE_INT24, 0, 9, 63, "mediumint", Type::int64},
    FieldDoc{MYSQL_TYPE_LONG, 0, 11, 63, "int", Type::int64},
    FieldDoc{MYSQL_TYPE_LONG, UNSIGNED_FLAG, 10, 63, "int unsigned", Type::int64},
    FieldDoc{MYSQL_TYPE_LONGLONG, 0, 20, 63, "bigint", Type::int64},
    FieldDoc{MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 20, 63, "bigint", Type::decimal},
    FieldDoc{MYSQL_TYPE_YEAR, 0, 4, 63, "year", Type::int64},
    FieldDoc{MYSQL_TYPE_FLOAT, 0, 12, 63, "float", Type::float64},
    FieldDoc{MYSQL_TYPE_DOUBLE, 0, 22, 63, "double", Type::float64},
    FieldDoc{MYSQL_TYPE_NEWDECIMAL, 0, 14, 63, "decimal", Type::decimal},
    FieldDoc{MYSQL_TYPE_DATE, 0, 10, 63, "date", Type::date},
    FieldDoc{MYSQL_TYPE_TIME, 0, 10, 63, "time", Type::time},
    FieldDoc{MYSQL_TYPE_DATETIME, 0, 26, 63, "datetime", Type::timestamp},
    FieldDoc{MYSQL_TYPE_TIMESTAMP, 0, 26, 63, "timestamp", Type::timestamptz},
    FieldDoc{MYSQL_TYPE_JSON, 0, 0, 63, "json", Type::json},
    FieldDoc{MYSQL_TYPE_VAR_STRING, 0, 80, kUtf8mb4, "text", Type::text},
    FieldDoc{MYSQL_TYPE_BLOB, 0, 65535, kUtf8mb4, "text", Type::text},
    FieldDoc{MYSQL_TYPE_BLOB, BINARY_FLAG, 65535, 63, "blob", Type::bytes},
    FieldDoc{MYSQL_TYPE_STRING, ENUM_FLAG, 4, kUtf8mb4, "enum", Type::text},
    FieldDoc{MYSQL_TYPE_BIT, 0, 8, 63, "bit", Type::bytes},
    FieldDoc{MYSQL_TYPE_GEOMETRY, 0, 0, 63, "geometry", Type::bytes},
};

std::span<const FieldDoc> documented_fields() noexcept { return kFieldDocs; }

Column column_of(const MYSQL_FIELD& f) {
  Column c;
  c.name = f.name;
  c.nullable = !(f.flags & NOT_NULL_FLAG);
  bool is_unsigned = f.flags & UNSIGNED_FLAG;
  switch (f.type) {
    case MYSQL_TYPE_TINY:
      c.type = f.length == 1 ? Type::boolean : Type::int64;
      c.native_type = f.length == 1 ? "tinyint(1)" : "tinyint";
      break;
    case MYSQL_TYPE_SHORT: c.type = Type::int64; c.native_type = "smallint"; break;
    case MYSQL_TYPE_INT24: c.type = Type::int64; c.native_type = "mediumint"; break;
    case MYSQL_TYPE_LONG: c.type = Type::int64; c.native_type = "int"; break;
    case MYSQL_TYPE_YEAR: c.type = Type::int64; c.native_type = "year"; break;
    case MYSQL_TYPE_LONGLONG:
      c.type = is_unsigned ? Type::decimal : Type::int64;
      c.native_type = "bigint";
      break;
    case MYSQL_TYPE_FLOAT: c.type = Type::float64; c.native_type = "float"; break;
    case MYSQL_TYPE_DOUBLE: c.type = Type::float64; c.native_type = "double"; break;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: c.type = Type::decimal; c.native_type = "decimal"; break;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: c.type = Type::date; c.native_type = "date"; break;
    case MYSQL_TYPE_TIME: c.type = Type::time; c.native_type = "time"; break;
    case MYSQL_TYPE_DATETIME: c.type = Type::timestamp; c.native_type = "datetime"; break;
    case MYSQL_TYPE_TIMESTAMP: c.type = Type::timestamptz; c.native_type = "timestamp"; break;
    case MYSQL_TYPE_JSON: c.type = Type::json; c.native_type = "json"; break;
    case MYSQL_TYPE_NULL: c.type = Type::null; c.native_type = "null"; break;
    case MYSQL_TYPE_BIT: c.type = Type::bytes; c.native_type = "bit"; break;
    case MYSQL_TYPE_GEOMETRY: c.type = Type::bytes; c.native_type = "geometry"; break;
    default:
      c.type = f.charsetnr == kBinaryCharset ? Type::bytes : Type::text;
      c.native_type = f.charsetnr == kBinaryCharset ? "blob" : "text";
      if (f.flags & ENUM_FLAG) c.native_type = "enum";
      if (f.flags & SET_FLAG) c.native_type = "set";
  }
  if (is_unsigned && c.type == Type::int64) c.native_type += " unsigned";
  describe_range(f, c);
  if (field_attr(f, MARIADB_FIELD_ATTR_FORMAT_NAME) == "json") {
    c.type = Type::json;
    c.native_type = "json";
  } else if (field_attr(f, MARIADB_FIELD_ATTR_DATA_TYPE_NAME) == "uuid") {
    c.type = Type::uuid;
    c.native_type = "uuid";
  }
  return c;
}

Type logical_type(std::string_view data_type, std::string_view column_type) noexcept {
  if (starts_with_word(column_type, "tinyint(1)")) return Type::boolean;
  for (std::string_view t : {"tinyint", "smallint", "mediumint", "int", "year"})
    if (data_type == t) return Type::int64;
  if (data_type == "bigint")  // unsigned values may exceed int64
    return column_type.find("unsigned") != std::string_view::npos ? Type::decimal : Type::int64;
  if (data_type == "float" || data_type == "double") return Type::float64;
  if (data_type == "decimal") return Type::decimal;
  if (data_type == "date") return Type::date;
  if (data_type == "time") return Type::time;
  if (data_type == "datetime") return Type::timestamp;
  if (data_type == "timestamp") return Type::timestamptz;  // stored as UTC
  if (data_type == "json") return Type::json;
  if (data_type == "uuid") return Type::uuid;
  for (std::string_view t : {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit", "geometry",
                             "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
                             "geometrycollection", "geomcollection"})
    if (data_type == t) return Type::bytes;
  return Type::text;  // char, varchar, the text types, enum, set, inet4/inet6
}

std::string column_type(const Column& column) {
  switch (column.type) {
    case Type::int64:
      for (auto [bits, name] : kIntegerTypes) {
        // An unsigned source's bits are one more than its size (Column::bits): it keeps its type.
        if (column.bits == bits + 1) return fmt::format("{} unsigned", name);
        if (column.bits > 0 && column.bits <= bits) return std::string(name);
      }
      return "bigint";
    case Type::decimal:
      if (column.precision > 0 && column.precision <= kMaxDecimalDigits && column.scale >= 0 &&
          column.scale <= std::min(column.precision, kMaxDecimalScale))
        return fmt::format("decimal({},{})", column.precision, column.scale);
      return std::string(type_name(kCreateNames, column.type, ""));
    case Type::text:
      // A key column must be a VARCHAR: TEXT types cannot be indexed whole.
      if (column.length > 0 && column.length <= kMaxKeyChars) return fmt::format("varchar({})", column.length);
      if (column.primary_key) return fmt::format("varchar({})", kMaxKeyChars);
      if (column.length > 0 && column.length <= kTextChars) return "text";
      if (column.length > 0 && column.length <= kMediumTextChars) return "mediumtext";
      return "longtext";
    case Type::bytes:
      if (column.primary_key) return fmt::format("varbinary({})", kMaxKeyChars * 4);
      return "longblob";
    default: return std::string(type_name(kCreateNames, column.type, "longtext"));
  }
}

std::optional<std::string> cannot_hold(const Column& column) {
  if (column.type == Type::decimal && (column.precision > kMaxDecimalDigits || column.scale > kMaxDecimalScale))
    return fmt::format("{} has more digits than MySQL/MariaDB's widest DECIMAL({},{})", column.native_type,
                       kMaxDecimalDigits, kMaxDecimalScale);
  if (column.type == Type::interval)
    return fmt::format("{}: MySQL/MariaDB have no interval type (it would become text)", column.native_type);
  return std::nullopt;
}

void check_storable(const Batch& batch, std::span<const std::string> columns) {
  for (std::size_t c = 0; c < batch.width(); ++c) {
    if (batch.schema()[c].type != Type::float64 && batch.schema()[c].type != Type::null) continue;
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      const Value& v = batch.at(r, c);
      if (v.type() == Type::float64 && !std::isfinite(v.as_double()))
        throw Error(ErrorKind::data, fmt::format("column `{}`, row {} of the batch: {} has no place in a MySQL or "
                                                 "MariaDB column (DOUBLE holds neither NaN nor infinities)",
                                                 columns[c], r + 1, v.to_text()));
    }
  }
}

ResultBinder::ResultBinder(MYSQL_FIELD* fields, unsigned count, bool zero_dates_as_null)
    : cells_(count), binds_(count), zero_dates_as_null_(zero_dates_as_null) {
  for (unsigned i = 0; i < count; ++i) {
    Cell& cell = cells_[i];
    MYSQL_BIND& b = binds_[i];
    std::memset(&b, 0, sizeof b);
    Column column = column_of(fields[i]);
    cell.name = column.name;
    cell.field_type = fields[i].type;
    cell.type = column.type;
    cell.is_unsigned = fields[i].flags & UNSIGNED_FLAG;
    b.is_null = &cell.is_null;
    b.error = &cell.error;
    b.length = &cell.length;
    switch (cell.type) {
      case Type::boolean:
      case Type::int64:
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &cell.integer;
        b.is_unsigned = cell.is_unsigned;
        break;
      case Type::float64:
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &cell.real;
        break;
      case Type::date:
      case Type::time:
      case Type::timestamp:
      case Type::timestamptz:
        b.buffer_type = cell.field_type;
        b.buffer = &cell.time;
        break;
      default:
        cell.data.resize(64);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = cell.data.data();
        b.buffer_length = cell.data.size();
    }
  }
}

void ResultBinder::read_row(MYSQL_STMT* stmt, std::span<Value> out) {
  bool grown = false;
  for (unsigned i = 0; i < cells_.size(); ++i) {
    Cell& cell = cells_[i];
    MYSQL_BIND& b = binds_[i];
    if (!cell.is_null && b.buffer_type == MYSQL_TYPE_STRING && cell.length > b.buffer_length) {
      cell.data.resize(cell.length);
      b.buffer = cell.data.data();
      b.buffer_length = cell.data.size();
      if (mysql_stmt_fetch_column(stmt, &b, i, 0) != 0) throw_statement_error(stmt, "fetching a long column");
      grown = true;
    }
  }
  // The statement keeps its own copy of the binds, still pointing at the freed buffers:
  // rebind, or the next row is written into them.
  if (grown && mysql_stmt_bind_result(stmt, binds_.data()) != 0) throw_statement_error(stmt, "binding result columns");
  read_row_cells(
      out.first(cells_.size()), [&](std::size_t i, Value& value) { read_cell(cells_[i], value); },
      [&](std::size_t i) -> const std::string& { return cells_[i].name; });
}

void ResultBinder::read_cell(const Cell& cell, Value& out) const {
  if (cell.is_null) return out.set_null();
  std::string_view bytes(cell.data.data(), std::min<std::size_t>(cell.length, cell.data.size()));
  switch (cell.type) {
    case Type::boolean: return out.set_bool(cell.integer != 0);
    case Type::int64: return out.set_int(cell.integer);
    case Type::float64: return out.set_double(cell.real);
    case Type::decimal: return out.set_decimal(bytes);
    case Type::bytes: return out.set_bytes(bytes);
    case Type::json: return out.set_json(bytes);
    case Type::uuid:
      if (auto u = parse_uuid(bytes)) return void(out = *u);
      return out.set_text(bytes);
    case Type::date:
    case Type::timestamp:
    case Type::timestamptz:
    case Type::time: {
      const MYSQL_TIME& t = cell.time;
      if (cell.type == Type::time) {
        if (t.neg || t.day || t.hour > 23) return out.set_text(fmt::format("{}{}:{:02d}:{:02d}", t.neg ? "-" : "",
                                                                             t.day * 24 + t.hour, t.minute, t.second));
        out = Time{time_micros(t)};
        return;
      }
      if (t.year == 0 || t.month == 0 || t.day == 0) {
        if (zero_dates_as_null_) return out.set_null();
        throw Error(ErrorKind::data, "the server returned a zero date (0000-00-00); add ?zero_dates=null to the "
                                     "connection URL to read such dates as NULL");
      }
      std::int64_t days = days_from_civil(int(t.year), t.month, t.day);
      if (cell.type == Type::date) {
        out = Date{static_cast<std::int32_t>(days)};
        return;
      }
      std::int64_t micros = days * kMicrosPerDay + time_micros(t);
      if (cell.type == Type::timestamp) out = Timestamp{micros};
      else out = TimestampTz{micros};
      return;
    }
    default: return out.set_text(bytes);
  }
}

void ParamBinder::bind(std::span<const Value> values) {
  std::size_t n = values.size();
  binds_.assign(n, MYSQL_BIND{});
  texts_.resize(n);
  integers_.assign(n, 0);
  reals_.assign(n, 0);
  lengths_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    MYSQL_BIND& b = binds_[i];
    const Value& v = values[i];
    switch (v.type()) {
      case Type::null: b.buffer_type = MYSQL_TYPE_NULL; continue;
      case Type::boolean:
      case Type::int64:
        integers_[i] = v.type() == Type::boolean ? v.as_bool() : v.as_int();
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &integers_[i];
        continue;
      case Type::float64:
        reals_[i] = v.as_double();
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = &reals_[i];
        continue;
      case Type::bytes: texts_[i] = v.get<Bytes>().data; b.buffer_type = MYSQL_TYPE_BLOB; break;
      case Type::timestamptz: texts_[i] = format_timestamp(Timestamp{v.get<TimestampTz>().micros}); break;
      default: texts_[i] = v.to_text(); break;
    }
    if (b.buffer_type != MYSQL_TYPE_BLOB) b.buffer_type = MYSQL_TYPE_STRING;
    lengths_[i] = texts_[i].size();
    b.buffer = texts_[i].data();
    b.buffer_length = texts_[i].size();
    b.length = &lengths_[i];
  }
}

std::string types_reference_markdown() {
  std::string out =
      "Read over the binary protocol by field type. `TINYINT(1)` is boolean; "
      "`BIGINT UNSIGNED` is an exact decimal, so values above the int64 range stay exact; binary-collated "
      "strings are bytes; the session runs in UTC, so `TIMESTAMP` is an instant. MariaDB's `JSON` and "
      "`UUID` columns are recognised from its extended metadata. A zero date (0000-00-00) is an error, "
      "or NULL with `?zero_dates=null`; a pipeline's `sql_poll` (`on_bad_value: "
      "null`) and `weir sync --on-bad-value null` pass NULL on instead and name each value so replaced in a "
      "warning line. Tables weir creates are `utf8mb4` with binary collation; instants go "
      "into `DATETIME(6)` as UTC (`TIMESTAMP` holds only 1970 to 2038) and read back as timestamps; NaN and "
      "infinities, which `DOUBLE` cannot hold, are rejected naming the column.\n\n"
      "| field | logical type |\n|---|---|\n";
  for (const FieldDoc& f : documented_fields()) out += fmt::format("| `{}` | {} |\n", f.native, to_string(f.type));
  return out;
}

}  // namespace weir::db::mysql
