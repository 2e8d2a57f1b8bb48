// The batcher between the pgoutput decoder and the pipeline: batches per table and shape with
// each change's position, a transaction's end marked, checkpoints that resume exactly (whole
// transactions by their end LSN, a cut one by index), filtered and idle stretches moving the
// position on, values read exactly.
#include "cdc/change_batcher.hpp"

#include <gtest/gtest.h>

#include "unit/cdc/pgoutput_messages.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

namespace pg = test::pgoutput;

constexpr std::int64_t kUnixCommitTime = 1'796'551'200'123'456;

struct Delivered {
  Batch batch;
  std::string checkpoint;
};

class ChangeBatcherTest : public ::testing::Test {
 protected:
  void make(std::size_t max_rows = 100, ChangeFilter filter = {}, std::optional<StreamPosition> resume = {}) {
    batcher_.emplace(std::move(filter), max_rows, resume);
    batcher_->relations().set_type_names({{20, "int8"}, {25, "text"}, {1700, "numeric"}});
    feed(pg::relation(1, "public", "orders", {{"id", 20, true}, {"note", 25}}));
    feed(pg::relation(2, "public", "lines", {{"id", 20, true}, {"qty", 1700}}));
  }
  void feed(const std::string& message) { batcher_->feed(decoder_, decoder_.decode(message)); }
  std::vector<Delivered> take() {
    batcher_->seal();
    std::vector<Delivered> out;
    Delivered d;
    while (batcher_->next(d.batch, d.checkpoint)) out.push_back(std::move(d));
    return out;
  }

  PgOutputDecoder decoder_;
  std::optional<ChangeBatcher> batcher_;
};

TEST_F(ChangeBatcherTest, ATransactionOverTwoTablesComesAsBatchesPerTableWithPositionsAndItsEndMarked) {
  make();
  feed(pg::begin(0x500, 743));
  feed(pg::insert(1, {"1", "a"}));
  feed(pg::insert(2, {"10", "2.50"}));
  feed(pg::insert(1, {"2", std::nullopt}));
  feed(pg::commit(0x500, 0x540));
  std::vector<Delivered> got = take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].batch.schema().source(), (SourceTable{"public", "orders"}));
  EXPECT_EQ(got[1].batch.schema().source(), (SourceTable{"public", "lines"}));
  EXPECT_EQ(got[0].batch.schema_ptr(), got[2].batch.schema_ptr());
  EXPECT_EQ(got[0].checkpoint, R"({"commit_lsn":"0/500","index":0})");
  EXPECT_EQ(got[1].checkpoint, R"({"commit_lsn":"0/500","index":1})");
  EXPECT_EQ(got[2].checkpoint, R"({"commit_lsn":"0/500","index":2,"end_lsn":"0/540"})");
  EXPECT_FALSE(got[0].batch.ends_transaction(0));
  EXPECT_FALSE(got[1].batch.ends_transaction(0));
  EXPECT_TRUE(got[2].batch.ends_transaction(0));
  ASSERT_NE(got[1].batch.position(0), nullptr);
  EXPECT_EQ(*got[1].batch.position(0),
            (ChangePosition{.commit_lsn = 0x500, .txid = 743, .commit_time = kUnixCommitTime, .index = 1}));
  EXPECT_EQ(got[1].batch.at(0, 1), Value(Decimal{"2.50"}));
  EXPECT_EQ(got[2].batch.at(0, 0), Value(std::int64_t{2}));
  EXPECT_TRUE(got[2].batch.at(0, 1).is_null());
  EXPECT_EQ(got[0].batch.schema()[0].native_type, "int8");
  EXPECT_EQ(got[0].batch.schema()[0].native_type_id, 20u);
  EXPECT_TRUE(got[0].batch.schema()[0].primary_key);
  EXPECT_FALSE(got[0].batch.schema()[1].primary_key);
}

