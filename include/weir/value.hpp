// weir::Value — one SQL value, as it flows between drivers, pipeline stages and outputs.
//
// A small tagged union over the logical types every driver maps its native types to (see
// docs/types.md). Exact types stay exact: decimals travel as canonical text, never through
// double; timestamps are integer microseconds. Moving a Value is cheap; the set_* writers
// reuse a string's buffer when the cell already holds that type, so a cursor refilling a
// recycled Batch allocates nothing in the steady state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace weir {

// The order matches Value's variant alternatives: type() is the variant index.
enum class Type : std::uint8_t {
  null,         // SQL NULL; as a column type: unknown / any
  boolean,
  int64,
  float64,
  decimal,      // exact numeric, canonical text ("-12.50")
  text,         // UTF-8
  bytes,
  date,         // days since 1970-01-01
  time,         // microseconds since midnight
  timestamp,    // microseconds since 1970-01-01 00:00, wall clock, no zone
  timestamptz,  // microseconds since the Unix epoch, UTC
  interval,     // months, days, microseconds (PostgreSQL's model)
  uuid,
  json,         // JSON document as text
  array,
};

std::string_view to_string(Type type) noexcept;

struct Decimal {
  std::string text;
  bool operator==(const Decimal&) const = default;
};
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};
struct Date {
  std::int32_t days = 0;
  auto operator<=>(const Date&) const = default;
};
struct Time {
  std::int64_t micros = 0;
  auto operator<=>(const Time&) const = default;
};
struct Timestamp {
  std::int64_t micros = 0;
  auto operator<=>(const Timestamp&) const = default;
};
struct TimestampTz {
  std::int64_t micros = 0;
  auto operator<=>(const TimestampTz&) const = default;
};
struct Interval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t micros = 0;
  bool operator==(const Interval&) const = default;
};
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Uuid&) const = default;
};
struct Json {
  std::string text;
  bool operator==(const Json&) const = default;
};

class Value;
struct Array {
  std::vector<Value> items;
  bool operator==(const Array&) const;
};

class Value {
 public:
  using Storage = std::variant<std::monostate, bool, std::int64_t, double, Decimal, std::string,
                               Bytes, Date, Time, Timestamp, TimestampTz, Interval, Uuid, Json,
                               Array>;

  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool v) : v_(v) {}
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
  Value(I v) : v_(static_cast<std::int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(Decimal v) : v_(std::move(v)) {}
  Value(Bytes v) : v_(std::move(v)) {}
  Value(Date v) : v_(v) {}
  Value(Time v) : v_(v) {}
  Value(Timestamp v) : v_(v) {}
  Value(TimestampTz v) : v_(v) {}
  Value(Interval v) : v_(v) {}
  Value(Uuid v) : v_(v) {}
  Value(Json v) : v_(std::move(v)) {}
  Value(Array v) : v_(std::move(v)) {}

  Type type() const noexcept { return static_cast<Type>(v_.index()); }
  bool is_null() const noexcept { return v_.index() == 0; }

  template <class T>
  const T* get_if() const noexcept { return std::get_if<T>(&v_); }
  // Throws Error{data} naming both types when the value holds another type.
  template <class T>
  const T& get() const;

  bool as_bool() const { return get<bool>(); }
  std::int64_t as_int() const { return get<std::int64_t>(); }
  double as_double() const { return get<double>(); }
  const std::string& as_text() const { return get<std::string>(); }

  // In-place writers for hot loops: reuse the existing buffer when the type matches.
  void set_null() noexcept { v_.emplace<std::monostate>(); }
  void set_bool(bool v) noexcept { v_ = v; }
  void set_int(std::int64_t v) noexcept { v_ = v; }
  void set_double(double v) noexcept { v_ = v; }
  void set_text(std::string_view v);
  void set_decimal(std::string_view v);
  void set_bytes(std::string_view v);
  void set_json(std::string_view v);

  // Canonical text: what CSV and text protocols carry. NULL renders as "".
  std::string to_text() const;
  // Appends to_text() to `out` without a temporary for the common types (hot output loops).
  void append_text(std::string& out) const;
  // Appends the value as JSON: numbers bare, decimals as strings (no precision loss),
  // json documents inline, dates/timestamps as ISO-8601 strings, bytes as base64 strings.
  void append_json(std::string& out) const;

  const Storage& storage() const noexcept { return v_; }
  bool operator==(const Value& other) const = default;

 private:
  [[noreturn]] void throw_type_mismatch(Type wanted) const;
  template <class T, class... Ts>
  static constexpr Type index_in(const std::variant<Ts...>*) {
    std::size_t i = 0;
    bool found = false;
    ((found || (std::is_same_v<T, Ts> ? (found = true) : (++i, false))), ...);
    return static_cast<Type>(i);
  }
  template <class T>
  static constexpr Type type_of() { return index_in<T>(static_cast<const Storage*>(nullptr)); }

  Storage v_;
};

// Appends `text` as a quoted JSON string, escaping as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);

template <class T>
const T& Value::get() const {
  if (const T* p = std::get_if<T>(&v_)) return *p;
  throw_type_mismatch(type_of<T>());
}

}  // namespace weir
