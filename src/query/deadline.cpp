#include "query/deadline.hpp"

namespace weir::query {

Deadline::Deadline(Clock::time_point at, std::function<void()> expire)
    : thread_([this, at, expire = std::move(expire)](std::stop_token stop) {
        std::unique_lock lock(mutex_);
        if (!wake_.wait_until(lock, stop, at, [] { return false; }) && !stop.stop_requested()) {
          expired_.store(true);
          expire();
        }
      }) {}

Deadline::~Deadline() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace weir::query
