// How sql_apply cuts a batch of changes into runs (modules/output/change_runs.hpp): consecutive
// changes of one kind writing the same columns go together, in the batch's order.
#include "modules/output/change_runs.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace weir::modules {
namespace {

// public.docs (id key, n, doc), the target's columns in the same order.
std::shared_ptr<const Schema> docs() {
  std::vector<Column> columns(3);
  columns[0].name = "id", columns[0].type = Type::int64, columns[0].primary_key = true;
  columns[1].name = "n", columns[1].type = Type::int64;
  columns[2].name = "doc", columns[2].type = Type::text;
  return std::make_shared<const Schema>(std::move(columns), SourceTable{"public", "docs"});
}

const std::vector<std::size_t> kSources{0, 1, 2};
const std::vector<std::size_t> kKey{0};

void change(Batch& b, ChangeOp op, std::int64_t id, std::int64_t n = 0) {
  auto row = b.append_change(op);
  row[0] = Value(id), row[1] = Value(n), row[2] = Value("text");
}

std::vector<ChangeRun> plan(const Batch& b, OnConflict on_conflict) {
  return plan_runs(b, {kSources, kKey}, on_conflict);
}

TEST(ChangeRuns, ConsecutiveChangesOfOneKindGoTogetherInOrder) {
  Batch b(docs());
  for (int id : {1, 2, 3}) change(b, ChangeOp::insert, id);
  change(b, ChangeOp::update, 1, 5);
  change(b, ChangeOp::update, 2, 5);
  change(b, ChangeOp::remove, 3);
  change(b, ChangeOp::insert, 3);
  change(b, ChangeOp::truncate, 0);
  change(b, ChangeOp::truncate, 0);
  EXPECT_EQ(plan(b, OnConflict::insert), (std::vector<ChangeRun>{{RunKind::insert, 0, 3, {}},
                                                                 {RunKind::update, 3, 5, {}},
                                                                 {RunKind::remove, 5, 6, {}},
                                                                 {RunKind::insert, 6, 7, {}},
                                                                 {RunKind::truncate, 7, 8, {}},
                                                                 {RunKind::truncate, 8, 9, {}}}));
}

// on_conflict: update turns inserts into upserts; upsert also turns whole updates into upserts
// (a row missing in the target is inserted), never a partial one.
TEST(ChangeRuns, OnConflictDecidesWhatInsertsAndWholeUpdatesBecome) {
  Batch b(docs());
  change(b, ChangeOp::insert, 1);
  change(b, ChangeOp::update, 1, 2);
  change(b, ChangeOp::update, 1, 3);
  b.mark_unsent(2, 2);
  EXPECT_EQ(plan(b, OnConflict::update),
            (std::vector<ChangeRun>{{RunKind::upsert, 0, 1, {}}, {RunKind::update, 1, 2, {}},
                                    {RunKind::update, 2, 3, {true, true, false}}}));
  EXPECT_EQ(plan(b, OnConflict::upsert),
            (std::vector<ChangeRun>{{RunKind::upsert, 0, 2, {}}, {RunKind::update, 2, 3, {true, true, false}}}));
}

// An update with a cell not sent (an unchanged TOASTed value) writes the others only; updates
// leaving out the same cells share a run, others start a new one.
TEST(ChangeRuns, UpdatesLeavingOutDifferentCellsAreSeparateRuns) {
  Batch b(docs());
  for (int id : {1, 2, 3}) change(b, ChangeOp::update, id, 9);
  b.mark_unsent(0, 2);
  b.mark_unsent(1, 2);
  b.mark_unsent(2, 1);
  EXPECT_EQ(plan(b, OnConflict::insert), (std::vector<ChangeRun>{{RunKind::update, 0, 2, {true, true, false}},
                                                                 {RunKind::update, 2, 3, {true, false, true}}}));
}

// An update whose before image holds another key moves the row: a run of its own kind.
TEST(ChangeRuns, AnUpdateChangingTheKeyIsARekey) {
  Batch b(docs());
  change(b, ChangeOp::update, 10, 1);
  auto old = b.set_before(0);
  old[0] = Value(1);
  change(b, ChangeOp::update, 10, 2);
  auto same = b.set_before(1);
  same[0] = Value(10);  // REPLICA IDENTITY FULL: a before image with the same key
  EXPECT_EQ(plan(b, OnConflict::insert),
            (std::vector<ChangeRun>{{RunKind::rekey, 0, 1, {}}, {RunKind::update, 1, 2, {}}}));
}

TEST(ChangeRuns, OnConflictIsReadFromItsName) {
  EXPECT_EQ(parse_on_conflict("insert"), OnConflict::insert);
  EXPECT_EQ(parse_on_conflict("update"), OnConflict::update);
  EXPECT_EQ(parse_on_conflict("upsert"), OnConflict::upsert);
}

}  // namespace
}  // namespace weir::modules
