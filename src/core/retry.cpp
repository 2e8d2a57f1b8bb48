#include "weir/retry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>

#include "weir/log.hpp"

namespace weir {
namespace {

std::string seconds(std::chrono::milliseconds d) { return fmt::format("{:.1f} s", double(d.count()) / 1000.0); }

}  // namespace

std::chrono::milliseconds RetryPolicy::backoff_cap(int attempt) const noexcept {
  double cap = double(initial_delay.count()) * std::pow(multiplier, std::max(0, attempt - 1));
  cap = std::min(cap, double(max_delay.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(cap));
}

std::chrono::milliseconds RetryPolicy::delay(int attempt, std::mt19937_64& rng) const {
  std::uniform_int_distribution<std::int64_t> pick(0, backoff_cap(attempt).count());
  return std::chrono::milliseconds(pick(rng));
}

bool RetryPolicy::allows_another(int attempt, std::chrono::milliseconds elapsed) const noexcept {
  if (max_attempts > 0 && attempt >= max_attempts) return false;
  if (max_time.count() > 0 && elapsed >= max_time) return false;
  return max_attempts > 0 || max_time.count() > 0;
}

std::string naming_connection(const Error& e, std::string_view subject, std::string_view connection) {
  if (std::string_view(e.what()).find(connection) != std::string_view::npos) return std::string(subject);
  return fmt::format("{} on {}", subject, connection);
}

RetryHooks logged_retries(std::string subject, std::string connection, const RetryPolicy& policy,
                          std::stop_token stop) {
  std::string limit;
  if (policy.max_time.count() > 0) limit = fmt::format(" for up to {}", seconds(policy.max_time));
  if (policy.max_attempts > 0)
    limit += fmt::format("{} {} attempts", limit.empty() ? " for up to" : " or", policy.max_attempts);
  RetryHooks hooks;
  hooks.stop = std::move(stop);
  hooks.on_retry = [subject, connection, limit](const Error& e, int attempt, std::chrono::milliseconds wait) {
    std::string what = naming_connection(e, subject, connection);
    if (attempt == 1) log::warn(fmt::format("{}: {}; retrying{}", what, e.what(), limit));
    else log::debug(fmt::format("{}: attempt {} failed ({}); next in {} ms", what, attempt, e.what(), wait.count()));
  };
  hooks.on_recovered = [subject, connection](int attempts, std::chrono::milliseconds elapsed) {
    log::info(fmt::format("{} on {}: succeeded on attempt {} after {}", subject, connection, attempts,
                          seconds(elapsed)));
  };
  return hooks;
}

void note_gave_up(Error& e, int attempts, std::chrono::milliseconds elapsed) {
  e.add_context(fmt::format("gave up after {} attempts in {}", attempts, seconds(elapsed)));
}

void note_stopped(Error& e, int attempts) {
  e.add_context(fmt::format("stopped while retrying, after {} attempt{}", attempts, attempts == 1 ? "" : "s"));
}

bool sleep_unless_stopped(std::chrono::milliseconds duration, const std::stop_token& stop) {
  if (!stop.stop_possible()) {
    std::this_thread::sleep_for(duration);
    return true;
  }
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, stop, duration, [] { return false; });  // nothing but a stop request wakes it
  return !stop.stop_requested();
}

}  // namespace weir
