// BinaryCodec: reading fields of the binary wire format into weir values (see the table in
// binary_codec.hpp). Every read is bounds-checked against the field; a field that does not
// match its type's form throws Error{data} rather than yield a wrong value.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/binary_numeric.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::db::postgres {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;
constexpr std::int64_t kEpochDays = 10'957;  // 2000-01-01, PostgreSQL's day 0, in Unix days
constexpr std::int64_t kEpochMicros = kEpochDays * kMicrosPerDay;
constexpr std::size_t kMaxDimensions = 6;

[[noreturn]] void malformed(Oid oid, std::size_t size) {
  throw Error(ErrorKind::data, fmt::format("malformed binary value of type oid {} ({} bytes)", oid, size));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Unix day → proleptic Gregorian date for any day PostgreSQL can hold (std::chrono's years
// stop at ±32767; dates reach 5874897 AD).
void civil(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const auto doe = static_cast<unsigned>(days - era * 146'097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
}

// The years weir's Date and Timestamp hold (the text format's parsers read four digits).
bool in_weir_range(std::int64_t unix_days) {
  static const std::int64_t first = days_from_civil(1, 1, 1), last = days_from_civil(9999, 12, 31);
  return unix_days >= first && unix_days <= last;
}

// The server's ISO text for a date outside weir's range: "0044-03-15 BC", "10000-01-01".
void append_pg_date(std::string& out, std::int64_t unix_days, bool& bc) {
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  civil(unix_days, year, month, day);
  bc = year <= 0;
  fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d}", bc ? 1 - year : year, month, day);
}

// `micros` into the day `unix_days`.
void set_pg_timestamp_text(std::int64_t unix_days, std::int64_t micros, bool zoned, Value& out) {
  std::string text;
  bool bc = false;
  append_pg_date(text, unix_days, bc);
  std::int64_t secs = micros / 1'000'000;
  fmt::format_to(std::back_inserter(text), " {:02d}:{:02d}:{:02d}", secs / 3600, secs / 60 % 60, secs % 60);
  if (std::int64_t frac = micros % 1'000'000) {
    std::string digits = fmt::format(".{:06d}", frac);
    text += digits.substr(0, digits.find_last_not_of('0') + 1);
  }
  if (zoned) text += "+00";
  if (bc) text += " BC";
  out.set_text(text);
}

void decode_date(std::int32_t v, Value& out) {
  if (v == std::numeric_limits<std::int32_t>::min()) return out.set_text("-infinity");
  if (v == std::numeric_limits<std::int32_t>::max()) return out.set_text("infinity");
  std::int64_t days = v + kEpochDays;
  if (in_weir_range(days)) {
    out = Date{static_cast<std::int32_t>(days)};
    return;
  }
  std::string text;
  bool bc = false;
  append_pg_date(text, days, bc);
  if (bc) text += " BC";
  out.set_text(text);
}

// False for what timestamp_recv refuses: anything outside MIN_TIMESTAMP … END_TIMESTAMP (4714-11-24
// BC to 294277 AD) but the infinities. The last years of that range are within 10^15 µs of the
// int64 maximum: a timestamp moves to Unix time only once it is known to be within weir's years.
bool decode_timestamp(std::int64_t v, bool zoned, Value& out) {
  constexpr std::int64_t kMinTimestamp = -211'813'488'000'000'000, kEndTimestamp = 9'223'371'331'200'000'000;
  if (v == std::numeric_limits<std::int64_t>::min()) return out.set_text("-infinity"), true;
  if (v == std::numeric_limits<std::int64_t>::max()) return out.set_text("infinity"), true;
  if (v < kMinTimestamp || v >= kEndTimestamp) return false;
  std::int64_t pg_days = floor_div(v, kMicrosPerDay);
  if (!in_weir_range(pg_days + kEpochDays))
    set_pg_timestamp_text(pg_days + kEpochDays, v - pg_days * kMicrosPerDay, zoned, out);
  else if (zoned) out = TimestampTz{v + kEpochMicros};
  else out = Timestamp{v + kEpochMicros};
  return true;
}

// A real as the text format gives it: the shortest decimal that reads back as the float,
// read as a double (0.1f → 0.1, not 0.100000001490116).
double widen(float f) {
  if (!std::isfinite(f)) return f;
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, f);
  double d = 0;
  std::from_chars(buffer, end, d);
  return d;
}

// "char" as charout prints it: bytes with the high bit set as \ooo, NUL as "".
void decode_char(std::string_view f, Value& out) {
  if (f.empty() || f[0] == '\0') return out.set_text("");
  auto c = static_cast<unsigned char>(f[0]);
  if (c < 0x80) return out.set_text(f.substr(0, 1));
  char octal[4] = {'\\', char('0' + (c >> 6)), char('0' + (c >> 3 & 7)), char('0' + (c & 7))};
  out.set_text({octal, 4});
}

}  // namespace

