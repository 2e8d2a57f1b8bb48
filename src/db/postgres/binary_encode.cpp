// BinaryCodec: the type table, and writing values in the binary wire format (see the table in
// binary_codec.hpp). Reading is in binary_decode.cpp.
#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/binary_numeric.hpp"
#include "db/postgres/types.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::db::postgres {
namespace {

struct WireType {
  Oid oid;
  Wire wire;
};

constexpr std::array kWireTypes{
    WireType{16, Wire::boolean},  WireType{17, Wire::bytea},    WireType{18, Wire::char1},
    WireType{19, Wire::text},     WireType{25, Wire::text},     WireType{1042, Wire::text},
    WireType{1043, Wire::text},   WireType{21, Wire::int2},     WireType{23, Wire::int4},
    WireType{20, Wire::int8},     WireType{26, Wire::oid},      WireType{700, Wire::float4},
    WireType{701, Wire::float8},  WireType{1700, Wire::numeric}, WireType{114, Wire::json},
    WireType{3802, Wire::jsonb},  WireType{1082, Wire::date},   WireType{1083, Wire::time},
    WireType{1114, Wire::timestamp}, WireType{1184, Wire::timestamptz}, WireType{1186, Wire::interval},
    WireType{2950, Wire::uuid},
};

// PostgreSQL counts dates and timestamps from 2000-01-01, weir from 1970-01-01.
constexpr std::int64_t kEpochDays = 10'957;
constexpr std::int64_t kEpochMicros = kEpochDays * 86'400'000'000;
constexpr std::size_t kMaxDimensions = 6;  // the server's MAXDIM

std::optional<Wire> scalar_wire(Oid oid) {
  for (const WireType& t : kWireTypes)
    if (t.oid == oid) return t.wire;
  return std::nullopt;
}

[[noreturn]] void does_not_fit(std::string_view what, std::string_view type) {
  throw Error(ErrorKind::data, fmt::format("{} does not fit a {} column", what, type));
}

template <class T>
std::string_view shortest(T v, char (&buffer)[32]) {
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return {buffer, static_cast<std::size_t>(end - buffer)};
}

// What the server stores for the text of `d` in a real column: the nearest float to the
// shortest decimal that reads back as `d` (not a second rounding of `d` itself).
float to_float4(double d) {
  if (!std::isfinite(d)) return static_cast<float>(d);
  char buffer[32];
  std::string_view text = shortest(d, buffer);
  float f = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), f);
  if (ec != std::errc{} || std::isinf(f) || (f == 0 && d != 0)) does_not_fit(text, "real");
  return f;
}

void put_numeric_text(std::string_view text, WireBuffer& out) {
  if (!append_numeric(text, out)) does_not_fit(fmt::format("`{}`", text.substr(0, 64)), "numeric");
}

std::int64_t shifted(std::int64_t v, std::int64_t by, std::string_view type) {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(v, by, &r)) does_not_fit("the value", type);
  return r;
}

// Text columns take any value but bytes as the text the text format would send.
void put_text(const Value& value, WireBuffer& out) {
  if (const std::string* s = value.get_if<std::string>()) return out.put_bytes(*s);
  std::string text;
  param_text(value, text);
  out.put_bytes(text);
}

void put_integer(Wire wire, std::int64_t v, WireBuffer& out) {
  if (wire == Wire::int8) return out.put_i64(v);
  if (wire == Wire::int2 && v == static_cast<std::int16_t>(v)) return out.put_i16(static_cast<std::int16_t>(v));
  if (wire == Wire::int4 && v == static_cast<std::int32_t>(v)) return out.put_i32(static_cast<std::int32_t>(v));
  if (wire == Wire::oid && v >= 0 && v <= std::numeric_limits<std::uint32_t>::max())
    return out.put_i32(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
  does_not_fit(std::to_string(v), wire == Wire::int2 ? "smallint" : wire == Wire::int4 ? "integer" : "oid");
}

// Decimals as they are; integers and doubles by their shortest decimal text, which is what
// the server would parse had they been sent as text.
void put_numeric(const Value& value, WireBuffer& out) {
  char buffer[32];
  if (const Decimal* d = value.get_if<Decimal>()) return put_numeric_text(d->text, out);
  if (value.type() == Type::int64) return put_numeric_text(shortest(value.as_int(), buffer), out);
  put_numeric_text(shortest(value.as_double(), buffer), out);
}

// JSON documents and text as they are (the server validates them); arrays as JSON arrays.
void put_json(const Value& value, WireBuffer& out) {
  if (const Json* j = value.get_if<Json>()) return out.put_bytes(j->text);
  if (const std::string* s = value.get_if<std::string>()) return out.put_bytes(*s);
  std::string json;
  value.append_json(json);
  out.put_bytes(json);
}

}  // namespace

std::optional<BinaryCodec> BinaryCodec::for_type(Oid oid) {
  if (auto wire = scalar_wire(oid)) return BinaryCodec(oid, *wire, 0, *wire);
  const PgType* t = find_type(oid);
  if (!t || t->type != Type::array) return std::nullopt;
  auto element = scalar_wire(t->element);
  if (!element) return std::nullopt;
  return BinaryCodec(oid, Wire::array, t->element, *element);
}

