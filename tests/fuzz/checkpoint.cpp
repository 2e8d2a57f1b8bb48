// The checkpoint codec (pipeline/checkpoint): an incremental input's position saved as text
// after each committed batch and read back when the pipeline starts again.
//
// First byte even: the rest is stored checkpoint text, perhaps damaged, as decode_position
// reads it from the state table. First byte odd: the rest makes cursor values, within the
// ranges a driver reads (years 1-9999, a time of day, any interval, decimal numerals), as
// encode_position meets them after a batch.
//
// Invariants: whatever decodes encodes to text that decodes to the same values, and encoding
// is then stable; every value a driver can read round-trips, so a restart resumes from exactly
// where the last run committed.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "pipeline/checkpoint.hpp"
#include "value_checks.hpp"
#include "weir/temporal.hpp"

namespace weir::fuzz {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

bool same(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (has_nan(a[i]) && has_nan(b[i])))) return false;
  return true;
}

void round_trip(const std::vector<Value>& values, std::string_view origin) {
  std::string text = pipeline::encode_position(values);
  std::vector<Value> back;
  try {
    back = pipeline::decode_position(text);
  } catch (const Error& e) {
    require(false, fmt::format("{} encodes to `{}`, which does not decode: {}", origin, text, e.what()));
  }
  require(same(back, values), fmt::format("{} encodes to `{}`, which decodes to other values", origin, text));
  require(pipeline::encode_position(back) == text, fmt::format("{}: encoding `{}` again changes it", origin, text));
}

void from_text(std::string_view text) {
  std::vector<Value> values;
  try {
    values = pipeline::decode_position(text);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    return;
  }
  for (const Value& v : values) render(v);
  round_trip(values, fmt::format("stored `{}`", text));
}

std::string decimal_numeral(FuzzedDataProvider& in) {
  std::string out = in.ConsumeBool() ? "-" : "";
  out += std::to_string(in.ConsumeIntegral<std::uint64_t>());
  if (in.ConsumeBool()) out += "." + std::to_string(in.ConsumeIntegral<std::uint32_t>());
  return out;
}

Value value_from(FuzzedDataProvider& in) {
  static const std::int32_t first_day = days_from_civil(1, 1, 1), last_day = days_from_civil(9999, 12, 31);
  switch (in.ConsumeIntegralInRange(0, 13)) {
    case 0: return Value();
    case 1: return Value(in.ConsumeBool());
    case 2: return Value(in.ConsumeIntegral<std::int64_t>());
    case 3: return Value(in.ConsumeFloatingPoint<double>());
    case 4: return Value(Decimal{decimal_numeral(in)});
    case 5: return Value(in.ConsumeRandomLengthString(64));
    case 6: return Value(Bytes{in.ConsumeRandomLengthString(64)});
    case 7: return Value(Date{in.ConsumeIntegralInRange(first_day, last_day)});
    case 8: return Value(Time{in.ConsumeIntegralInRange<std::int64_t>(0, kMicrosPerDay - 1)});
    case 9:
      return Value(Timestamp{in.ConsumeIntegralInRange<std::int64_t>(first_day * kMicrosPerDay, (last_day + 1) * kMicrosPerDay - 1)});
    case 10:
      return Value(TimestampTz{in.ConsumeIntegralInRange<std::int64_t>(first_day * kMicrosPerDay, (last_day + 1) * kMicrosPerDay - 1)});
    case 11:
      return Value(Interval{in.ConsumeIntegral<std::int32_t>(), in.ConsumeIntegral<std::int32_t>(),
                            in.ConsumeIntegral<std::int64_t>()});
    case 12: {
      Uuid u;
      for (auto& b : u.bytes) b = in.ConsumeIntegral<std::uint8_t>();
      return Value(u);
    }
    default: return Value(Json{in.ConsumeRandomLengthString(64)});
  }
}

void from_values(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<Value> values(in.ConsumeIntegralInRange<std::size_t>(1, 3));
  for (Value& v : values) v = value_from(in);
  std::vector<std::string> shown;
  for (const Value& v : values) shown.push_back(fmt::format("{} `{}`", to_string(v.type()), v.to_text()));
  round_trip(values, fmt::format("a cursor at ({})", fmt::join(shown, ", ")));
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1) weir::fuzz::from_values(data + 1, size - 1);
  else weir::fuzz::from_text({reinterpret_cast<const char*>(data + 1), size - 1});
  return 0;
}
