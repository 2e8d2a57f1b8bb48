#include "weir/retry.hpp"

#include <algorithm>
#include <cmath>

namespace weir {

std::chrono::milliseconds RetryPolicy::backoff_cap(int attempt) const noexcept {
  double cap = double(initial_delay.count()) * std::pow(multiplier, std::max(0, attempt - 1));
  cap = std::min(cap, double(max_delay.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(cap));
}

std::chrono::milliseconds RetryPolicy::delay(int attempt, std::mt19937_64& rng) const {
  std::uniform_int_distribution<std::int64_t> pick(0, backoff_cap(attempt).count());
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace weir
