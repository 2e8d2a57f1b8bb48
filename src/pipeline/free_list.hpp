// Things handed back once used, to be filled again: a batch's rows and strings keep the room
// they took, so a steady stream allocates nothing per batch. The threads that fill and those
// that write share one; it keeps at most `keep` (more would be memory never used again).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace weir::pipeline {

template <class T>
class FreeList {
 public:
  explicit FreeList(std::size_t keep) : keep_(keep) {}

  // One handed back, or a new one when none is.
  T take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        T item = std::move(free_.back());
        free_.pop_back();
        return item;
      }
    }
    if constexpr (requires { typename T::element_type; }) return std::make_unique<typename T::element_type>();
    else return T{};
  }

  void give(T item) {
    std::lock_guard lock(mutex_);
    if (free_.size() < keep_) free_.push_back(std::move(item));
  }

 private:
  const std::size_t keep_;
  std::mutex mutex_;
  std::vector<T> free_;
};

}  // namespace weir::pipeline
