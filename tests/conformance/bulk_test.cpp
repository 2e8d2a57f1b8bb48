// Conformance: the bulk writer's four modes, composite keys, awkward identifiers.
#include <fmt/format.h>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

using db::WriteMode;

class ConformanceBulk : public ConformanceTest {
 protected:
  // id INTEGER PK, name VARCHAR(50), qty INTEGER; rows 1..n named "n<i>" with qty i.
  std::string make_items(int n) {
    std::string t = create_table("items", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") +
                                              " VARCHAR(50), " + q("qty") + " INTEGER");
    Rows data;
    for (int i = 1; i <= n; ++i) data.push_back({Value(i), Value(fmt::format("n{}", i)), Value(i)});
    if (n) {
      EXPECT_EQ(bulk(WriteMode::insert, t, {"id", "name", "qty"}, data), static_cast<std::uint64_t>(n));
    }
    return t;
  }
  Rows items(const std::string& t) {
    return rows(fmt::format("SELECT {}, {}, {} FROM {} ORDER BY {}", q("id"), q("name"), q("qty"), q(t), q("id")));
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceBulk, ::testing::ValuesIn(all_contexts()), context_name);

TEST_P(ConformanceBulk, InsertManyRowsAcrossBatches) {
  std::string t = make_items(0);
  db::Transaction tx(conn());  // the writer does not open one: without it every row commits
  auto writer = conn().bulk_writer({db::TableRef{"", t}, {"id", "name", "qty"}, WriteMode::insert, {}});
  std::vector<std::string> cols{"id", "name", "qty"};
  int next = 0;
  for (int size : {1000, 777, 0, 2223, 1000}) {
    Rows data;
    for (int i = 0; i < size; ++i, ++next) data.push_back({Value(next), Value(fmt::format("n{}", next)), Value(next % 7)});
    writer->write(make_batch(cols, data));
  }
  EXPECT_EQ(writer->finish(), (db::WriteCounts{.inserted = 5000}));
  writer.reset();
  tx.commit();
  EXPECT_EQ(count_rows(t), 5000);
  EXPECT_EQ(scalar(fmt::format("SELECT SUM({}) FROM {}", q("id"), q(t))).to_text(), "12497500");
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 4321", q("name"), q(t), q("id"))), Value("n4321"));
}

// What sql_write's bisect relies on: a batch that fails inside a transaction is undone by
// ROLLBACK TO SAVEPOINT, and the same connection and writer take the next batches.
TEST_P(ConformanceBulk, WriterIsReusableAfterAFailedBatch) {
  std::string t = create_table("reuse", q("id") + " INTEGER NOT NULL PRIMARY KEY, " + q("name") +
                                            " VARCHAR(50) NOT NULL, " + q("qty") + " INTEGER");
  std::vector<std::string> cols{"id", "name", "qty"};
  db::Transaction tx(conn());
  auto writer = conn().bulk_writer({db::TableRef{"", t}, cols, WriteMode::insert, {}});
  writer->write(make_batch(cols, {{Value(1), Value("a"), Value(1)}}));
  Rows big;  // large enough to be sent in pieces before the failing last row
  for (int i = 10; i < 20'010; ++i) big.push_back({Value(i), Value(fmt::format("name {}", i)), Value(i)});
  Rows duplicate = big, no_name = big;
  duplicate.push_back({Value(1), Value("dup"), Value(0)});
  no_name.push_back({Value(3), Value(), Value(0)});
  struct Failure {
    const Rows* rows;
    ErrorKind kind;
  };
  for (const Failure& failure : {Failure{&duplicate, ErrorKind::unique}, Failure{&no_name, ErrorKind::not_null}}) {
    conn().savepoint("batch");
    auto e = error_from([&] { writer->write(make_batch(cols, *failure.rows)); });
    ASSERT_TRUE(e) << "expected a " << to_string(failure.kind) << " error";
    EXPECT_EQ(e->kind(), failure.kind) << e->what();
    conn().rollback_to_savepoint("batch");
    EXPECT_EQ(count_rows(t), 1) << "the failed batch left nothing behind";
  }
  writer->write(make_batch(cols, {{Value(2), Value("b"), Value(2)}}));
  writer->write(make_batch(cols, big));
  writer.reset();
  tx.commit();
  EXPECT_EQ(count_rows(t), 20'002);
  EXPECT_EQ(scalar(fmt::format("SELECT {} FROM {} WHERE {} = 2", q("name"), q(t), q("id"))), Value("b"));
}

TEST_P(ConformanceBulk, EmptyBatchWritesNothing) {
  std::string t = make_items(0);
  EXPECT_EQ(bulk(WriteMode::insert, t, {"id", "name", "qty"}, {}), 0u);
  EXPECT_EQ(count_rows(t), 0);
}

TEST_P(ConformanceBulk, CellsBindByPositionNotByBatchColumnName) {
  std::string t = make_items(0);
  auto writer = conn().bulk_writer({db::TableRef{"", t}, {"id", "name", "qty"}, WriteMode::insert, {}});
  writer->write(make_batch({"qty", "id", "whatever"}, {{Value(1), Value("one"), Value(10)}}));
  writer->finish();
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("one"), Value(10)}}));
}

