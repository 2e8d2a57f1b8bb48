// Batched join keys (src/query/key_batches.hpp): the key a value is kept under is never finer
// than SQLite's equality, and a fetch's rows are kept under the keys asked for.
#include "query/key_batches.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(cache.last_fetch().size(), 3u);
  cache.use_context("other values");
  EXPECT_FALSE(cache.find("abc")) << "rows fetched under other terms hold no more";
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
