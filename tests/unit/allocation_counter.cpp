#include "unit/allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

// ThreadSanitizer's runtime defines the allocation functions itself (not weakly, as ASan's
// does): under it nothing is replaced and nothing counted (allocations_counted() says so).
#if defined(__SANITIZE_THREAD__)
#define WEIR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEIR_TSAN 1
#endif
#endif

namespace {
std::atomic<long> counted{0};
}  // namespace

#ifndef WEIR_TSAN

// Replaces the global allocation functions of the unit binary. Frees go through the matching
// operator delete.
void* operator new(std::size_t size) {
  counted.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (decimal_sum allocates with them): under AddressSanitizer, which supplies
// every form it is not given, one of its news freed by the free above is an alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  counted.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
#endif

namespace weir::test {

long allocations() noexcept { return counted.load(std::memory_order_relaxed); }

bool allocations_counted() noexcept {
#ifdef WEIR_TSAN
  return false;
#else
  return true;
#endif
}

}  // namespace weir::test