void BinaryCodec::decode(std::string_view f, Value& out) const {
  auto need = [&](std::size_t n) {
    if (f.size() != n) malformed(oid_, f.size());
  };
  switch (wire_) {
    case Wire::boolean: need(1); return out.set_bool(f[0] != 0);
    case Wire::bytea: return out.set_bytes(f);
    case Wire::char1: return decode_char(f, out);
    case Wire::text: return out.set_text(f);
    case Wire::int2: need(2); return out.set_int(static_cast<std::int16_t>(load16(f.data())));
    case Wire::int4: need(4); return out.set_int(static_cast<std::int32_t>(load32(f.data())));
    case Wire::int8: need(8); return out.set_int(static_cast<std::int64_t>(load64(f.data())));
    case Wire::oid: need(4); return out.set_int(load32(f.data()));
    case Wire::float4: need(4); return out.set_double(widen(std::bit_cast<float>(load32(f.data()))));
    case Wire::float8: need(8); return out.set_double(std::bit_cast<double>(load64(f.data())));
    case Wire::numeric: {
      std::string text;
      if (!numeric_text(f, text)) malformed(oid_, f.size());
      return out.set_decimal(text);
    }
    case Wire::json: return out.set_json(f);
    case Wire::jsonb:
      if (f.empty() || f[0] != 1) malformed(oid_, f.size());
      return out.set_json(f.substr(1));
    case Wire::date: need(4); return decode_date(static_cast<std::int32_t>(load32(f.data())), out);
    case Wire::time: {
      need(8);
      auto micros = static_cast<std::int64_t>(load64(f.data()));
      if (micros < 0 || micros > kMicrosPerDay) malformed(oid_, f.size());  // time_recv's range: 24:00:00 included
      out = Time{micros};
      return;
    }
    case Wire::timestamp:
    case Wire::timestamptz:
      need(8);
      if (!decode_timestamp(static_cast<std::int64_t>(load64(f.data())), wire_ == Wire::timestamptz, out))
        malformed(oid_, f.size());
      return;
    case Wire::interval:
      need(16);
      out = Interval{static_cast<std::int32_t>(load32(f.data() + 12)), static_cast<std::int32_t>(load32(f.data() + 8)),
                     static_cast<std::int64_t>(load64(f.data()))};
      return;
    case Wire::uuid: {
      need(16);
      Uuid u;
      std::memcpy(u.bytes.data(), f.data(), 16);
      out = u;
      return;
    }
    case Wire::array: return decode_array(f, out);
  }
}

void BinaryCodec::decode_array(std::string_view f, Value& out) const {
  std::size_t pos = 0;
  auto word = [&]() -> std::int32_t {
    if (f.size() - pos < 4) malformed(oid_, f.size());
    pos += 4;
    return static_cast<std::int32_t>(load32(f.data() + pos - 4));
  };
  std::int32_t ndim = word();
  word();  // has-NULLs: every element says so itself
  if (static_cast<Oid>(word()) != element_oid_ || ndim < 0 || static_cast<std::size_t>(ndim) > kMaxDimensions)
    malformed(oid_, f.size());
  std::int32_t dims[kMaxDimensions];
  std::size_t elements = ndim > 0 ? 1 : 0;  // how many the dimensions announce, up to the field's size
  for (std::int32_t d = 0; d < ndim; ++d) {
    dims[d] = word();
    word();  // lower bound: weir's arrays start wherever the list starts
    if (dims[d] < 0) malformed(oid_, f.size());
    elements = std::min(elements * static_cast<std::size_t>(dims[d]), f.size());
  }
  // Each element takes at least its length word: dimensions announcing more elements than the
  // field holds are malformed, checked before the nested arrays are built (they could take any
  // amount of memory). A zero dimension is the empty array, as the server reads it.
  if (elements > (f.size() - pos) / 4) malformed(oid_, f.size());
  if (elements == 0) ndim = 0;
  const BinaryCodec item = element();
  auto build = [&](std::int32_t depth, auto& self) -> Array {
    Array level;
    for (std::int32_t i = 0; i < dims[depth]; ++i) {
      if (depth + 1 < ndim) {
        level.items.emplace_back(self(depth + 1, self));
        continue;
      }
      std::int32_t length = word();
      Value& v = level.items.emplace_back();
      if (length < 0) continue;
      if (f.size() - pos < static_cast<std::size_t>(length)) malformed(oid_, f.size());
      item.decode(f.substr(pos, static_cast<std::size_t>(length)), v);
      pos += static_cast<std::size_t>(length);
    }
    return level;
  };
  out = ndim == 0 ? Array{} : build(0, build);
  if (pos != f.size()) malformed(oid_, f.size());
}

}  // namespace weir::db::postgres