bool BinaryCodec::accepts(const Value& value) const noexcept {
  Type type = value.type();
  if (type == Type::null) return true;
  switch (wire_) {
    case Wire::boolean: return type == Type::boolean;
    case Wire::bytea: return type == Type::bytes;
    case Wire::char1: return false;
    case Wire::text: return type != Type::bytes;
    case Wire::int2:
    case Wire::int4:
    case Wire::int8:
    case Wire::oid: return type == Type::int64;
    case Wire::float4:
    case Wire::float8: return type == Type::float64 || type == Type::int64;
    case Wire::numeric: return type == Type::decimal || type == Type::int64 || type == Type::float64;
    case Wire::json:
    case Wire::jsonb: return type == Type::json || type == Type::text || type == Type::array;
    case Wire::date: return type == Type::date;
    case Wire::time: return type == Type::time;
    case Wire::timestamp: return type == Type::timestamp;
    case Wire::timestamptz: return type == Type::timestamptz;
    case Wire::interval: return type == Type::interval;
    case Wire::uuid: return type == Type::uuid;
    case Wire::array: {
      std::size_t dims[kMaxDimensions] = {};
      return type == Type::array && accepts_array(value.get<Array>(), 0, dims);
    }
  }
  return false;
}

// Every element fits the element type, and the nesting is rectangular: all arrays at one
// depth have the length dims[depth] (the text format rejects ragged arrays the same way).
bool BinaryCodec::accepts_array(const Array& array, std::size_t depth, std::size_t* dims) const noexcept {
  if (depth >= kMaxDimensions) return false;
  if (dims[depth] == 0) dims[depth] = array.items.size() + 1;  // stored +1: 0 means "not seen"
  if (dims[depth] != array.items.size() + 1) return false;
  if (array.items.empty()) return depth == 0;
  bool nested = array.items.front().type() == Type::array;
  BinaryCodec item = element();
  for (const Value& v : array.items) {
    if (nested != (v.type() == Type::array)) return false;
    if (nested ? !accepts_array(v.get<Array>(), depth + 1, dims) : !item.accepts(v)) return false;
  }
  return true;
}

void BinaryCodec::encode(const Value& value, WireBuffer& out) const {
  if (value.is_null()) {
    out.put_i32(-1);
    return;
  }
  std::size_t start = out.size();
  out.extend(4);  // the length word, written once the payload is known
  encode_payload(value, out);
  WireBuffer::store32(out.data() + start, static_cast<std::uint32_t>(out.size() - start - 4));
}

void BinaryCodec::encode_payload(const Value& value, WireBuffer& out) const {
  switch (wire_) {
    case Wire::boolean: return out.put_u8(value.as_bool() ? 1 : 0);
    case Wire::bytea: return out.put_bytes(value.get<Bytes>().data);
    case Wire::char1: break;
    case Wire::text: return put_text(value, out);
    case Wire::int2:
    case Wire::int4:
    case Wire::int8:
    case Wire::oid: return put_integer(wire_, value.as_int(), out);
    case Wire::float4: {
      float f = value.type() == Type::int64 ? static_cast<float>(value.as_int()) : to_float4(value.as_double());
      return out.put_i32(static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(f)));
    }
    case Wire::float8: {
      double d = value.type() == Type::int64 ? static_cast<double>(value.as_int()) : value.as_double();
      return out.put_i64(static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(d)));
    }
    case Wire::numeric: return put_numeric(value, out);
    case Wire::jsonb: out.put_u8(1); return put_json(value, out);
    case Wire::json: return put_json(value, out);
    case Wire::date: {
      std::int64_t days = shifted(value.get<Date>().days, kEpochDays, "date");
      if (days != static_cast<std::int32_t>(days)) does_not_fit(format_date(value.get<Date>()), "date");
      return out.put_i32(static_cast<std::int32_t>(days));
    }
    case Wire::time: return out.put_i64(value.get<Time>().micros);
    case Wire::timestamp: return out.put_i64(shifted(value.get<Timestamp>().micros, kEpochMicros, "timestamp"));
    case Wire::timestamptz:
      return out.put_i64(shifted(value.get<TimestampTz>().micros, kEpochMicros, "timestamptz"));
    case Wire::interval: {
      const Interval& iv = value.get<Interval>();
      out.put_i64(iv.micros);
      out.put_i32(iv.days);
      return out.put_i32(iv.months);
    }
    case Wire::uuid: {
      const Uuid& u = value.get<Uuid>();
      return out.put_bytes({reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size()});
    }
    case Wire::array: return encode_array(value.get<Array>(), out);
  }
  throw Error(ErrorKind::internal, fmt::format("no binary form for a {} value into type oid {}",
                                               to_string(value.type()), oid_));
}

void BinaryCodec::encode_array(const Array& array, WireBuffer& out) const {
  std::size_t dims[kMaxDimensions];
  std::size_t ndim = 0;
  bool has_null = false;
  for (const Array* level = &array; !level->items.empty(); level = &level->items.front().get<Array>()) {
    dims[ndim++] = level->items.size();
    if (level->items.front().type() != Type::array) break;
  }
  std::size_t header = out.size();
  out.put_i32(static_cast<std::int32_t>(ndim));
  out.put_i32(0);  // has-NULLs, set below
  out.put_i32(static_cast<std::int32_t>(element_oid_));
  for (std::size_t d = 0; d < ndim; ++d) {
    out.put_i32(static_cast<std::int32_t>(dims[d]));
    out.put_i32(1);
  }
  BinaryCodec item = element();
  auto walk = [&](const Array& level, auto& self) -> void {
    for (const Value& v : level.items) {
      if (const Array* nested = v.get_if<Array>()) {
        self(*nested, self);
        continue;
      }
      has_null = has_null || v.is_null();
      item.encode(v, out);
    }
  };
  walk(array, walk);
  if (has_null) WireBuffer::store32(out.data() + header + 4, 1);
}

}  // namespace weir::db::postgres
