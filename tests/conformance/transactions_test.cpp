// Conformance: begin/commit/rollback, the Transaction guard, savepoints, isolation of
// uncommitted work.
#include <stdexcept>

#include <fmt/format.h>

#include "conformance/conformance_test.hpp"

namespace weir::conformance {
namespace {

class ConformanceTransactions : public ConformanceTest {
 protected:
  std::string make_table() { return create_table("tx", q("id") + " INTEGER NOT NULL PRIMARY KEY"); }
  void add(const std::string& t, int id) { insert(t, {"id"}, {Value(id)}); }
  std::vector<std::int64_t> ids(const std::string& t) {
    std::vector<std::int64_t> out;
    for (const Row& r : rows(fmt::format("SELECT {} FROM {} ORDER BY {}", q("id"), q(t), q("id"))))
      out.push_back(r[0].as_int());
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, ConformanceTransactions, ::testing::ValuesIn(all_contexts()), context_name);

using Ids = std::vector<std::int64_t>;

TEST_P(ConformanceTransactions, CommitPersists) {
  std::string t = make_table();
  EXPECT_FALSE(conn().in_transaction());
  conn().begin();
  EXPECT_TRUE(conn().in_transaction());
  add(t, 1);
  add(t, 2);
  conn().commit();
  EXPECT_FALSE(conn().in_transaction());
  conn().rollback();  // nothing open: no effect on committed work
  EXPECT_EQ(ids(t), (Ids{1, 2}));
}

TEST_P(ConformanceTransactions, RollbackDiscards) {
  std::string t = make_table();
  add(t, 1);
  conn().begin();
  add(t, 2);
  conn().execute(fmt::format("DELETE FROM {} WHERE {} = 1", q(t), q("id")));
  EXPECT_EQ(ids(t), (Ids{2})) << "the transaction sees its own work";
  conn().rollback();
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(ids(t), (Ids{1}));
}

TEST_P(ConformanceTransactions, CommitIsVisibleToAnotherConnection) {
  std::string t = make_table();
  {
    db::Transaction tx(conn());
    add(t, 7);
    tx.commit();
  }
  auto other = ctx().connect();
  EXPECT_EQ(count_rows(*other, t), 1);
}

TEST_P(ConformanceTransactions, UncommittedWorkIsInvisibleToAnotherConnection) {
  std::string t = make_table();
  auto other = ctx().connect();
  conn().begin();
  add(t, 1);
  EXPECT_EQ(count_rows(*other, t), 0);
  conn().commit();
  EXPECT_EQ(count_rows(*other, t), 1);
}

TEST_P(ConformanceTransactions, TransactionGuardCommits) {
  std::string t = make_table();
  {
    db::Transaction tx(conn());
    EXPECT_TRUE(conn().in_transaction());
    add(t, 1);
    tx.commit();
    EXPECT_FALSE(conn().in_transaction());
  }
  EXPECT_EQ(ids(t), (Ids{1}));
}

TEST_P(ConformanceTransactions, TransactionGuardRollsBackOnException) {
  std::string t = make_table();
  add(t, 1);
  EXPECT_THROW(
      {
        db::Transaction tx(conn());
        add(t, 2);
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(ids(t), (Ids{1}));
}

TEST_P(ConformanceTransactions, TransactionGuardRollsBackOnAFailedStatement) {
  std::string t = make_table();
  auto e = error_from([&] {
    db::Transaction tx(conn());
    add(t, 1);
    add(t, 1);  // duplicate key
    tx.commit();
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::unique) << e->what();
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(count_rows(t), 0);
  add(t, 1);  // the connection is usable afterwards
  EXPECT_EQ(count_rows(t), 1);
}

TEST_P(ConformanceTransactions, RollbackToSavepointKeepsEarlierWork) {
  std::string t = make_table();
  conn().begin();
  add(t, 1);
  conn().savepoint("sp one");
  add(t, 2);
  add(t, 3);
  conn().rollback_to_savepoint("sp one");
  EXPECT_TRUE(conn().in_transaction());
  add(t, 4);
  conn().commit();
  EXPECT_EQ(ids(t), (Ids{1, 4}));
}

TEST_P(ConformanceTransactions, ReleasedSavepointKeepsItsWork) {
  std::string t = make_table();
  conn().begin();
  add(t, 1);
  conn().savepoint("a");
  add(t, 2);
  conn().release_savepoint("a");
  EXPECT_TRUE(conn().in_transaction());
  conn().commit();
  EXPECT_EQ(ids(t), (Ids{1, 2}));
}

TEST_P(ConformanceTransactions, NestedSavepoints) {
  std::string t = make_table();
  conn().begin();
  add(t, 1);
  conn().savepoint("outer");
  add(t, 2);
  conn().savepoint("inner");
  add(t, 3);
  conn().rollback_to_savepoint("inner");
  conn().release_savepoint("outer");
  conn().commit();
  EXPECT_EQ(ids(t), (Ids{1, 2}));
}

TEST_P(ConformanceTransactions, SavepointRecoversFromAFailedStatement) {
  // The portable way to go on after an error inside a transaction (PostgreSQL aborts the
  // whole transaction otherwise).
  std::string t = make_table();
  conn().begin();
  add(t, 1);
  conn().savepoint("before_dup");
  auto e = error_from([&] { add(t, 1); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::unique) << e->what();
  conn().rollback_to_savepoint("before_dup");
  add(t, 2);
  conn().commit();
  EXPECT_EQ(ids(t), (Ids{1, 2}));
}

TEST_P(ConformanceTransactions, BulkWriterJoinsTheCallersTransaction) {
  std::string t = make_table();
  Rows data;
  for (int i = 0; i < 100; ++i) data.push_back({Value(i)});
  conn().begin();
  EXPECT_EQ(bulk(db::WriteMode::insert, t, {"id"}, data), 100u);
  EXPECT_TRUE(conn().in_transaction()) << "the writer neither commits nor ends the caller's transaction";
  conn().rollback();
  EXPECT_EQ(count_rows(t), 0);

  conn().begin();
  bulk(db::WriteMode::insert, t, {"id"}, data);
  conn().commit();
  EXPECT_EQ(count_rows(t), 100);
}

}  // namespace
}  // namespace weir::conformance
