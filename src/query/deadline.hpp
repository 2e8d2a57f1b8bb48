// A statement's deadline: a thread that waits until a time and then calls `expire` once, unless
// the deadline is destroyed first. What the statement's `query_timeout` (or `--timeout`) runs on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace weir::query {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  // Calls `expire` (on the deadline's thread) at `at`; at once when `at` has passed.
  Deadline(Clock::time_point at, std::function<void()> expire);
  ~Deadline();  // stops waiting; waits for `expire` when it is running
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // Whether `expire` was called (it has returned, or is running).
  bool expired() const noexcept { return expired_.load(); }

 private:
  std::atomic<bool> expired_{false};
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started once the rest is ready
};

}  // namespace weir::query
