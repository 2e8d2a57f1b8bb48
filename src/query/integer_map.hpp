// A map from 64-bit integers to small values held in one array (open addressing, linear
// probing, at most half full). A lookup is one multiply and, mostly, one cache line, where
// std::unordered_map follows a bucket to a node allocated on its own: the batched join keys
// (key_batches.hpp) are looked up once per row of the outer scan, a million times in a scan of
// a million rows, and the node's cache miss was a fifth of such a statement's time.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace weir::query {

template <class V>
class IntegerMap {
 public:
  // The value kept for `key`; null when there is none.
  const V* find(std::int64_t key) const noexcept {
    if (size_ == 0) return nullptr;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (!slot.used) return nullptr;
      if (slot.key == key) return &slot.value;
    }
  }

  void insert_or_assign(std::int64_t key, V value) {
    if (2 * (size_ + 1) > slots_.size()) rehash(std::max<std::size_t>(16, 2 * slots_.size()));
    Slot& slot = place(key);
    if (!slot.used) {
      slot.used = true;
      slot.key = key;
      ++size_;
    }
    slot.value = std::move(value);
  }

  void clear() noexcept {
    slots_.clear();
    size_ = 0;
    mask_ = 0;
    shift_ = 64;
  }

  std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    std::int64_t key = 0;
    V value{};
    bool used = false;
  };

  // Fibonacci hashing: the top bits of key × 2^64/φ, so keys in a run (1, 2, 3 …) or on a
  // stride (every 1024th) spread over the table instead of piling up in one stretch.
  std::size_t home(std::int64_t key) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }

  Slot& place(std::int64_t key) noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask_)
      if (!slots_[i].used || slots_[i].key == key) return slots_[i];
  }

  void rehash(std::size_t capacity) {  // a power of two
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    mask_ = capacity - 1;
    shift_ = 64 - std::countr_zero(capacity);
    for (Slot& slot : old)
      if (slot.used) place(slot.key) = std::move(slot);
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace weir::query
