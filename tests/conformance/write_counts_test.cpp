// Conformance: what a bulk writer says it did. Every row given counts exactly once — inserted,
// updated, deleted, unchanged or not found — on every path of every driver: pipelined
// statements and the staged merge on PostgreSQL (contexts postgres, postgres_merge_copy, and
// batches of 1,000 rows or more), multi-row statements and LOAD DATA on MySQL/MariaDB, single
// and multi-row statements on SQLite (whose upserts count their conflicts).
#include <fmt/format.h>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

using db::WriteCounts;
using db::WriteMode;

class ConformanceWriteCounts : public ConformanceTest {
 protected:
  const std::vector<std::string> cols_{"id", "name", "qty"};

  // id INTEGER PK, name VARCHAR(50), qty INTEGER; rows 1..n named "n<i>" with qty i.
  std::string make_items(int n) {
    std::string t = create_table("counts", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") +
                                               " VARCHAR(50), " + q("qty") + " INTEGER");
    if (n) {
      EXPECT_EQ(bulk_counts(WriteMode::insert, t, cols_, items(1, n)), (WriteCounts{.inserted = std::uint64_t(n)}));
    }
    return t;
  }
  static Rows items(int first, int last, std::string_view name = "n") {
    Rows data;
    for (int i = first; i <= last; ++i) data.push_back({Value(i), Value(fmt::format("{}{}", name, i)), Value(i)});
    return data;
  }
  // What an upsert that inserted and updated these many rows reports.
  static WriteCounts upserted(std::uint64_t inserted, std::uint64_t updated) {
    return {.inserted = inserted, .updated = updated};
  }
  // What rows set to the values they already hold count as: unchanged for an upsert, which
  // leaves them alone; for an update, updated, or unchanged where the database tells.
  WriteCounts same_values(std::uint64_t rows, bool upsert) const {
    if (upsert || ctx().caps.tells_unchanged_rows) return {.unchanged = rows};
    return {.updated = rows};
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceWriteCounts, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceWriteCounts, InsertCountsInsertedRows) {
  std::string t = make_items(0);
  EXPECT_EQ(bulk_counts(WriteMode::insert, t, cols_, items(1, 3)), (WriteCounts{.inserted = 3}));
  // Large enough for COPY and LOAD DATA.
  EXPECT_EQ(bulk_counts(WriteMode::insert, t, cols_, items(4, 2003)), (WriteCounts{.inserted = 2000}));
  EXPECT_EQ(count_rows(t), 2003);
}

TEST_P(ConformanceWriteCounts, UpsertSplitsInsertedFromUpdated) {
  std::string t = make_items(3);
  Rows data{{Value(2), Value("two"), Value(20)}, {Value(4), Value("four"), Value(40)}, {Value(5), Value("five"), Value(50)}};
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, data, {"id"}), upserted(2, 1));
  EXPECT_EQ(count_rows(t), 5);
}

TEST_P(ConformanceWriteCounts, UpsertOfALargeBatchSplitsInsertedFromUpdated) {
  std::string t = make_items(1000);  // 1,000 updated, 1,500 inserted: staged, multi-row statements
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, items(1, 2500, "v"), {"id"}), upserted(1500, 1000));
  EXPECT_EQ(count_rows(t), 2500);
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 7", q("name"), q(t), q("id"))), Value("v7"));
}

TEST_P(ConformanceWriteCounts, UpsertOfTheValuesAlreadyThereCountsThemUnchangedWhereTold) {
  std::string t = make_items(3);
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, items(2, 3), {"id"}), same_values(2, true));
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, items(3, 3), {"id"}), same_values(1, true)) << "one row";
  // Two rows, one changed: the split holds within one multi-row statement too.
  Rows mixed{{Value(1), Value("n1"), Value(1)}, {Value(2), Value("other"), Value(2)}, {Value(9), Value("n9"), Value(9)}};
  WriteCounts want = upserted(1, 1);
  want.unchanged = 1;
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, mixed, {"id"}), want);
}

// A key repeated in a batch: its first row inserts (when new), every later row updates, on
// every path (the staged merge writes only the last row of each key).
TEST_P(ConformanceWriteCounts, UpsertOfAKeyTwiceCountsTheLaterRowUpdated) {
  std::string t = make_items(2);
  Rows data{{Value(2), Value("a"), Value(20)}, {Value(7), Value("b"), Value(70)}, {Value(2), Value("c"), Value(21)},
            {Value(7), Value("d"), Value(71)}};
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, data, {"id"}), upserted(1, 3));
  EXPECT_EQ(count_rows(t), 3);
}

