#include "weir/value.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iterator>

#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir {

std::string_view to_string(Type type) noexcept {
  switch (type) {
    case Type::null: return "null";
    case Type::boolean: return "boolean";
    case Type::int64: return "int64";
    case Type::float64: return "float64";
    case Type::decimal: return "decimal";
    case Type::text: return "text";
    case Type::bytes: return "bytes";
    case Type::date: return "date";
    case Type::time: return "time";
    case Type::timestamp: return "timestamp";
    case Type::timestamptz: return "timestamptz";
    case Type::interval: return "interval";
    case Type::uuid: return "uuid";
    case Type::json: return "json";
    case Type::array: return "array";
  }
  return "null";
}

bool Array::operator==(const Array& other) const { return items == other.items; }

void Value::set_text(std::string_view v) {
  if (auto* s = std::get_if<std::string>(&v_)) s->assign(v);
  else v_.emplace<std::string>(v);
}

void Value::set_decimal(std::string_view v) {
  if (auto* d = std::get_if<Decimal>(&v_)) d->text.assign(v);
  else v_.emplace<Decimal>(Decimal{std::string(v)});
}

void Value::set_bytes(std::string_view v) {
  if (auto* b = std::get_if<Bytes>(&v_)) b->data.assign(v);
  else v_.emplace<Bytes>(Bytes{std::string(v)});
}

void Value::set_json(std::string_view v) {
  if (auto* j = std::get_if<Json>(&v_)) j->text.assign(v);
  else v_.emplace<Json>(Json{std::string(v)});
}

void Value::throw_type_mismatch(Type wanted) const {
  throw Error(ErrorKind::data,
              fmt::format("expected a {} value, got {}", to_string(wanted), to_string(type())));
}

namespace {

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);
}

void append_base64(std::string& out, std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t n = std::uint8_t(data[i]) << 16 | std::uint8_t(data[i + 1]) << 8 |
                      std::uint8_t(data[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  if (std::size_t rest = data.size() - i) {
    std::uint32_t n = std::uint8_t(data[i]) << 16;
    if (rest == 2) n |= std::uint8_t(data[i + 1]) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
}

// The text of every alternative but arrays and json, which both render as JSON.
struct TextVisitor {
  std::string operator()(std::monostate) const { return {}; }
  std::string operator()(bool b) const { return b ? "true" : "false"; }
  std::string operator()(std::int64_t i) const { return fmt::format("{}", i); }
  std::string operator()(double d) const { return format_double(d); }
  std::string operator()(const Decimal& d) const { return d.text; }
  std::string operator()(const std::string& s) const { return s; }
  std::string operator()(const Bytes& b) const {
    std::string out = "\\x";
    for (unsigned char c : b.data) out += fmt::format("{:02x}", c);
    return out;
  }
  std::string operator()(Date d) const { return format_date(d); }
  std::string operator()(Time t) const { return format_time(t); }
  std::string operator()(Timestamp t) const { return format_timestamp(t); }
  std::string operator()(TimestampTz t) const { return format_timestamptz(t); }
  std::string operator()(const Interval& i) const { return format_interval(i); }
  std::string operator()(const Uuid& u) const { return format_uuid(u); }
  std::string operator()(const Json& j) const { return j.text; }
  std::string operator()(const Array& a) const {
    std::string out;
    Value(a).append_json(out);
    return out;
  }
};

}  // namespace

std::string Value::to_text() const { return std::visit(TextVisitor{}, v_); }

void Value::append_text(std::string& out) const {
  switch (type()) {
    case Type::null: return;
    case Type::text: out += as_text(); return;
    case Type::int64: {
      char digits[24];  // to_chars: no format string to parse, no growth through an iterator
      out.append(digits, std::to_chars(digits, digits + sizeof digits, as_int()).ptr);
      return;
    }
    case Type::decimal: out += get<Decimal>().text; return;
    case Type::json: out += get<Json>().text; return;
    case Type::boolean: out += as_bool() ? "true" : "false"; return;
    case Type::date: append_date(out, get<Date>()); return;
    case Type::time: append_time(out, get<Time>()); return;
    case Type::timestamp: append_timestamp(out, get<Timestamp>()); return;
    case Type::timestamptz: append_timestamptz(out, get<TimestampTz>()); return;
    case Type::uuid: append_uuid(out, get<Uuid>()); return;
    default: out += to_text(); return;
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  // Runs of characters that need no escape go in whole: most text is one run.
  auto plain = [](char c) { return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20; };
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = at;
    while (end < text.size() && plain(text[end])) ++end;
    out.append(text.data() + at, end - at);
    if (end == text.size()) break;
    at = end + 1;
    switch (char c = text[end]) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", int(c));
        else out += c;
    }
  }
  out += '"';
}

void Value::append_json(std::string& out) const {
  switch (type()) {
    case Type::null: out += "null"; return;
    case Type::boolean: out += as_bool() ? "true" : "false"; return;
    case Type::int64: {
      char digits[24];
      out.append(digits, std::to_chars(digits, digits + sizeof digits, as_int()).ptr);
      return;
    }
    case Type::text: append_json_string(out, as_text()); return;  // no copy of the text first
    case Type::decimal: append_json_string(out, get<Decimal>().text); return;
    case Type::float64: {
      double d = as_double();
      if (std::isfinite(d)) out += format_double(d);
      else append_json_string(out, format_double(d));
      return;
    }
    case Type::json: out += get<Json>().text; return;
    case Type::bytes:
      out += '"';
      append_base64(out, get<Bytes>().data);
      out += '"';
      return;
    case Type::array: {
      out += '[';
      bool first = true;
      for (const Value& item : get<Array>().items) {
        if (!first) out += ',';
        first = false;
        item.append_json(out);
      }
      out += ']';
      return;
    }
    default: append_json_string(out, to_text()); return;
  }
}

}  // namespace weir
