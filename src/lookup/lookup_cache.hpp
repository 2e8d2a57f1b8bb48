// LookupCache — the rows a lookup returned, by the values it was asked with.
//
// Least-recently-used with a time to live: get() and put() are O(1) on average; an entry is
// served until `ttl` after it was stored; storing beyond max_entries evicts the least
// recently used one. Empty results are cached too (a key with no row stays a miss on the
// database's side, not the cache's), for `negative_ttl`: a row added later is seen sooner.
// With `stale_for`, an entry outlives its ttl until that long after it was stored, to be
// served by stale() while the database cannot be reached. Keys compare as Values do: 42 and
// "42" are different keys.
//
// Not thread-safe, by design: each filter instance runs on one thread (module.hpp), so its
// cache needs no lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "weir/value.hpp"

namespace weir::lookup {

// Hashes a Value consistently with Value::operator== (type and content).
struct ValueHash {
  std::size_t operator()(const Value& value) const noexcept;
};

struct ValuesHash {
  std::size_t operator()(const std::vector<Value>& values) const noexcept;
};

// What one lookup returned: its rows, each with the query's columns.
using LookupRows = std::vector<std::vector<Value>>;

struct CacheOptions {
  std::size_t max_entries = 10000;                         // >= 1
  std::chrono::milliseconds ttl{std::chrono::minutes(5)};  // > 0
  std::optional<std::chrono::milliseconds> negative_ttl{}; // keys with no row; absent: ttl
  std::chrono::milliseconds stale_for{0};                  // age served while the database is down
};

class LookupCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::vector<Value>;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;      // absent or expired
    std::uint64_t evictions = 0;   // dropped to stay within max_entries
    std::uint64_t expirations = 0; // found past their ttl
    std::uint64_t stale_hits = 0;  // served past their ttl by stale()
  };

  // max_entries >= 1; ttl > 0.
  LookupCache(std::size_t max_entries, std::chrono::milliseconds ttl);
  explicit LookupCache(const CacheOptions& options);

  // The rows stored for `key`, or nullptr when absent or expired (then dropped, unless it may
  // still be served stale).
  std::shared_ptr<const LookupRows> get(const Key& key, Clock::time_point now = Clock::now());
  // The rows stored for `key` no longer ago than stale_for, expired or not; nullptr otherwise.
  std::shared_ptr<const LookupRows> stale(const Key& key, Clock::time_point now = Clock::now());
  // Stores (or replaces) the rows for `key` as the most recently used entry.
  void put(Key key, std::shared_ptr<const LookupRows> rows, Clock::time_point now = Clock::now());

  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t max_entries() const noexcept { return max_entries_; }
  const Stats& stats() const noexcept { return stats_; }
  void clear() noexcept;

 private:
  struct Entry {
    Key key;
    std::shared_ptr<const LookupRows> rows;
    Clock::time_point expires;
    Clock::time_point stale_until;  // kept, expired, until then
  };
  using List = std::list<Entry>;
  // The index points into the list, whose nodes never move: keys are stored once.
  struct KeyPtrHash {
    std::size_t operator()(const Key* k) const noexcept { return ValuesHash{}(*k); }
  };
  struct KeyPtrEqual {
    bool operator()(const Key* a, const Key* b) const noexcept { return *a == *b; }
  };

  void stamp(Entry& entry, Clock::time_point now) const;

  std::size_t max_entries_;
  Clock::duration ttl_;
  Clock::duration negative_ttl_;
  Clock::duration stale_for_;
  List entries_;  // most recently used first
  std::unordered_map<const Key*, List::iterator, KeyPtrHash, KeyPtrEqual> index_;
  Stats stats_;
};

}  // namespace weir::lookup
