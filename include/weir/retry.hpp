// Retrying transient failures: exponential backoff with full jitter, bounded attempts.
//
// The delay before attempt n+1 is uniform in [0, min(max_delay, initial_delay * multiplier^(n-1))]
// ("full jitter": spreads the retries of many clients hitting one recovering server).
// Only errors whose retryable() is true are retried; anything else propagates at once.
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "weir/error.hpp"

namespace weir {

struct RetryPolicy {
  int max_attempts = 5;  // total tries, including the first
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{10'000};
  double multiplier = 2.0;

  // The upper bound of the delay after failed attempt `attempt` (1-based).
  std::chrono::milliseconds backoff_cap(int attempt) const noexcept;
  // A jittered delay in [0, backoff_cap(attempt)].
  std::chrono::milliseconds delay(int attempt, std::mt19937_64& rng) const;
};

struct RetryHooks {
  // Waits between attempts; tests pass a recorder instead of sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Told about each failure that will be retried (for logging and metrics).
  std::function<void(const Error&, int attempt, std::chrono::milliseconds delay)> on_retry;
  std::uint64_t seed = std::random_device{}();
};

// Calls fn() until it returns, throws an error `should_retry` declines, or max_attempts are
// spent (then the last error propagates).
template <class ShouldRetry, class F>
auto retry_if(const RetryPolicy& policy, ShouldRetry&& should_retry, F&& fn, RetryHooks hooks = {}) -> decltype(fn()) {
  std::mt19937_64 rng(hooks.seed);
  for (int attempt = 1;; ++attempt) {
    try {
      return fn();
    } catch (const Error& e) {
      if (!should_retry(e) || attempt >= policy.max_attempts) throw;
      auto wait = policy.delay(attempt, rng);
      if (hooks.on_retry) hooks.on_retry(e, attempt, wait);
      if (hooks.sleep) hooks.sleep(wait);
      else std::this_thread::sleep_for(wait);
    }
  }
}

// retry_if for the errors whose retryable() is true.
template <class F>
auto retry(const RetryPolicy& policy, F&& fn, RetryHooks hooks = {}) -> decltype(fn()) {
  return retry_if(policy, [](const Error& e) { return e.retryable(); }, std::forward<F>(fn), std::move(hooks));
}

}  // namespace weir
