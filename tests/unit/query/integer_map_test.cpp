// IntegerMap (src/query/integer_map.hpp): every key kept is found with its value, whatever the
// keys' pattern (runs, strides of a power of two, negatives, the extremes), through growth.
#include "query/integer_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace weir::query {
namespace {

std::vector<std::int64_t> keys_of_every_pattern() {
  std::vector<std::int64_t> keys;
  for (std::int64_t k = 0; k < 3000; ++k) keys.push_back(k);                 // a run
  for (std::int64_t k = 1; k <= 3000; ++k) keys.push_back(k * 4096);         // a power-of-two stride
  for (std::int64_t k = 1; k <= 1000; ++k) keys.push_back(-k * (1LL << 32));  // negative, high bits only
  keys.push_back(std::numeric_limits<std::int64_t>::min());
  keys.push_back(std::numeric_limits<std::int64_t>::max());
  return keys;
}

TEST(QueryIntegerMap, FindsEveryKeyKeptAndNoOther) {
  IntegerMap<std::uint32_t> map;
  EXPECT_EQ(map.find(0), nullptr) << "empty";
  std::vector<std::int64_t> keys = keys_of_every_pattern();
  for (std::size_t i = 0; i < keys.size(); ++i) map.insert_or_assign(keys[i], static_cast<std::uint32_t>(i));
  EXPECT_EQ(map.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint32_t* found = map.find(keys[i]);
    ASSERT_NE(found, nullptr) << keys[i];
    EXPECT_EQ(*found, i) << keys[i];
  }
  EXPECT_EQ(map.find(-1), nullptr);
  EXPECT_EQ(map.find(4097), nullptr);
  EXPECT_EQ(map.find(std::numeric_limits<std::int64_t>::min() + 1), nullptr);
}

TEST(QueryIntegerMap, AKeyKeptAgainTakesTheNewValueAndClearForgetsAll) {
  IntegerMap<std::uint32_t> map;
  map.insert_or_assign(7, 1);
  map.insert_or_assign(7, 2);
  EXPECT_EQ(map.size(), 1u);
  ASSERT_NE(map.find(7), nullptr);
  EXPECT_EQ(*map.find(7), 2u);
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find(7), nullptr);
  map.insert_or_assign(7, 3);
  ASSERT_NE(map.find(7), nullptr);
  EXPECT_EQ(*map.find(7), 3u);
}

}  // namespace
}  // namespace weir::query