TEST_P(ConformanceBulk, UpsertUpdatesExistingRowsAndInsertsNewOnes) {
  std::string t = make_items(3);
  std::uint64_t n = bulk(WriteMode::upsert, t, {"id", "name", "qty"},
                         {{Value(2), Value("two"), Value(20)}, {Value(4), Value("four"), Value(40)}}, {"id"});
  EXPECT_EQ(n, 2u) << "each row upserted counts once";
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("n1"), Value(1)},
                            {Value(2), Value("two"), Value(20)},
                            {Value(3), Value("n3"), Value(3)},
                            {Value(4), Value("four"), Value(40)}}));
}

TEST_P(ConformanceBulk, SecondUpsertOfTheSameRowsKeepsTheRowCount) {
  std::string t = make_items(0);
  Rows first{{Value(1), Value("a"), Value(1)}, {Value(2), Value("b"), Value(2)}};
  EXPECT_EQ(bulk(WriteMode::upsert, t, {"id", "name", "qty"}, first, {"id"}), 2u);
  Rows second{{Value(1), Value("A"), Value(10)}, {Value(2), Value("B"), Value(20)}};
  EXPECT_EQ(bulk(WriteMode::upsert, t, {"id", "name", "qty"}, second, {"id"}), 2u);
  EXPECT_EQ(bulk(WriteMode::upsert, t, {"id", "name", "qty"}, second, {"id"}), 2u)
      << "rows upserted to the values they already hold count too";
  EXPECT_EQ(count_rows(t), 2);
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("A"), Value(10)}, {Value(2), Value("B"), Value(20)}}));
}

TEST_P(ConformanceBulk, UpsertOfOnlyKeyColumnsSkipsExistingRows) {
  std::string t = create_table("keys", q("id") + " INTEGER NOT NULL PRIMARY KEY");
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, {"id"}, {{Value(1)}, {Value(2)}}, {"id"}), (db::WriteCounts{.inserted = 2}));
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, {"id"}, {{Value(2)}, {Value(3)}}, {"id"}),
            (db::WriteCounts{.inserted = 1, .unchanged = 1}))
      << "only id 3 was new";
  // One row at a time too (a one-row statement, where the server reports less).
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, {"id"}, {{Value(3)}}, {"id"}), (db::WriteCounts{.unchanged = 1}))
      << "id 3 exists";
  EXPECT_EQ(bulk_counts(WriteMode::upsert, t, {"id"}, {{Value(4)}}, {"id"}), (db::WriteCounts{.inserted = 1}))
      << "id 4 is new";
  EXPECT_EQ(count_rows(t), 4);
}

