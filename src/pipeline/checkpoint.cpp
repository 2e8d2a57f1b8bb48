#include "pipeline/checkpoint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::pipeline {
namespace {

constexpr Type kTypes[] = {Type::null,   Type::boolean, Type::int64,     Type::float64,     Type::decimal,
                           Type::text,   Type::bytes,   Type::date,      Type::time,        Type::timestamp,
                           Type::timestamptz, Type::interval, Type::uuid, Type::json, Type::array};

template <class T>
std::optional<T> number(std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

template <class T>
std::optional<Value> wrap(std::optional<T> v) {
  if (!v) return std::nullopt;
  return Value(*v);
}

// Reads the JSON strings of encode_position's output in order (it writes nothing else
// but brackets and commas).
class StringReader {
 public:
  explicit StringReader(std::string_view text) : text_(text) {}

  std::optional<std::string> next() {
    pos_ = text_.find('"', pos_);
    if (pos_ == std::string_view::npos) return std::nullopt;
    std::string out;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++pos_ >= text_.size()) break;
      out += unescape(text_[pos_]);
    }
    throw Error(ErrorKind::config, "unterminated string");
  }

 private:
  char unescape(char c) {
    switch (c) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'u': {
        auto code = text_.size() >= pos_ + 5 ? number_hex(text_.substr(pos_ + 1, 4)) : std::nullopt;
        if (!code || *code > 0x7f) throw Error(ErrorKind::config, "unsupported \\u escape");
        pos_ += 4;
        return static_cast<char>(*code);
      }
      default: return c;
    }
  }
  static std::optional<unsigned> number_hex(std::string_view hex) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
    if (ec != std::errc{} || end != hex.data() + hex.size()) return std::nullopt;
    return v;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::vector<Value> decode_values(std::string_view text);

}  // namespace

std::optional<Type> type_named(std::string_view name) {
  for (Type t : kTypes)
    if (to_string(t) == name) return t;
  return std::nullopt;
}

std::optional<Value> value_from_text(Type type, std::string_view text) {
  switch (type) {
    case Type::null: return Value();
    case Type::boolean:
      if (text == "true") return Value(true);
      if (text == "false") return Value(false);
      return std::nullopt;
    case Type::int64: return wrap(number<std::int64_t>(text));
    case Type::float64: {
      std::string s(text);
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
      return Value(d);
    }
    case Type::decimal: return Value(Decimal{std::string(text)});
    case Type::text: return Value(text);
    case Type::bytes: return Value(Bytes{std::string(text)});
    case Type::date: return wrap(parse_date(text));
    case Type::time: return wrap(parse_time(text));
    case Type::timestamp: return wrap(parse_timestamp(text));
    case Type::timestamptz: return wrap(parse_timestamptz(text));
    case Type::interval: return wrap(parse_interval(text));
    case Type::uuid: return wrap(parse_uuid(text));
    case Type::json: return Value(Json{std::string(text)});
    case Type::array: return Value(Array{decode_values(text)});
  }
  return std::nullopt;
}

std::string encode_position(std::span<const Value> values) {
  std::string out = "[";
  for (const Value& v : values) {
    if (out.size() > 1) out += ',';
    out += '[';
    append_json_string(out, to_string(v.type()));
    out += ',';
    // Bytes travel as their raw octets inside the JSON string (escaped), not base64; an array
    // as its items encoded the same way, that text in turn one JSON string.
    if (const Bytes* b = v.get_if<Bytes>()) append_json_string(out, b->data);
    else if (const Array* a = v.get_if<Array>()) append_json_string(out, encode_position(a->items));
    else append_json_string(out, v.to_text());
    out += ']';
  }
  return out + "]";
}

namespace {

// decode_position without its message: an array's items are read by the same loop.
std::vector<Value> decode_values(std::string_view text) {
  std::vector<Value> values;
  StringReader reader(text);
  while (auto type_name = reader.next()) {
    auto value_text = reader.next();
    auto type = type_named(*type_name);
    if (!value_text || !type) throw Error(ErrorKind::config, fmt::format("unknown type `{}`", *type_name));
    auto value = value_from_text(*type, *value_text);
    if (!value) throw Error(ErrorKind::config, fmt::format("`{}` is not a {}", *value_text, *type_name));
    values.push_back(std::move(*value));
  }
  return values;
}

}  // namespace

std::vector<Value> decode_position(std::string_view text) {
  try {
    return decode_values(text);
  } catch (Error& e) {
    throw Error(ErrorKind::config, fmt::format("stored checkpoint `{}` is damaged: {}", text, e.what()));
  }
}

}  // namespace weir::pipeline
