// A bounded multi-producer/multi-consumer queue: the backpressure between stages. A full
// queue blocks the producer, so memory stays bounded whatever the input's size.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace weir::pipeline {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Blocks while full; returns false (dropping the item) once the queue is closed.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `timeout`; nullopt on timeout or when closed and drained (see closed()).
  std::optional<T> pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) return std::nullopt;
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  // Applies `change` to the item pushed last, if it is still waiting; false when the queue is
  // empty (a consumer took it already).
  template <class F>
  bool change_last(F change) {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return false;
    change(items_.back());
    return true;
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return items_.empty();
  }

  // Producers stop; consumers drain what is left.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool drained() const {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  std::size_t capacity_;
  bool closed_ = false;
};

}  // namespace weir::pipeline
