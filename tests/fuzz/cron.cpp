// `schedule:` cron expressions: parsed as sql_poll reads them, then asked for the next run
// from a time the input picks, in a zone with daylight-saving changes. Invariants: the next
// run is later than the time asked about and within the nine years searched; asking again
// from any moment before it gives the same run (nothing in between was skipped).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "core/text.hpp"
#include "fuzz_check.hpp"
#include "pipeline/cron.hpp"

namespace weir::fuzz {
namespace {

using Clock = pipeline::CronSchedule::Clock;

void check(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return;
  // The first four bytes pick the moment: seconds from 2000-01-01 up to about 2136.
  std::uint32_t offset = std::uint32_t{data[0]} << 24 | std::uint32_t{data[1]} << 16 | std::uint32_t{data[2]} << 8 | data[3];
  Clock::time_point from = Clock::from_time_t(946'684'800 + static_cast<std::time_t>(offset));
  std::string_view text(reinterpret_cast<const char*>(data + 4), size - 4);
  std::optional<pipeline::CronSchedule> s;
  try {
    s = pipeline::CronSchedule::parse(text);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    return;
  }
  require(s->expression() == trim(text), "the expression is not kept as written");
  Clock::time_point next;
  try {
    next = s->next_after(from);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});  // nothing within nine years, e.g. 29 February on a Monday
    return;
  }
  auto cron = s->expression();
  require(next > from, fmt::format("cron `{}`: the next run is not after the time asked about", cron));
  require(next - from < std::chrono::hours(24 * 366 * 10), fmt::format("cron `{}`: the next run is too far", cron));
  Clock::time_point between = from + (next - from) / 2;
  require(s->next_after(between) == next, fmt::format("cron `{}`: asking from a later moment gives another run", cron));
  require(s->next_after(next - std::chrono::seconds(1)) == next,
          fmt::format("cron `{}`: asking a second before the run gives another run", cron));
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Central European time, written as a POSIX rule so no zone file is needed.
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check(data, size);
  return 0;
}