TEST_P(ConformanceBulk, UpdateByKey) {
  std::string t = make_items(5);
  EXPECT_EQ(bulk(WriteMode::update, t, {"id", "name", "qty"},
                 {{Value(2), Value("two"), Value(20)}, {Value(4), Value("four"), Value(40)}}, {"id"}),
            2u);
  EXPECT_EQ(bulk(WriteMode::update, t, {"id", "name", "qty"}, {{Value(99), Value("x"), Value(0)}}, {"id"}), 0u)
      << "updating a missing key changes nothing";
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("n1"), Value(1)},
                            {Value(2), Value("two"), Value(20)},
                            {Value(3), Value("n3"), Value(3)},
                            {Value(4), Value("four"), Value(40)},
                            {Value(5), Value("n5"), Value(5)}}));
}

TEST_P(ConformanceBulk, UpdateOfSomeColumnsLeavesTheOthers) {
  std::string t = make_items(2);
  // The key need not come first among the columns.
  EXPECT_EQ(bulk(WriteMode::update, t, {"qty", "id"}, {{Value(100), Value(1)}}, {"id"}), 1u);
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("n1"), Value(100)}, {Value(2), Value("n2"), Value(2)}}));
}

TEST_P(ConformanceBulk, DeleteByKey) {
  std::string t = make_items(5);
  EXPECT_EQ(bulk(WriteMode::remove, t, {"id"}, {{Value(2)}, {Value(4)}, {Value(42)}}, {"id"}), 2u);
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("n1"), Value(1)},
                            {Value(3), Value("n3"), Value(3)},
                            {Value(5), Value("n5"), Value(5)}}));
}

// Rows written one statement each in order leave a key with its last row; a path that writes
// the batch in one statement must do the same.
TEST_P(ConformanceBulk, AKeyTwiceInOneBatchEndsWithItsLastRow) {
  std::string t = make_items(2);
  const std::vector<std::string> cols{"id", "name", "qty"};
  bulk(WriteMode::upsert, t, cols,
       {{Value(2), Value("first"), Value(20)}, {Value(3), Value("new"), Value(30)}, {Value(2), Value("last"), Value(21)},
        {Value(3), Value("newer"), Value(31)}},
       {"id"});
  bulk(WriteMode::update, t, cols, {{Value(1), Value("first"), Value(10)}, {Value(1), Value("last"), Value(11)}}, {"id"});
  EXPECT_EQ(items(t), (Rows{{Value(1), Value("last"), Value(11)},
                            {Value(2), Value("last"), Value(21)},
                            {Value(3), Value("newer"), Value(31)}}));
  bulk(WriteMode::remove, t, {"id"}, {{Value(3)}, {Value(3)}}, {"id"});
  EXPECT_EQ(count_rows(t), 2);
}

TEST_P(ConformanceBulk, CompositeKeyInEveryMode) {
  std::string t = create_table("comp", q("region") + " VARCHAR(10) NOT NULL, " + q("id") + " INTEGER NOT NULL, " +
                                           q("qty") + " INTEGER, PRIMARY KEY (" + q("region") + ", " + q("id") + ")");
  std::vector<std::string> cols{"region", "id", "qty"};
  EXPECT_EQ(bulk(WriteMode::insert, t, cols,
                 {{Value("eu"), Value(1), Value(1)}, {Value("us"), Value(1), Value(2)}, {Value("eu"), Value(2), Value(3)}}),
            3u);
  bulk(WriteMode::upsert, t, cols, {{Value("eu"), Value(1), Value(10)}, {Value("us"), Value(2), Value(20)}},
       {"region", "id"});
  // A key given in another order than the columns.
  EXPECT_EQ(bulk(WriteMode::update, t, cols, {{Value("eu"), Value(2), Value(30)}}, {"id", "region"}), 1u);
  EXPECT_EQ(bulk(WriteMode::remove, t, {"id", "region"}, {{Value(1), Value("us")}}, {"region", "id"}), 1u);
  Rows r = rows(fmt::format("SELECT {}, {}, {} FROM {} ORDER BY {}, {}", q("region"), q("id"), q("qty"), q(t),
                            q("region"), q("id")));
  EXPECT_EQ(r, (Rows{{Value("eu"), Value(1), Value(10)}, {Value("eu"), Value(2), Value(30)}, {Value("us"), Value(2), Value(20)}}));
}