// A key of two columns, one of them text: the pairs already there are updated (or left as
// they were), the new ones inserted.
TEST_P(ConformanceWriteCounts, UpsertOnACompositeKeySplitsInsertedFromUpdated) {
  std::string t = create_table("pairs", fmt::format("{0} VARCHAR(10) NOT NULL, {1} INTEGER NOT NULL, {2} VARCHAR(50), "
                                                    "PRIMARY KEY ({0}, {1})",
                                                    q("region"), q("id"), q("name")));
  const std::vector<std::string> cols{"region", "id", "name"};
  Rows first{{Value("north"), Value(1), Value("a")}, {Value("north"), Value(2), Value("b")},
             {Value("south"), Value(1), Value("c")}};
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols, first, {"region", "id"}), upserted(3, 0));
  Rows second{{Value("north"), Value(1), Value("a")}, {Value("north"), Value(2), Value("B")},
              {Value("south"), Value(2), Value("d")}, {Value("west"), Value(1), Value("e")}};
  WriteCounts want = upserted(2, 1);
  want.unchanged = 1;
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols, second, {"region", "id"}), want);
  EXPECT_EQ(count_rows(t), 5);
}

// Large enough for PostgreSQL's stage: the rows whose values are there already are left alone.
TEST_P(ConformanceWriteCounts, UpsertOfALargeBatchLeavesUnchangedRowsAlone) {
  std::string t = make_items(2000);
  Rows data = items(1, 2500);
  for (int i = 0; i < 10; ++i) data[static_cast<std::size_t>(i * 100)][1] = Value("changed");
  WriteCounts want = upserted(500, 10);
  want.unchanged = 1990;
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, cols_, data, {"id"}), want);
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {} WHERE {} = 'changed'", q(t), q("name"))), Value(10));
}

TEST_P(ConformanceWriteCounts, InsertOrIgnoreCountsRowsAlreadyThereUnchanged) {
  std::string t = make_items(1000);
  EXPECT_EQ(bulk_counts(WriteMode::insert_or_ignore, t, cols_, items(991, 1010, "v"), {"id"}),
            (WriteCounts{.inserted = 10, .unchanged = 10}));
  EXPECT_EQ(bulk_counts(WriteMode::insert_or_ignore, t, cols_, items(1, 1500, "v"), {"id"}),
            (WriteCounts{.inserted = 490, .unchanged = 1010}));
  EXPECT_EQ(count_rows(t), 1500);
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 7", q("name"), q(t), q("id"))), Value("n7"));
}

TEST_P(ConformanceWriteCounts, UpdateCountsKeysNotFound) {
  std::string t = make_items(5);
  Rows data{{Value(2), Value("two"), Value(20)}, {Value(99), Value("x"), Value(0)}, {Value(4), Value("four"), Value(40)}};
  EXPECT_EQ(bulk_counts(WriteMode::update, t, cols_, data, {"id"}), (WriteCounts{.updated = 2, .not_found = 1}));
  EXPECT_EQ(bulk_counts(WriteMode::update, t, cols_, {{Value(98), Value("x"), Value(0)}}, {"id"}),
            (WriteCounts{.not_found = 1}));
  EXPECT_EQ(bulk_counts(WriteMode::update, t, cols_, items(5, 5), {"id"}), same_values(1, false))
      << "a row that already holds the values was found";
}

TEST_P(ConformanceWriteCounts, UpdateOfALargeBatchCountsKeysNotFound) {
  std::string t = make_items(1500);  // keys 1001..2000 updated, 1501..2000 not there
  EXPECT_EQ(bulk_counts(WriteMode::update, t, cols_, items(1001, 2000, "v"), {"id"}),
            (WriteCounts{.updated = 500, .not_found = 500}));
}

TEST_P(ConformanceWriteCounts, UpdateOfAKeyTwiceCountsBothRows) {
  std::string t = make_items(2);
  Rows data{{Value(1), Value("first"), Value(10)}, {Value(1), Value("last"), Value(11)}, {Value(5), Value("x"), Value(0)}};
  EXPECT_EQ(bulk_counts(WriteMode::update, t, cols_, data, {"id"}), (WriteCounts{.updated = 2, .not_found = 1}));
}

TEST_P(ConformanceWriteCounts, DeleteCountsKeysNotFound) {
  std::string t = make_items(5);
  EXPECT_EQ(bulk_counts(WriteMode::remove, t, {"id"}, {{Value(2)}, {Value(42)}, {Value(4)}}, {"id"}),
            (WriteCounts{.deleted = 2, .not_found = 1}));
  // The second row of a key finds nothing left to delete.
  EXPECT_EQ(bulk_counts(WriteMode::remove, t, {"id"}, {{Value(3)}, {Value(3)}}, {"id"}),
            (WriteCounts{.deleted = 1, .not_found = 1}));
  EXPECT_EQ(count_rows(t), 2);
}

TEST_P(ConformanceWriteCounts, DeleteOfALargeBatchCountsKeysNotFound) {
  std::string t = make_items(1200);
  Rows keys;
  for (int i = 1; i <= 1201; ++i) keys.push_back({Value(i)});  // 1,201 sent, 1,200 there
  EXPECT_EQ(bulk_counts(WriteMode::remove, t, {"id"}, keys, {"id"}), (WriteCounts{.deleted = 1200, .not_found = 1}));
  EXPECT_EQ(count_rows(t), 0);
}

}  // namespace
}  // namespace weir::conformance
