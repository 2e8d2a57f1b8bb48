// The lookup cache: LRU order, TTL, counters, and Value hashing that agrees with equality.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <unordered_set>

#include "lookup/lookup_cache.hpp"
#include "weir/error.hpp"

namespace weir::lookup {
namespace {

using std::chrono::milliseconds;
using Clock = LookupCache::Clock;

std::shared_ptr<const LookupRows> rows(std::int64_t v) {
  return std::make_shared<const LookupRows>(LookupRows{{Value(v)}});
}

std::int64_t first(const std::shared_ptr<const LookupRows>& r) { return r->front().front().as_int(); }

TEST(LookupCache, HitsMissesAndReplacement) {
  LookupCache cache(10, milliseconds(1000));
  auto t = Clock::now();
  EXPECT_EQ(cache.get({Value(1)}, t), nullptr);
  cache.put({Value(1)}, rows(100), t);
  ASSERT_NE(cache.get({Value(1)}, t), nullptr);
  EXPECT_EQ(first(cache.get({Value(1)}, t)), 100);
  cache.put({Value(1)}, rows(101), t);
  EXPECT_EQ(first(cache.get({Value(1)}, t)), 101);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.stats().hits, 3u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST(LookupCache, EmptyResultsAreCachedToo) {
  LookupCache cache(10, milliseconds(1000));
  cache.put({Value("nobody")}, std::make_shared<const LookupRows>());
  auto hit = cache.get({Value("nobody")});
  ASSERT_NE(hit, nullptr);
  EXPECT_TRUE(hit->empty());
}

TEST(LookupCache, LeastRecentlyUsedIsEvictedFirst) {
  LookupCache cache(3, milliseconds(1000));
  auto t = Clock::now();
  for (int i = 1; i <= 3; ++i) cache.put({Value(i)}, rows(i), t);
  EXPECT_NE(cache.get({Value(1)}, t), nullptr);  // 1 is now the most recent; 2 the least
  cache.put({Value(4)}, rows(4), t);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.get({Value(2)}, t), nullptr);
  EXPECT_NE(cache.get({Value(1)}, t), nullptr);
  EXPECT_NE(cache.get({Value(3)}, t), nullptr);
  EXPECT_NE(cache.get({Value(4)}, t), nullptr);
  cache.put({Value(3)}, rows(33), t);  // replacing refreshes too
  cache.put({Value(5)}, rows(5), t);
  EXPECT_EQ(cache.get({Value(1)}, t), nullptr);
  EXPECT_EQ(first(cache.get({Value(3)}, t)), 33);
}

TEST(LookupCache, EntriesExpireAfterTheirTtl) {
  LookupCache cache(10, milliseconds(500));
  auto t = Clock::now();
  cache.put({Value(1)}, rows(1), t);
  EXPECT_NE(cache.get({Value(1)}, t + milliseconds(499)), nullptr);
  EXPECT_EQ(cache.get({Value(1)}, t + milliseconds(500)), nullptr);
  EXPECT_EQ(cache.size(), 0u) << "an expired entry is dropped when found";
  EXPECT_EQ(cache.stats().expirations, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
  cache.put({Value(1)}, rows(2), t + milliseconds(600));
  EXPECT_EQ(first(cache.get({Value(1)}, t + milliseconds(1000))), 2) << "a new put starts a new ttl";
}

TEST(LookupCache, KeysWithoutRowsExpireAfterTheirOwnTtl) {
  LookupCache cache(CacheOptions{.max_entries = 10, .ttl = milliseconds(1000), .negative_ttl = milliseconds(100)});
  auto t = Clock::now();
  cache.put({Value(1)}, rows(1), t);
  cache.put({Value(2)}, std::make_shared<const LookupRows>(), t);
  EXPECT_NE(cache.get({Value(2)}, t + milliseconds(99)), nullptr);
  EXPECT_EQ(cache.get({Value(2)}, t + milliseconds(100)), nullptr) << "no row: the negative ttl";
  EXPECT_NE(cache.get({Value(1)}, t + milliseconds(999)), nullptr) << "a row: the ttl";
  EXPECT_EQ(cache.get({Value(1)}, t + milliseconds(1000)), nullptr);
}

// Past its ttl an entry is a miss for get(), and stale() serves it until stale_for after it
// was stored; then it is dropped.
TEST(LookupCache, StaleEntriesOutliveTheirTtlUntilStaleFor) {
  LookupCache cache(CacheOptions{.max_entries = 10, .ttl = milliseconds(100), .stale_for = milliseconds(1000)});
  auto t = Clock::now();
  cache.put({Value(1)}, rows(1), t);
  cache.put({Value(2)}, std::make_shared<const LookupRows>(), t);
  EXPECT_EQ(cache.get({Value(1)}, t + milliseconds(100)), nullptr);
  EXPECT_EQ(cache.size(), 2u) << "kept to be served stale";
  ASSERT_NE(cache.stale({Value(1)}, t + milliseconds(999)), nullptr);
  EXPECT_EQ(first(cache.stale({Value(1)}, t + milliseconds(999))), 1);
  EXPECT_NE(cache.stale({Value(2)}, t + milliseconds(999)), nullptr) << "no row is an answer too";
  EXPECT_EQ(cache.stale({Value(1)}, t + milliseconds(1000)), nullptr);
  EXPECT_EQ(cache.stale({Value(3)}, t), nullptr);
  EXPECT_EQ(cache.stats().stale_hits, 3u);
  EXPECT_EQ(cache.get({Value(1)}, t + milliseconds(1000)), nullptr);
  EXPECT_EQ(cache.size(), 1u) << "dropped once past stale_for";
}

TEST(LookupCache, KeysOfSeveralValuesAndTypesAreDistinct) {
  LookupCache cache(100, milliseconds(1000));
  cache.put({Value(1), Value("a")}, rows(1));
  cache.put({Value(1), Value("b")}, rows(2));
  cache.put({Value("1"), Value("a")}, rows(3));
  cache.put({Value(Decimal{"1"}), Value("a")}, rows(4));
  cache.put({Value(1)}, rows(5));
  cache.put({Value(), Value("a")}, rows(6));
  EXPECT_EQ(cache.size(), 6u);
  EXPECT_EQ(first(cache.get({Value(1), Value("a")})), 1);
  EXPECT_EQ(first(cache.get({Value(1), Value("b")})), 2);
  EXPECT_EQ(first(cache.get({Value("1"), Value("a")})), 3);
  EXPECT_EQ(first(cache.get({Value(Decimal{"1"}), Value("a")})), 4);
  EXPECT_EQ(first(cache.get({Value(1)})), 5);
  EXPECT_EQ(first(cache.get({Value(), Value("a")})), 6);
}

TEST(LookupCache, ManyEntriesStayConsistent) {
  LookupCache cache(1000, milliseconds(60'000));
  for (int i = 0; i < 5000; ++i) cache.put({Value(i % 1500)}, rows(i));
  EXPECT_EQ(cache.size(), 1000u);
  int found = 0;
  for (int i = 0; i < 1500; ++i)
    if (auto r = cache.get({Value(i)})) {
      ++found;
      EXPECT_EQ(first(r) % 1500, i);
    }
  EXPECT_EQ(found, 1000);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.get({Value(1)}), nullptr);
}

TEST(LookupCache, RejectsUselessLimits) {
  EXPECT_THROW(LookupCache(0, milliseconds(1)), Error);
  EXPECT_THROW(LookupCache(1, milliseconds(0)), Error);
  EXPECT_THROW(LookupCache(CacheOptions{.negative_ttl = milliseconds(0)}), Error);
}

TEST(ValueHash, EqualValuesHashAlike) {
  ValueHash h;
  EXPECT_EQ(h(Value(0.0)), h(Value(-0.0)));
  EXPECT_EQ(h(Value("abc")), h(Value(std::string("abc"))));
  EXPECT_EQ(h(Value(Json{"{}"})), h(Value(Json{"{}"})));
  EXPECT_EQ(h(Value(Array{{Value(1), Value("x")}})), h(Value(Array{{Value(1), Value("x")}})));
  EXPECT_EQ(h(Value(Interval{1, 2, 3})), h(Value(Interval{1, 2, 3})));
}

TEST(ValueHash, DifferentValuesUsuallyDiffer) {
  ValueHash h;
  std::unordered_set<std::size_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(h(Value(i)));
  for (int i = 0; i < 1000; ++i) seen.insert(h(Value(std::to_string(i))));
  seen.insert(h(Value()));
  seen.insert(h(Value(true)));
  seen.insert(h(Value(false)));
  seen.insert(h(Value(Date{1})));
  seen.insert(h(Value(Timestamp{1})));
  seen.insert(h(Value(Uuid{})));
  seen.insert(h(Value(Bytes{"1"})));
  EXPECT_GE(seen.size(), 2005u);
  ValuesHash hv;
  EXPECT_NE(hv({Value(1), Value(2)}), hv({Value(2), Value(1)}));
  EXPECT_NE(hv({Value(1)}), hv({Value(1), Value()}));
}

}  // namespace
}  // namespace weir::lookup