TEST_P(ConformanceBulk, AwkwardIdentifiersAreQuoted) {
  // Mixed case, a space, a double quote, a reserved word; the table name has all of them.
  const std::string order = "order", price = "Unit Price", say = "Say \"hi\"", mixed = "MixedCase";
  std::string t = "Order \"Items\" " + ctx().unique_table_name("x").substr(7);
  create_table_named(t, fmt::format("{} INTEGER NOT NULL PRIMARY KEY, {} INTEGER, {} VARCHAR(20), {} VARCHAR(20)",
                                    q(order), q(price), q(say), q(mixed)));
  std::vector<std::string> cols{order, price, say, mixed};
  EXPECT_EQ(bulk(WriteMode::insert, t, cols,
                 {{Value(1), Value(10), Value("a"), Value("A")}, {Value(2), Value(20), Value("b"), Value("B")}}),
            2u);
  bulk(WriteMode::upsert, t, cols, {{Value(2), Value(21), Value("b2"), Value("B2")}, {Value(3), Value(30), Value("c"), Value("C")}},
       {order});
  EXPECT_EQ(bulk(WriteMode::update, t, {order, say}, {{Value(1), Value("a1")}}, {order}), 1u);
  EXPECT_EQ(bulk(WriteMode::remove, t, {order}, {{Value(3)}}, {order}), 1u);

  auto cursor = conn().query(fmt::format("SELECT {}, {}, {}, {} FROM {} ORDER BY {}", q(order), q(price), q(say),
                                         q(mixed), q(t), q(order)));
  std::vector<std::string> names;
  for (const Column& c : *cursor->schema()) names.push_back(c.name);
  EXPECT_EQ(names, cols) << "result columns keep their exact names";
  Rows got;
  Batch batch;
  while (cursor->next(batch, 10))
    for (std::size_t r = 0; r < batch.rows(); ++r) got.emplace_back(batch.row(r).begin(), batch.row(r).end());
  EXPECT_EQ(got, (Rows{{Value(1), Value(10), Value("a1"), Value("A")}, {Value(2), Value(21), Value("b2"), Value("B2")}}));

  bool listed = false;
  for (const auto& ref : conn().list_tables()) listed = listed || ref.name == t;
  EXPECT_TRUE(listed) << "list_tables() has `" << t << "`";
}

TEST_P(ConformanceBulk, ModesWithoutAUsableKeyAreConfigErrors) {
  std::string t = make_items(0);
  db::TableRef ref{"", t};
  for (WriteMode mode : {WriteMode::upsert, WriteMode::update, WriteMode::remove}) {
    auto no_key = error_from([&] { conn().bulk_writer({ref, {"id", "name"}, mode, {}}); });
    ASSERT_TRUE(no_key) << "mode " << static_cast<int>(mode) << " without a key";
    EXPECT_EQ(no_key->kind(), ErrorKind::config) << no_key->what();
    auto foreign_key = error_from([&] { conn().bulk_writer({ref, {"name", "qty"}, mode, {"id"}}); });
    ASSERT_TRUE(foreign_key) << "mode " << static_cast<int>(mode) << " with a key not among the columns";
    EXPECT_EQ(foreign_key->kind(), ErrorKind::config) << foreign_key->what();
    EXPECT_TRUE(contains(foreign_key->what(), "id")) << foreign_key->what();
  }
  auto only_key = error_from([&] { conn().bulk_writer({ref, {"id"}, WriteMode::update, {"id"}}); });
  ASSERT_TRUE(only_key) << "an update that sets nothing";
  EXPECT_EQ(only_key->kind(), ErrorKind::config) << only_key->what();
  EXPECT_EQ(count_rows(t), 0);
}

}  // namespace
}  // namespace weir::conformance
