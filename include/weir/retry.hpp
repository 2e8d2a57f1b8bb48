// Retrying transient failures: exponential backoff with full jitter, bounded by attempts and
// by time.
//
// The delay before attempt n+1 is uniform in [0, min(max_delay, initial_delay * multiplier^(n-1))]
// ("full jitter": spreads the retries of many clients hitting one recovering server), cut
// short so the last attempt starts when max_time runs out. Only errors the predicate accepts
// are retried; anything else propagates at once. An error that outlasts the retries
// propagates with "gave up after N attempts in T s" in front of its message.
#pragma once

#include <chrono>
#include <functional>
#include <algorithm>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

#include "weir/error.hpp"

namespace weir {

struct RetryPolicy {
  int max_attempts = 5;  // total tries, including the first; 0: as many as max_time allows
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{10'000};
  double multiplier = 2.0;
  // No attempt starts later than this after the first one; zero: no limit but max_attempts.
  std::chrono::milliseconds max_time{0};

  // The upper bound of the delay after failed attempt `attempt` (1-based).
  std::chrono::milliseconds backoff_cap(int attempt) const noexcept;
  // A jittered delay in [0, backoff_cap(attempt)].
  std::chrono::milliseconds delay(int attempt, std::mt19937_64& rng) const;
  // Whether another attempt may follow failed attempt `attempt`, `elapsed` after the first began.
  bool allows_another(int attempt, std::chrono::milliseconds elapsed) const noexcept;
};

struct RetryHooks {
  // Waits between attempts; tests pass a recorder instead of sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Told about each failure that will be retried (for logging and metrics).
  std::function<void(const Error&, int attempt, std::chrono::milliseconds delay)> on_retry;
  // Told when an attempt succeeds after failures: `attempts` in all, the first `elapsed` ago.
  std::function<void(int attempts, std::chrono::milliseconds elapsed)> on_recovered;
  // The clock that max_time is measured on; tests pass a fake one.
  std::function<std::chrono::steady_clock::time_point()> now;
  // The run being retried for: a stop request ends the waiting, and the last error propagates.
  std::stop_token stop;
  std::uint64_t seed = std::random_device{}();
};

// What failed, for a log line or an error's context: `subject` ("pipelines.a.input.sql_poll:
// query") followed by " on " and `connection` (a connection's describe(), its password masked)
// unless the error already names it, as a failure to connect does: the URL is said once.
std::string naming_connection(const Error& e, std::string_view subject, std::string_view connection);

// Hooks that log retrying as a person wants to read it: one warning when it starts (what
// failed, see naming_connection, and for how long it will be retried), attempts after that
// at debug level, and one line when it succeeds again.
// `stop`: the run's stop token (RetryHooks::stop).
RetryHooks logged_retries(std::string subject, std::string connection, const RetryPolicy& policy,
                          std::stop_token stop = {});

// Prefixes the error that ends the retrying with how long it lasted.
void note_gave_up(Error& e, int attempts, std::chrono::milliseconds elapsed);
// Prefixes the error that was being retried when the run was asked to stop.
void note_stopped(Error& e, int attempts);

// Sleeps for `duration` unless `stop` is requested first; false when it was.
bool sleep_unless_stopped(std::chrono::milliseconds duration, const std::stop_token& stop);

// Calls fn() until it returns, throws an error `should_retry` declines, or the policy allows
// no further attempt (then the last error propagates).
template <class ShouldRetry, class F>
auto retry_if(const RetryPolicy& policy, ShouldRetry&& should_retry, F&& fn, RetryHooks hooks = {}) -> decltype(fn()) {
  using Clock = std::chrono::steady_clock;
  auto now = [&hooks] { return hooks.now ? hooks.now() : Clock::now(); };
  std::mt19937_64 rng(hooks.seed);
  const Clock::time_point start = now();
  auto elapsed = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(now() - start); };
  for (int attempt = 1;; ++attempt) {
    try {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        if (attempt > 1 && hooks.on_recovered) hooks.on_recovered(attempt, elapsed());
        return;
      } else {
        auto result = fn();
        if (attempt > 1 && hooks.on_recovered) hooks.on_recovered(attempt, elapsed());
        return result;
      }
    } catch (Error& e) {
      if (!should_retry(e)) throw;
      if (hooks.stop.stop_requested()) {
        note_stopped(e, attempt);
        throw;
      }
      auto spent = elapsed();
      if (!policy.allows_another(attempt, spent)) {
        if (attempt > 1) note_gave_up(e, attempt, spent);
        throw;
      }
      auto wait = policy.delay(attempt, rng);
      if (policy.max_time.count() > 0) wait = std::min(wait, policy.max_time - spent);
      if (hooks.on_retry) hooks.on_retry(e, attempt, wait);
      if (hooks.sleep) hooks.sleep(wait);
      else if (!sleep_unless_stopped(wait, hooks.stop)) {
        note_stopped(e, attempt);
        throw;
      }
    }
  }
}

// retry_if for the errors whose retryable() is true.
template <class F>
auto retry(const RetryPolicy& policy, F&& fn, RetryHooks hooks = {}) -> decltype(fn()) {
  return retry_if(policy, [](const Error& e) { return e.retryable(); }, std::forward<F>(fn), std::move(hooks));
}

}  // namespace weir
