// Batches of changes (weir/change.hpp): what each row is, before images, cells the source
// did not send, transaction ends, and what a plain batch pays for all of it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "unit/allocation_counter.hpp"
#include "weir/batch.hpp"
#include "weir/schema.hpp"

namespace weir {
namespace {

std::shared_ptr<const Schema> customers(SourceTable source = {"public", "customers"}) {
  std::vector<Column> columns(3);
  columns[0].name = "id", columns[0].type = Type::int64;
  columns[1].name = "name", columns[1].type = Type::text;
  columns[2].name = "notes", columns[2].type = Type::text;
  return std::make_shared<const Schema>(std::move(columns), std::move(source));
}

TEST(ChangeBatch, APlainBatchHoldsPlainRowsAndAllocatesNothingPerRow) {
  Batch batch(customers({}));
  batch.reserve(1000);
  if (!test::allocations_counted()) GTEST_SKIP() << "ThreadSanitizer keeps operator new: allocations are not counted";
  long before = test::allocations();
  for (int i = 0; i < 1000; ++i) {
    auto row = batch.append_row();
    row[0] = Value(i);
    row[1] = Value(nullptr);
    row[2] = Value(nullptr);
  }
  EXPECT_EQ(test::allocations() - before, 0) << "appending plain rows into reserved room";
  EXPECT_FALSE(batch.has_changes());
  EXPECT_EQ(batch.op(999), ChangeOp::row);
  EXPECT_TRUE(batch.sent(999, 2));
  EXPECT_TRUE(batch.all_sent(999));
  EXPECT_TRUE(batch.before(999).empty());
  EXPECT_FALSE(batch.ends_transaction(999));
  EXPECT_TRUE(batch.schema().source().empty());
}

TEST(ChangeBatch, RowsSayWhatTheyAreWithBeforeImagesUnsentCellsAndTransactionEnds) {
  Batch batch(customers());
  auto plain = batch.append_row();  // a plain row first: it stays one
  plain[0] = Value(1), plain[1] = Value("Ann"), plain[2] = Value("x");

  auto ins = batch.append_change(ChangeOp::insert);
  ins[0] = Value(2), ins[1] = Value("Bob"), ins[2] = Value("long text");
  batch.end_transaction();

  auto upd = batch.append_change(ChangeOp::update);
  upd[0] = Value(2), upd[1] = Value("Bobby"), upd[2] = Value(nullptr);
  batch.mark_unsent(2, 2);  // unchanged TOAST: not NULL, not sent
  auto old = batch.set_before(2);
  old[0] = Value(2), old[1] = Value("Bob"), old[2] = Value(nullptr);
  batch.mark_unsent(2, 2);

  auto del = batch.append_change(ChangeOp::remove);
  del[0] = Value(1), del[1] = Value(nullptr), del[2] = Value(nullptr);
  batch.append_change(ChangeOp::truncate);
  batch.end_transaction();

  ASSERT_EQ(batch.rows(), 5u);
  EXPECT_TRUE(batch.has_changes());
  EXPECT_EQ(batch.op(0), ChangeOp::row);
  EXPECT_EQ(batch.op(1), ChangeOp::insert);
  EXPECT_EQ(batch.op(2), ChangeOp::update);
  EXPECT_EQ(batch.op(3), ChangeOp::remove);
  EXPECT_EQ(batch.op(4), ChangeOp::truncate);
  EXPECT_EQ(to_string(batch.op(3)), "delete");

  EXPECT_FALSE(batch.ends_transaction(0));
  EXPECT_TRUE(batch.ends_transaction(1));
  EXPECT_FALSE(batch.ends_transaction(2));
  EXPECT_TRUE(batch.ends_transaction(4));

  EXPECT_TRUE(batch.sent(2, 0));
  EXPECT_TRUE(batch.sent(2, 1));
  EXPECT_FALSE(batch.sent(2, 2));
  EXPECT_FALSE(batch.all_sent(2));
  EXPECT_TRUE(batch.all_sent(1));
  EXPECT_TRUE(batch.all_sent(3));

  ASSERT_EQ(batch.before(2).size(), 3u);
  EXPECT_EQ(batch.before(2)[1].as_text(), "Bob");
  EXPECT_TRUE(batch.before(1).empty());
  EXPECT_EQ(batch.at(2, 1).as_text(), "Bobby");

  EXPECT_EQ(batch.schema().source(), (SourceTable{"public", "customers"}));

  Batch copy = batch;  // a copy keeps every change, independently
  batch.clear();
  EXPECT_FALSE(batch.has_changes());
  EXPECT_EQ(copy.op(2), ChangeOp::update);
  EXPECT_FALSE(copy.sent(2, 2));
  EXPECT_EQ(copy.before(2)[1].as_text(), "Bob");
}

TEST(ChangeBatch, AClearedBatchReusedForPlainRowsForgetsTheChanges) {
  Batch batch(customers());
  batch.append_change(ChangeOp::remove)[0] = Value(7);
  batch.mark_unsent(0, 1);
  batch.end_transaction();
  batch.clear();
  auto row = batch.append_row();
  row[0] = Value(8), row[1] = Value("x"), row[2] = Value("y");
  EXPECT_FALSE(batch.has_changes());
  EXPECT_EQ(batch.op(0), ChangeOp::row);
  EXPECT_TRUE(batch.sent(0, 1));
  EXPECT_FALSE(batch.ends_transaction(0));
}

TEST(ChangeBatch, WideRowsMarkUnsentCellsPastTheFirst64Columns) {
  std::vector<Column> columns(130);
  for (std::size_t i = 0; i < columns.size(); ++i) columns[i].name = "c" + std::to_string(i);
  Batch batch(std::make_shared<const Schema>(std::move(columns)));
  batch.append_change(ChangeOp::update);
  batch.append_change(ChangeOp::update);
  batch.mark_unsent(1, 129);
  batch.mark_unsent(0, 64);
  EXPECT_FALSE(batch.sent(1, 129));
  EXPECT_TRUE(batch.sent(1, 128));
  EXPECT_TRUE(batch.sent(1, 64));
  EXPECT_FALSE(batch.sent(0, 64));
  EXPECT_TRUE(batch.sent(0, 129));
}

TEST(ChangeBatch, AFilterCarriesEachRowsChangeIntoItsOwnShapeByColumnName) {
  Batch in(customers());
  auto upd = in.append_change(ChangeOp::update);
  upd[0] = Value(5), upd[1] = Value("Eve"), upd[2] = Value(nullptr);
  in.mark_unsent(0, 2);
  auto old = in.set_before(0);
  old[0] = Value(5), old[1] = Value("Eva"), old[2] = Value(nullptr);
  in.end_transaction();

  // The filter's output: `notes` and `id` kept (reordered), `name` dropped, a column added.
  std::vector<Column> columns(3);
  columns[0].name = "notes", columns[1].name = "id", columns[2].name = "country";
  Batch out(std::make_shared<const Schema>(std::move(columns)));
  auto row = out.append_row();
  row[0] = Value(nullptr), row[1] = Value(5), row[2] = Value("FR");
  out.carry_change(in, 0);

  EXPECT_EQ(out.op(0), ChangeOp::update);
  EXPECT_TRUE(out.ends_transaction(0));
  EXPECT_FALSE(out.sent(0, 0)) << "notes was not sent";
  EXPECT_TRUE(out.sent(0, 1));
  EXPECT_TRUE(out.sent(0, 2));
  ASSERT_EQ(out.before(0).size(), 3u);
  EXPECT_EQ(out.before(0)[1].as_int(), 5);
  EXPECT_TRUE(out.before(0)[2].is_null()) << "a column the source lacks has no before value";

  Batch plain_out(customers());
  plain_out.append_row();
  Batch plain_in(customers());
  plain_in.append_row();
  plain_out.carry_change(plain_in, 0);
  EXPECT_FALSE(plain_out.has_changes()) << "a plain row carries nothing";
}

// A change's position in the source stream (what its dead letter names) stays with the row
// through a filter's or a slice's copy, and a recycled batch forgets it.
TEST(ChangeBatch, APositionStaysWithItsRowWhenCarriedAndGoesWhenCleared) {
  Batch in(customers());
  for (int id : {1, 2, 3}) in.append_change(ChangeOp::insert)[0] = Value(id);
  in.set_position(0, ChangePosition{.commit_lsn = 0x16B3748, .txid = 743, .index = 0});
  in.set_position(2, ChangePosition{.commit_lsn = 0x16B3748, .txid = 743, .index = 2});
  EXPECT_EQ(in.position(1), nullptr) << "no position was set for it";

  Batch out(customers());
  for (std::size_t r : {std::size_t{2}, std::size_t{1}}) {
    out.append_row(in.row(r));
    out.carry_change(in, r);
  }
  ASSERT_NE(out.position(0), nullptr);
  EXPECT_EQ(to_string(*out.position(0)), "0/16B3748:2");
  EXPECT_EQ(out.position(0)->txid, 743u);
  EXPECT_EQ(out.position(1), nullptr);
  out.clear();
  out.append_change(ChangeOp::insert)[0] = Value(4);
  EXPECT_EQ(out.position(0), nullptr);
  EXPECT_EQ(to_string(ChangePosition{.commit_lsn = 0x16'0000'00FFull, .index = 7}), "16/FF:7");
}

}  // namespace
}  // namespace weir