TEST_F(ChangeBatcherTest, BeforeImagesUnsentCellsAndTruncates) {
  make();
  feed(pg::begin(0x600, 744));
  feed(pg::update(1, {"8", pg::kUnchanged}, 'K', {"7", std::nullopt}));  // the key changed
  feed(pg::update(1, {"8", "b"}));                                       // it did not
  feed(pg::remove(1, {"8", std::nullopt}));
  feed(pg::truncate({1, 2}));
  feed(pg::commit(0x600, 0x640));
  std::vector<Delivered> got = take();
  ASSERT_EQ(got.size(), 2u);
  const Batch& orders = got[0].batch;
  ASSERT_EQ(orders.rows(), 4u);
  EXPECT_EQ(orders.op(0), ChangeOp::update);
  EXPECT_EQ(orders.before(0)[0], Value(std::int64_t{7}));
  EXPECT_FALSE(orders.sent(0, 1));
  EXPECT_TRUE(orders.sent(0, 0));
  EXPECT_EQ(orders.before(1)[0], Value(std::int64_t{8}));
  EXPECT_TRUE(orders.before(1)[1].is_null());
  EXPECT_EQ(orders.op(2), ChangeOp::remove);
  EXPECT_EQ(orders.before(2)[0], Value(std::int64_t{8}));
  EXPECT_EQ(orders.op(3), ChangeOp::truncate);
  EXPECT_EQ(orders.position(3)->index, 3u);
  EXPECT_EQ(got[1].batch.op(0), ChangeOp::truncate);
  EXPECT_EQ(got[1].batch.position(0)->index, 4u);
  EXPECT_TRUE(got[1].batch.ends_transaction(0));
}

TEST_F(ChangeBatcherTest, ALargeTransactionIsPassedOnInBatchesBeforeItsCommitArrives) {
  make(2);
  feed(pg::begin(0x700, 745));
  for (int i = 1; i <= 5; ++i) feed(pg::insert(1, {std::to_string(i), "x"}));
  std::vector<Delivered> before_commit = take();  // sealing waits for the commit: its end is marked there
  ASSERT_EQ(before_commit.size(), 2u);
  EXPECT_EQ(before_commit[0].checkpoint, R"({"commit_lsn":"0/700","index":1})");
  EXPECT_EQ(before_commit[1].checkpoint, R"({"commit_lsn":"0/700","index":3})");
  feed(pg::commit(0x700, 0x740));
  std::vector<Delivered> rest = take();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].batch.rows(), 1u);
  EXPECT_TRUE(rest[0].batch.ends_transaction(0));
  EXPECT_EQ(rest[0].checkpoint, R"({"commit_lsn":"0/700","index":4,"end_lsn":"0/740"})");
}

TEST_F(ChangeBatcherTest, ResumingSkipsWhatTheCheckpointCovers) {
  make(100, {}, decode_position(R"({"commit_lsn":"0/700","index":1})"));
  feed(pg::begin(0x700, 745));  // sent again whole: its end was never confirmed
  for (int i = 1; i <= 3; ++i) feed(pg::insert(1, {std::to_string(i), "x"}));
  feed(pg::commit(0x700, 0x740));
  std::vector<Delivered> got = take();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].batch.rows(), 1u);
  EXPECT_EQ(got[0].batch.at(0, 0), Value(std::int64_t{3}));
  EXPECT_EQ(got[0].batch.position(0)->index, 2u);

  make(100, {}, decode_position(R"({"commit_lsn":"0/700","index":2,"end_lsn":"0/740"})"));
  feed(pg::begin(0x700, 745));
  feed(pg::insert(1, {"1", "x"}));
  feed(pg::commit(0x700, 0x740));
  feed(pg::begin(0x800, 746));
  feed(pg::insert(1, {"4", "y"}));
  feed(pg::commit(0x800, 0x840));
  got = take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].batch.rows(), 1u);
  EXPECT_EQ(got[0].batch.at(0, 0), Value(std::int64_t{4}));
}

TEST_F(ChangeBatcherTest, FilteredTransactionsAndKeepalivesMoveThePositionOnWithAnEmptyBatch) {
  ChangeFilter filter;
  filter.tables = {{"public", "lines"}};
  filter.operations = {ChangeOp::insert};
  make(100, filter);
  feed(pg::begin(0x900, 747));
  feed(pg::insert(1, {"1", "x"}));          // another table
  feed(pg::update(2, {"5", "1"}));          // another operation
  feed(pg::insert(2, {"6", "1"}));
  feed(pg::commit(0x900, 0x940));
  std::vector<Delivered> got = take();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].batch.rows(), 1u);
  EXPECT_EQ(got[0].batch.position(0)->index, 2u);  // counted over every change, filtered or not

  feed(pg::begin(0xA00, 748));
  feed(pg::insert(1, {"2", "x"}));
  feed(pg::commit(0xA00, 0xA40));
  got = take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].batch.empty());
  EXPECT_EQ(got[0].checkpoint, R"({"commit_lsn":"0/A00","index":0,"end_lsn":"0/A40"})");
  EXPECT_TRUE(take().empty());  // nothing new: no batch

  batcher_->idle_at(0xB00);
  got = take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].checkpoint, R"({"commit_lsn":"0/B00","index":0,"end_lsn":"0/B00"})");

  feed(pg::begin(0xC00, 749));
  batcher_->idle_at(0xB80);  // inside a transaction: its changes are still to come
  EXPECT_TRUE(take().empty());
}

