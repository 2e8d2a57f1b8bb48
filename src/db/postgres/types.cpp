#include "db/postgres/types.hpp"

#include <fmt/format.h>

#include <array>

#include "db/common/type_names.hpp"
#include <charconv>

#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::db::postgres {
namespace {

// Type modifiers (atttypmod, PQfmod) of numeric and varchar carry a 4-byte header.
constexpr int kVarHeader = 4;
constexpr int kMaxNumericPrecision = 1000;
constexpr int kMaxVarcharLength = 10'485'760;
constexpr Oid kInt2 = 21, kInt4 = 23, kOid = 26, kInt8 = 20, kNumeric = 1700, kBpchar = 1042, kVarchar = 1043;
constexpr Oid kJson = 114, kJsonb = 3802;

constexpr std::array kTypes{
    PgType{16, "boolean", Type::boolean, 0},          PgType{17, "bytea", Type::bytes, 0},
    PgType{18, "\"char\"", Type::text, 0},            PgType{19, "name", Type::text, 0},
    PgType{20, "bigint", Type::int64, 0},             PgType{21, "smallint", Type::int64, 0},
    PgType{23, "integer", Type::int64, 0},            PgType{25, "text", Type::text, 0},
    PgType{26, "oid", Type::int64, 0},                PgType{114, "json", Type::json, 0},
    PgType{700, "real", Type::float64, 0},            PgType{701, "double precision", Type::float64, 0},
    PgType{1042, "character", Type::text, 0},         PgType{1043, "character varying", Type::text, 0},
    PgType{1082, "date", Type::date, 0},              PgType{1083, "time", Type::time, 0},
    PgType{1114, "timestamp", Type::timestamp, 0},    PgType{1184, "timestamptz", Type::timestamptz, 0},
    PgType{1186, "interval", Type::interval, 0},      PgType{1700, "numeric", Type::decimal, 0},
    PgType{2950, "uuid", Type::uuid, 0},              PgType{3802, "jsonb", Type::json, 0},
    PgType{1000, "boolean[]", Type::array, 16},       PgType{1001, "bytea[]", Type::array, 17},
    PgType{1005, "smallint[]", Type::array, 21},      PgType{1007, "integer[]", Type::array, 23},
    PgType{1016, "bigint[]", Type::array, 20},        PgType{1009, "text[]", Type::array, 25},
    PgType{1015, "character varying[]", Type::array, 1043}, PgType{1021, "real[]", Type::array, 700},
    PgType{1022, "double precision[]", Type::array, 701}, PgType{1231, "numeric[]", Type::array, 1700},
    PgType{1182, "date[]", Type::array, 1082},        PgType{1115, "timestamp[]", Type::array, 1114},
    PgType{1185, "timestamptz[]", Type::array, 1184}, PgType{2951, "uuid[]", Type::array, 2950},
    PgType{199, "json[]", Type::array, 114},          PgType{3807, "jsonb[]", Type::array, 3802},
};

constexpr std::array kCreateNames{
    TypeName{Type::null, "text"},          TypeName{Type::boolean, "boolean"},
    TypeName{Type::int64, "bigint"},       TypeName{Type::float64, "double precision"},
    TypeName{Type::decimal, "numeric"},    TypeName{Type::text, "text"},
    TypeName{Type::bytes, "bytea"},        TypeName{Type::date, "date"},
    TypeName{Type::time, "time"},          TypeName{Type::timestamp, "timestamp"},
    TypeName{Type::timestamptz, "timestamptz"}, TypeName{Type::interval, "interval"},
    TypeName{Type::uuid, "uuid"},          TypeName{Type::json, "jsonb"},
    TypeName{Type::array, "jsonb"},
};

[[noreturn]] void bad_text(std::string_view text, Oid oid) {
  throw Error(ErrorKind::data, fmt::format("cannot read `{}` as a value of type oid {}", text.substr(0, 64), oid));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void read_bytea(std::string_view text, Value& out) {
  if (!text.starts_with("\\x")) bad_text(text, 17);
  std::string bytes;
  bytes.reserve((text.size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) bad_text(text, 17);
    bytes += static_cast<char>(hi << 4 | lo);
  }
  out.set_bytes(bytes);
}

// One-dimensional (or nested) array literal: {1,NULL,"a \"b\""}.
std::size_t read_array(std::string_view text, std::size_t pos, Oid element, Array& out) {
  if (pos >= text.size() || text[pos] != '{') bad_text(text, element);
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    Value item;
    if (text[pos] == '{') {
      Array nested;
      pos = read_array(text, pos, element, nested);
      item = std::move(nested);
    } else if (text[pos] == '"') {
      std::string s;
      for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
        if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
        s += text[pos];
      }
      ++pos;
      read_text(s, element, item);
    } else {
      std::size_t end = text.find_first_of(",}", pos);
      if (end == std::string_view::npos) bad_text(text, element);
      std::string_view raw = text.substr(pos, end - pos);
      if (raw != "NULL") read_text(raw, element, item);
      pos = end;
    }
    out.items.push_back(std::move(item));
    if (pos < text.size() && text[pos] == ',') ++pos;
  }
  return pos + 1;
}

