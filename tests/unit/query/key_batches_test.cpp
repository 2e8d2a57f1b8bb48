// Batched join keys (src/query/key_batches.hpp): the key a value is kept under is never finer
// than SQLite's equality, and a fetch's rows are kept under the keys asked for.
#include "query/key_batches.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "weir/schema.hpp"

namespace weir::query {
namespace {

TEST(QueryKeyBatches, KeysAreNoFinerThanSqlitesEquality) {
  // 1.50 = 1.5 under the weir_decimal collation; 5 = 5.0 as numbers.
  EXPECT_EQ(key_text(Value(Decimal{"1.50"})), key_text(Value(1.5)));
  EXPECT_EQ(key_text(Value(Decimal{"5.00"})), key_text(Value(5)));
  EXPECT_EQ(key_text(Value(5.0)), key_text(Value(5)));
  EXPECT_EQ(key_text(Value(Decimal{"-0.00"})), key_text(Value(0)));
  EXPECT_EQ(key_text(Value(true)), key_text(Value(1)));
  // Text that reads as a number compares as one against a numeric column.
  EXPECT_EQ(key_text(Value("5")), key_text(Value(5)));
  EXPECT_EQ(key_text(Value(Decimal{"18446744073709551615"})), "18446744073709551615");
  EXPECT_NE(key_text(Value(Decimal{"18446744073709551615"})), key_text(Value(Decimal{"18446744073709551614"})));
  EXPECT_NE(key_text(Value("abc")), key_text(Value("ABC")));
  EXPECT_EQ(key_text(Value("abc ")), "abc ");
}

TEST(QueryKeyBatches, ValuesTakeTheFormSqliteHoldsThemIn) {
  EXPECT_EQ(sqlite_form(Value(7)).kind, RhsKind::integer);
  EXPECT_EQ(sqlite_form(Value(true)).text, "1");
  EXPECT_EQ(sqlite_form(Value(Decimal{"1.50"})).kind, RhsKind::text);
  EXPECT_EQ(sqlite_form(Value(Decimal{"1.50"})).text, "1.50");
  EXPECT_EQ(sqlite_form(Value(2.5)).kind, RhsKind::real);
  EXPECT_EQ(sqlite_form(Value()).kind, RhsKind::null);
}

Batch rows_of(std::vector<std::pair<Value, Value>> rows) {
  Column k, v;
  k.name = "k";
  k.type = Type::text;
  v.name = "v";
  v.type = Type::int64;
  Batch batch(std::make_shared<Schema>(std::vector<Column>{k, v}));
  for (auto& [key, value] : rows) batch.append_row(std::vector<Value>{key, value});
  return batch;
}

TEST(QueryKeyBatches, AFetchIsKeptUnderTheKeysAskedFor) {
  KeyCache cache;
  cache.use_context("");
  std::vector<Batch> fetched;
  // 'ABC' came back for 'abc' (a case-insensitive collation): SQLite keeps it for no key asked.
  fetched.push_back(rows_of({{Value("abc"), Value(1)}, {Value("ABC"), Value(2)}, {Value("abc"), Value(3)},
                             {Value(), Value(4)}, {Value("b"), Value(5)}}));
  cache.store({"abc", "b", "zzz"}, fetched, 0);
  ASSERT_TRUE(cache.find("abc"));
  ASSERT_EQ(cache.find("abc")->rows(), 2u);
  EXPECT_EQ(cache.find("abc")->at(1, 1), Value(3));
  EXPECT_EQ(cache.find("b")->rows(), 1u);
  ASSERT_TRUE(cache.find("zzz")) << "a key with no row is known to have none";
  EXPECT_EQ(cache.find("zzz")->rows(), 0u);
  EXPECT_FALSE(cache.find("ABC"));
  ASSERT_TRUE(cache.last_fetch());
  EXPECT_EQ(cache.last_fetch()->rows(), 3u) << "the rows kept, grouped by key";
  EXPECT_EQ(cache.last_fetch()->at(0, 1), Value(1));
  EXPECT_EQ(cache.last_fetch()->at(1, 1), Value(3));
  EXPECT_EQ(cache.last_fetch()->at(2, 1), Value(5));
  cache.use_context("other values");
  EXPECT_FALSE(cache.find("abc")) << "rows fetched under other terms hold no more";
}

// An outer row's key is looked up by value: an integer without its text, the rest by key_text;
// either way it finds what its text finds, and forgets what its text forgets.
TEST(QueryKeyBatches, AKeyIsFoundByValueAsByItsText) {
  KeyCache cache;
  cache.use_context("");
  std::vector<Batch> fetched{rows_of({{Value("5"), Value(1)},
                                      {Value("-3"), Value(2)},
                                      {Value("1.5"), Value(3)},
                                      {Value("9223372036854775807"), Value(4)},
                                      {Value("abc"), Value(5)}})};
  cache.store({"5", "-3", "1.5", "9223372036854775807", "abc", "0"}, fetched, 0);
  ASSERT_TRUE(cache.find_value(Value(5)));
  EXPECT_EQ(cache.find_value(Value(5))->at(0, 1), Value(1));
  ASSERT_TRUE(cache.find_value(Value(-3)));
  EXPECT_EQ(cache.find_value(Value(-3))->at(0, 1), Value(2));
  ASSERT_TRUE(cache.find_value(Value(INT64_MAX)));
  EXPECT_EQ(cache.find_value(Value(INT64_MAX))->at(0, 1), Value(4));
  ASSERT_TRUE(cache.find_value(Value(0))) << "a key with no row is known to have none";
  EXPECT_EQ(cache.find_value(Value(0))->rows(), 0u);
  EXPECT_FALSE(cache.find_value(Value(7))) << "never asked for";
  ASSERT_TRUE(cache.find_value(Value(Decimal{"1.50"})));
  EXPECT_EQ(cache.find_value(Value(Decimal{"1.50"}))->at(0, 1), Value(3));
  EXPECT_EQ(cache.find_value(Value(Decimal{"5.00"})), cache.find_value(Value(5)));
  EXPECT_EQ(cache.find_value(Value("abc")), cache.find(std::string("abc")));
  cache.use_context("other values");
  EXPECT_FALSE(cache.find_value(Value(5))) << "rows fetched under other terms hold no more";
  EXPECT_FALSE(cache.find_value(Value(-3)));
}

// More rows than a cache keeps: the earlier keys are forgotten by value as by text.
TEST(QueryKeyBatches, AFullCacheForgetsIntegerKeysToo) {
  KeyCache cache;
  cache.use_context("");
  std::vector<Batch> first{rows_of({{Value("1"), Value(1)}})};
  cache.store({"1"}, first, 0);
  ASSERT_TRUE(cache.find_value(Value(1)));
  std::vector<std::pair<Value, Value>> many;
  for (std::size_t i = 0; i < KeyCache::kMaxKeptRows; ++i) many.emplace_back(Value("2"), Value(2));
  std::vector<Batch> second{rows_of(many)};
  cache.store({"2"}, second, 0);
  EXPECT_FALSE(cache.find_value(Value(1)));
  EXPECT_FALSE(cache.find(std::string("1")));
  ASSERT_TRUE(cache.find_value(Value(2)));
  EXPECT_EQ(cache.find_value(Value(2))->rows(), KeyCache::kMaxKeptRows);
}

// Keys asked in the order they were fetched, out of it, again, and across fetches: each finds
// its own rows (the key after the last one found is only checked first).
TEST(QueryKeyBatches, KeysAskedInAnyOrderFindTheirOwnRows) {
  KeyCache cache;
  cache.use_context("");
  std::vector<Batch> first{rows_of({{Value("3"), Value(30)}, {Value("1"), Value(10)}, {Value("2"), Value(20)},
                                    {Value("1"), Value(11)}})};
  cache.store({"1", "2", "3"}, first, 0);
  std::vector<Batch> second{rows_of({{Value("4"), Value(40)}, {Value("-5"), Value(-50)}})};
  cache.store({"4", "-5", "6"}, second, 0);
  auto value_of = [&](std::int64_t key) {
    auto rows = cache.find_value(Value(key));
    if (!rows) return std::string("never fetched");
    std::string out;
    for (std::size_t r = 0; r < rows->rows(); ++r) out += (r ? " " : "") + rows->at(r, 1).to_text();
    return out;
  };
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(value_of(1), "10 11");
    EXPECT_EQ(value_of(2), "20");
    EXPECT_EQ(value_of(3), "30");
    EXPECT_EQ(value_of(4), "40");
    EXPECT_EQ(value_of(-5), "-50");
    EXPECT_EQ(value_of(6), "");
  }
  EXPECT_EQ(value_of(3), "30");
  EXPECT_EQ(value_of(3), "30");
  EXPECT_EQ(value_of(-5), "-50");
  EXPECT_EQ(value_of(7), "never fetched");
  EXPECT_EQ(value_of(2), "20");
  EXPECT_EQ(value_of(6), "");
  EXPECT_EQ(value_of(1), "10 11");
}

TEST(QueryKeyBatches, TheNextFetchAsksForAboutAFetchsWorthOfRows) {
  KeyCache cache;
  EXPECT_EQ(cache.batch_keys(), KeyCache::kFirstKeys);
  std::vector<Batch> one_each{rows_of({{Value("a"), Value(1)}})};
  cache.store({"a"}, one_each, 0);
  EXPECT_EQ(cache.batch_keys(), KeyCache::kMaxKeys);
  std::vector<std::pair<Value, Value>> many;
  for (int i = 0; i < 5000; ++i) many.emplace_back(Value("m"), Value(i));
  std::vector<Batch> fan_out{rows_of(many)};
  cache.store({"m"}, fan_out, 0);
  EXPECT_EQ(cache.batch_keys(), KeyCache::kFetchRows / 5000);
}

}  // namespace
}  // namespace weir::query