// A keepalive right after a transaction whose rows are still in the batch being filled (no
// pause in between sealed it): the rows go first, then the idle position — `run --once` stops
// at that keepalive and must confirm the WAL's end, not only the transaction's.
TEST_F(ChangeBatcherTest, AKeepaliveRightAfterATransactionStillMovesThePositionToItsWalEnd) {
  make();
  feed(pg::begin(0xA00, 748));
  feed(pg::insert(1, {"1", "a"}));
  feed(pg::commit(0xA00, 0xA40));
  batcher_->idle_at(0xB00);
  std::vector<Delivered> got = take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].batch.rows(), 1u);
  EXPECT_EQ(got[0].checkpoint, R"({"commit_lsn":"0/A00","index":0,"end_lsn":"0/A40"})");
  EXPECT_EQ(got[1].batch.rows(), 0u);
  EXPECT_EQ(got[1].checkpoint, R"({"commit_lsn":"0/B00","index":0,"end_lsn":"0/B00"})");
}

TEST_F(ChangeBatcherTest, ARelationMessageRepeatingTheShapeKeepsTheSchemaAndANewShapeGetsANewOne) {
  make();
  auto schema_of_next_insert = [&](const pg::Tuple& row, std::uint32_t xid) {
    feed(pg::begin(0x100 * xid, xid));
    feed(pg::insert(1, row));
    feed(pg::commit(0x100 * xid, 0x100 * xid + 0x40));
    return take().at(0).batch.schema_ptr();
  };
  auto first = schema_of_next_insert({"1", "a"}, 1);
  feed(pg::relation(1, "public", "orders", {{"id", 20, true}, {"note", 25}}));
  EXPECT_EQ(schema_of_next_insert({"2", "b"}, 2), first);
  feed(pg::relation(1, "public", "orders", {{"id", 20, true}, {"note", 25}, {"extra", 20}}));
  auto widened = schema_of_next_insert({"3", "c", "9"}, 3);
  EXPECT_NE(widened, first);
  EXPECT_EQ(widened->size(), 3u);
}

TEST_F(ChangeBatcherTest, AChangeOfAnUndescribedRelationOrARowOfAnotherWidthIsADataError) {
  make();
  feed(pg::begin(0x100, 1));
  EXPECT_THROW(feed(pg::insert(99, {"1"})), Error);
  try {
    feed(pg::insert(1, {"1"}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pgoutput: a row of public.orders with 1 columns, its Relation message has 2");
  }
}

// What postgres_cdc puts in front of such an error: the table and the change's position and
// transaction, or outside a transaction the message's LSN.
TEST_F(ChangeBatcherTest, WhereNamesTheTableThePositionAndTheTransactionOfTheChangeThatFailed) {
  make();
  EXPECT_EQ(batcher_->where(0x16B3700), "the message at LSN 0/16B3700");
  feed(pg::begin(0x16B3748, 771));
  feed(pg::insert(1, {"1", "a"}));
  EXPECT_EQ(batcher_->where(0), "source position 0/16B3748:1 (transaction 771)") << "the next change's";
  EXPECT_THROW(feed(pg::insert(99, {"1"})), Error);
  EXPECT_EQ(batcher_->where(0), "source position 0/16B3748:1 (transaction 771)");
  EXPECT_THROW(feed(pg::insert(2, {"1"})), Error);
  EXPECT_EQ(batcher_->where(0), "table public.lines, source position 0/16B3748:1 (transaction 771)");
}

TEST(StreamPosition, EncodesAndRefusesWhatIsNoPosition) {
  StreamPosition p{.commit_lsn = 0x16B3748, .index = 3, .end_lsn = 0x16B3780};
  EXPECT_EQ(encode_position(p), R"({"commit_lsn":"0/16B3748","index":3,"end_lsn":"0/16B3780"})");
  EXPECT_EQ(decode_position(encode_position(p)), p);
  EXPECT_EQ(p.resume_lsn(), 0x16B3780u);
  EXPECT_TRUE(p.covers(0x16B3748, 99));
  EXPECT_FALSE(p.covers(0x16B3780, 0));
  StreamPosition cut{.commit_lsn = 0x100, .index = 3, .end_lsn = std::nullopt};
  EXPECT_TRUE(cut.covers(0x100, 3));
  EXPECT_FALSE(cut.covers(0x100, 4));
  EXPECT_TRUE(cut.covers(0xFF, 9));
  try {
    decode_position(R"([["int64","42"]])");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "the saved position `[[\"int64\",\"42\"]]` is not a postgres_cdc position (fields "
                           "missing); run with --reset to start over");
  }
}

}  // namespace
}  // namespace weir::cdc