// "[+-]H:MM:SS[.ffffff]" (hours unbounded) into microseconds.
std::optional<std::int64_t> postgres_interval_time(std::string_view token) {
  const bool negative = token.starts_with('-');
  if (negative || token.starts_with('+')) token.remove_prefix(1);
  std::uint64_t parts[3] = {0, 0, 0}, micros = 0;
  std::size_t part = 0, i = 0;
  for (; i < token.size() && token[i] != '.'; ++i) {
    if (token[i] == ':' && ++part < 3) continue;
    if (token[i] < '0' || token[i] > '9' || part > 2) return std::nullopt;
    parts[part] = parts[part] * 10 + static_cast<std::uint64_t>(token[i] - '0');
  }
  if (part != 2) return std::nullopt;
  if (i < token.size()) {  // the fraction: up to 6 digits
    std::uint64_t scale = 100'000;
    for (++i; i < token.size(); ++i, scale /= 10) {
      if (token[i] < '0' || token[i] > '9' || scale == 0) return std::nullopt;
      micros += scale * static_cast<std::uint64_t>(token[i] - '0');
    }
  }
  micros += ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1'000'000;
  // In unsigned arithmetic: the most negative interval has no positive counterpart.
  return static_cast<std::int64_t>(negative ? 0 - micros : micros);
}

// IntervalStyle postgres, the server's default: "-1 years +2 mons 3 days -04:05:06.5",
// "00:00:00". Read as well as iso_8601 because a transaction pooler does not keep weir's SET
// of IntervalStyle (session.hpp).
std::optional<Interval> parse_postgres_interval(std::string_view text) {
  Interval iv;
  std::optional<std::int64_t> count;  // a number waiting for its unit
  for (std::size_t i = 0; i < text.size();) {
    std::size_t end = std::min(text.find(' ', i), text.size());
    std::string_view token = text.substr(i, end - i);
    i = end + 1;
    if (count) {
      auto n = static_cast<std::int32_t>(*count);
      if (token == "year" || token == "years") iv.months += n * 12;
      else if (token == "mon" || token == "mons") iv.months += n;
      else if (token == "day" || token == "days") iv.days += n;
      else return std::nullopt;
      count.reset();
    } else if (token.find(':') != std::string_view::npos) {
      auto micros = postgres_interval_time(token);
      if (!micros) return std::nullopt;
      iv.micros += *micros;
    } else {
      if (token.starts_with('+')) token.remove_prefix(1);
      std::int64_t n = 0;
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
      if (ec != std::errc{} || ptr != token.data() + token.size() || token.empty()) return std::nullopt;
      count = n;
    }
  }
  if (count || text.empty()) return std::nullopt;
  return iv;
}

template <class T>
T parse_number(std::string_view text, Oid oid) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) bad_text(text, oid);
  return v;
}

