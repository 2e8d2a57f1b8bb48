// The SQLite bulk writer's hot path (src/db/sqlite/bulk_writer.cpp, batch_table.cpp): what a
// row costs beyond SQLite's own work. The unit binary counts weir's allocations
// (allocation_counter.hpp); SQLite's own go through malloc and are not counted.
#include <gtest/gtest.h>

#include <string>

#include "unit/allocation_counter.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/temporal.hpp"

namespace weir::db {
namespace {

constexpr int kRows = 1000;

// Before: each timestamp, timestamptz and uuid cell was formatted into a new string for SQLite
// to copy, three allocations per row of this table on the writer's thread of every copy.
TEST(SqliteBulkWriter, WritesTemporalAndUuidCellsWithoutAllocatingPerRow) {
  auto c = connect(ConnectionConfig{.name = "test", .url = Url::parse("sqlite::memory:"), .init_script = {}});
  c->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at TIMESTAMP, at_tz TIMESTAMPTZ, day DATE, tm TIME, u UUID)");
  WriteSpec spec{.table = TableRef{"", "t"},
                 .columns = {"id", "at", "at_tz", "day", "tm", "u"},
                 .mode = WriteMode::insert,
                 .key = {}};
  auto writer = c->bulk_writer(spec);
  Batch batch(test::schema_of({{"id", Type::int64},
                               {"at", Type::timestamp},
                               {"at_tz", Type::timestamptz},
                               {"day", Type::date},
                               {"tm", Type::time},
                               {"u", Type::uuid}}));
  const Uuid uuid = *parse_uuid("550e8400-e29b-41d4-a716-446655440000");
  const std::int64_t noon = std::int64_t{days_from_civil(2024, 5, 1)} * 86'400'000'000 + 12LL * 3'600'000'000;
  auto fill = [&](int first) {
    batch.clear();
    for (int r = first; r < first + kRows; ++r) {
      auto row = batch.append_row();
      row[0] = Value(r);
      row[1] = Value(Timestamp{noon + r * 1'000'001LL});
      row[2] = Value(TimestampTz{noon + r * 1'000'001LL});
      row[3] = Value(Date{days_from_civil(2024, 5, 1) + r});
      row[4] = Value(Time{r * 1'000'001LL});
      row[5] = Value(uuid);
    }
  };
  Transaction tx(*c);
  fill(0);
  writer->write(batch);  // the first batch prepares what every later one reuses
  fill(kRows);
  if (!test::allocations_counted()) GTEST_SKIP() << "ThreadSanitizer keeps operator new: allocations are not counted";
  const long before = test::allocations();
  EXPECT_EQ(writer->write(batch).inserted, std::uint64_t{kRows});
  const long made = test::allocations() - before;
  tx.commit();
  EXPECT_LT(made, 10) << "allocations for " << kRows << " rows";
  EXPECT_EQ(test::scalar(*c, "SELECT at || '|' || at_tz || '|' || day || '|' || tm || '|' || u FROM t WHERE id = 1500"),
            "2024-05-01 12:25:00.0015|2024-05-01 12:25:00.0015+00:00|2028-06-09|00:25:00.0015|"
            "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_EQ(test::scalar(*c, "SELECT count(*) FROM t"), std::to_string(2 * kRows));
}

}  // namespace
}  // namespace weir::db