void append_array_literal(const Array& array, std::string& out) {
  out += '{';
  for (std::size_t i = 0; i < array.items.size(); ++i) {
    if (i) out += ',';
    const Value& item = array.items[i];
    if (item.is_null()) {
      out += "NULL";
    } else if (const Array* nested = item.get_if<Array>()) {
      append_array_literal(*nested, out);
    } else {
      std::string text;
      param_text(item, text);
      out += '"';
      for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  out += '}';
}

}  // namespace

std::span<const PgType> known_types() noexcept { return kTypes; }

const PgType* find_type(Oid oid) noexcept {
  for (const PgType& t : kTypes)
    if (t.oid == oid) return &t;
  return nullptr;
}

std::string column_type(const Column& column) {
  switch (column.type) {
    case Type::int64:
      if (column.bits > 0 && column.bits <= 16) return "smallint";
      if (column.bits > 0 && column.bits <= 32) return "integer";
      return "bigint";
    case Type::decimal:
      if (column.precision > 0 && column.precision <= kMaxNumericPrecision && column.scale >= 0 &&
          column.scale <= column.precision)
        return fmt::format("numeric({},{})", column.precision, column.scale);
      return "numeric";
    case Type::text:
      if (column.length > 0 && column.length <= kMaxVarcharLength)
        return fmt::format("character varying({})", column.length);
      return "text";
    default: return std::string(type_name(kCreateNames, column.type, "text"));
  }
}

void describe_modifier(Oid oid, int typmod, Column& column) {
  switch (oid) {
    case kInt2: column.bits = 16; return;
    case kInt4: column.bits = 32; return;
    case kOid: column.bits = 33; return;
    case kInt8: column.bits = 64; return;
    case kNumeric:
      if (typmod < kVarHeader) return;
      column.precision = ((typmod - kVarHeader) >> 16) & 0xffff;
      column.scale = (typmod - kVarHeader) & 0x7ff;  // PostgreSQL 15 allows negative scales: not narrowed
      if ((typmod - kVarHeader) & 0x400) column.precision = column.scale = 0;
      return;
    case kBpchar:
    case kVarchar:
      if (typmod >= kVarHeader) column.length = typmod - kVarHeader;
      return;
    default: return;
  }
}

void read_text(std::string_view text, Oid oid, Value& out) {
  const PgType* t = find_type(oid);
  Type type = t ? t->type : Type::text;
  switch (type) {
    case Type::boolean: out.set_bool(text == "t"); return;
    case Type::int64: out.set_int(parse_number<std::int64_t>(text, oid)); return;
    case Type::float64:
      if (text == "NaN") out.set_double(std::numeric_limits<double>::quiet_NaN());
      else if (text == "Infinity") out.set_double(std::numeric_limits<double>::infinity());
      else if (text == "-Infinity") out.set_double(-std::numeric_limits<double>::infinity());
      else out.set_double(parse_number<double>(text, oid));
      return;
    case Type::decimal: out.set_decimal(text); return;
    case Type::bytes: read_bytea(text, out); return;
    case Type::json: out.set_json(text); return;
    case Type::interval:
      if (auto iv = parse_interval(text)) return void(out = *iv);
      if (auto iv = parse_postgres_interval(text)) return void(out = *iv);
      bad_text(text, oid);
    case Type::date:
      if (auto d = parse_date(text)) return void(out = *d);
      break;  // infinity, BC dates: kept as text
    case Type::time:
      if (auto tm = parse_time(text)) return void(out = *tm);
      break;
    case Type::timestamp:
      if (auto ts = parse_timestamp(text)) return void(out = *ts);
      break;
    case Type::timestamptz:
      if (auto ts = parse_timestamptz(text)) return void(out = *ts);
      break;
    case Type::uuid:
      if (auto u = parse_uuid(text)) return void(out = *u);
      bad_text(text, oid);
    case Type::array: {
      Array array;
      std::size_t start = 0;
      if (text.starts_with('[')) {  // "[0:1]={1,2}": bounds other than 1 come first
        start = text.find('=');
        if (start == std::string_view::npos) bad_text(text, oid);
        ++start;
      }
      read_array(text, start, t->element, array);
      out = std::move(array);
      return;
    }
    default: break;
  }
  out.set_text(text);
}

bool is_json_type(Oid oid) noexcept { return oid == kJson || oid == kJsonb; }

bool param_text(const Value& value, std::string& out, bool into_json) {
  switch (value.type()) {
    case Type::null: return false;
    case Type::boolean: out.assign(1, value.as_bool() ? 't' : 'f'); return true;
    case Type::int64: {  // the common key parameter: no temporary string
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.as_int());
      out.assign(digits, end);
      return true;
    }
    case Type::text:
      if (value.as_text().find('\0') != std::string::npos)
        throw Error(ErrorKind::data, "a text value contains a NUL byte, which PostgreSQL cannot store");
      out = value.as_text();
      return true;
    case Type::bytes: out = value.get<Bytes>().data; return true;  // sent in binary format
    case Type::array:
      out.clear();
      if (into_json) value.append_json(out);
      else append_array_literal(value.get<Array>(), out);
      return true;
    default: out = value.to_text(); return true;
  }
}

std::string types_reference_markdown() {
  std::string out =
      "Read by type OID from canonical text (the session runs with DateStyle ISO and "
      "TimeZone UTC; intervals read in IntervalStyle postgres or iso_8601). Types not listed, enums included, "
      "read as text.\n\n"
      "| type | OID | logical type |\n|---|---|---|\n";
  for (const PgType& t : known_types()) out += fmt::format("| `{}` | {} | {} |\n", t.name, t.oid, to_string(t.type));
  return out;
}

}  // namespace weir::db::postgres
