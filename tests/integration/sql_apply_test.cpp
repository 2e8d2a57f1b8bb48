// sql_apply on each database (SQLite, PostgreSQL, MariaDB): batches of change records — what a
// change input such as postgres_cdc hands the output — run through the real runner and commit
// engine into real target tables. Inserts, updates, deletes, truncates, a key update, an update
// that leaves a large unchanged value out, insert vs upsert conflicts, a transaction split over
// several batches, a rejected change in the dead letters with its position, a renamed table and
// one left out of `tables`.
#include "sql_apply_fixture.hpp"

namespace weir::pipeline::apply_test {
namespace {

TEST_P(SqlApply, AppliesInsertsUpdatesDeletesAndTruncatesInTheirOrder) {
  Changes t1 = changes(10);
  t1.insert(1, "a").insert(2, "b").insert(3, "c").update(2, "b2", "d").remove(3).insert(4, "d").end();
  PipelineStats stats = run({t1.batch}, "on_conflict: insert");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:a 2:b2 4:d");
  EXPECT_EQ(stats.written, (db::WriteCounts{.inserted = 4, .updated = 1, .deleted = 1}));

  Changes t2 = changes(20);
  t2.truncate().insert(5, "e").end();
  t2.insert(6, "f").update(6, "f2", "d").remove(5).remove(7).end();
  stats = run({t2.batch}, "on_conflict: insert");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "6:f2");
  EXPECT_EQ(stats.written, (db::WriteCounts{.inserted = 2, .updated = 1, .deleted = 2, .not_found = 1}))
      << "the truncate counts as one deletion; the delete of 7 found nothing";
}

// An update whose before image holds another key moves the row; later changes find it there.
TEST_P(SqlApply, AKeyUpdateMovesTheRow) {
  Changes t = changes(10);
  t.insert(1, "a").insert(2, "b").end();
  t.update(10, "a2", "d", 1).update(10, "a3", "d").update(2, "b2", std::nullopt, 2).end();
  PipelineStats stats = run({t.batch});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "2:b2 10:a3");
}

// PostgreSQL does not resend an unchanged TOASTed value: the UPDATE leaves that column out and
// the target keeps its 1 MB value byte for byte — through the per-row statements and, with
// 1500 rows, through PostgreSQL's staged merge.
TEST_P(SqlApply, AnUnchangedValueTheSourceDidNotSendIsKeptByteForByte) {
  std::string big;
  for (int i = 0; big.size() < (1 << 20); ++i) big += fmt::format("{:08x}-é-", i * 2654435761u);
  Changes t1 = changes(10);
  t1.insert(1, "a", big);
  for (int id = 2; id <= 1500; ++id) t1.insert(id, "n", "small");
  t1.end();
  ASSERT_EQ(run({t1.batch}).error, "");

  Changes t2 = changes(20);
  for (int id = 1; id <= 1500; ++id) t2.update(id, "u", std::nullopt);
  t2.end();
  t2.update(1, "v", std::nullopt).end();
  PipelineStats stats = run({t2.batch}, "on_conflict: upsert");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(stats.written.updated + stats.written.unchanged, 1501u);
  EXPECT_EQ(scalar(fmt::format("SELECT note FROM {} WHERE id = 1", table_)), "v");
  EXPECT_TRUE(scalar(fmt::format("SELECT doc FROM {} WHERE id = 1", table_)) == big) << "the big value changed";
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {} WHERE note = 'u' AND doc = 'small'", table_)), "1499");
}

// on_conflict: insert rejects an insert whose key is there: the change goes to the dead letters
// with its position and the others commit. upsert updates that row instead.
TEST_P(SqlApply, AnInsertConflictIsADeadLetterWithItsPositionOrAnUpdate) {
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'old', 'd')", table_));
  Changes t = changes(0x16);
  t.insert(2, "b").insert(1, "new").insert(3, "c").end();
  PipelineStats stats = run({t.batch}, "on_conflict: insert");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:old 2:b 3:c");
  EXPECT_EQ(stats.rows_rejected, 1u);
  EXPECT_EQ(scalar(fmt::format("SELECT error_kind FROM {}", letters_)), "unique");
  EXPECT_EQ(scalar(fmt::format("SELECT record FROM {}", letters_)),
            fmt::format(R"({{"op":"insert","table":"public.{}","position":"0/16:1","after":{{"id":1,"note":"new","doc":"d"}}}})",
                        source_.name));

  stats = run({t.batch}, "on_conflict: upsert");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:new 2:b 3:c");
  EXPECT_EQ(stats.rows_rejected, 0u);
}

// A rejected update (NOT NULL) is set aside alone, named by its position; the changes around
// it commit.
TEST_P(SqlApply, ARejectedUpdateGoesToTheDeadLettersWithItsPosition) {
  Changes t = changes(0x30);
  t.insert(1, "a").insert(2, "b").end();
  Batch& b = t.update(1, "a2", "d").update(2, "x", "d").update(1, "a3", "d").end().batch;
  b.at(3, 1) = Value(nullptr);  // note of the update of 2: NOT NULL in the target
  PipelineStats stats = run({b});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:a3 2:b");
  EXPECT_EQ(stats.rows_rejected, 1u);
  EXPECT_EQ(scalar(fmt::format("SELECT error_kind FROM {}", letters_)), "not_null");
  EXPECT_NE(scalar(fmt::format("SELECT record FROM {}", letters_)).find(R"("op":"update","table":"public.)"),
            std::string::npos);
  EXPECT_NE(scalar(fmt::format("SELECT record FROM {}", letters_)).find(R"("position":"0/31:1")"), std::string::npos);
}

// A source transaction split over three batches commits once, whole: the input hears of it
// only when every row is in the target, never after a part (`batch.rows: 2` would cut it).
TEST_P(SqlApply, ATransactionSplitOverBatchesCommitsWhole) {
  Changes a = changes(40), b = changes(40), c = changes(40), d = changes(41);
  a.insert(1, "a").insert(2, "b");
  b.insert(3, "c").insert(4, "d");
  c.insert(5, "e").end();
  d.insert(6, "f").insert(7, "g").end();
  PipelineStats stats = run({a.batch, b.batch, c.batch, d.batch}, "batch: { rows: 2, interval: 1h }");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(acknowledged_, (std::vector<std::string>{"c3 1:a 2:b 3:c 4:d 5:e", "c4 1:a 2:b 3:c 4:d 5:e 6:f 7:g"}));
}

// Past `batch.rows` a source transaction's rows are no longer kept for a replay: each later
// batch goes in under a savepoint, so a row the target rejects there is still set aside alone
// and every other row of the transaction commits with it, once.
TEST_P(SqlApply, ARowRejectedPastTheKeptRowsOfALargeTransactionIsSetAsideAlone) {
  Changes a = changes(60), b = changes(60), c = changes(60);
  a.insert(1, "a").insert(2, "b");
  b.insert(3, "c").insert(4, "d");
  c.insert(5, "e").insert(6, "f").end();
  c.batch.at(0, 1) = Value(nullptr);  // note of 5: NOT NULL in the target
  PipelineStats stats = run({a.batch, b.batch, c.batch}, "batch: { rows: 2, interval: 1h }");
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:a 2:b 3:c 4:d 6:f");
  EXPECT_EQ(stats.rows_rejected, 1u);
  EXPECT_EQ(scalar(fmt::format("SELECT error_kind FROM {}", letters_)), "not_null");
  EXPECT_EQ(acknowledged_.size(), 1u);
}

// A table left out of `tables` is skipped and counted, never silently dropped; the listed
// one is written under its new name.
TEST_P(SqlApply, ATableOutsideTheAllowListIsSkippedAndCounted) {
  Changes other(SourceTable{"public", "audit"}, 50);
  other.insert(1, "x").insert(2, "y").end();
  Changes listed = changes(51);
  listed.insert(1, "a").end();
  PipelineStats stats = run({other.batch, listed.batch});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:a");
  EXPECT_EQ(stats.rows_skipped, 2u);
  EXPECT_EQ(stats.written.written(), 1u);
  EXPECT_NE(describe_outcome(stats).find("wrote 1 rows"), std::string::npos) << describe_outcome(stats);
  EXPECT_NE(describe_outcome(stats).find(", 2 skipped"), std::string::npos) << describe_outcome(stats);
}

INSTANTIATE_TEST_SUITE_P(Databases, SqlApply, ::testing::Values(kSqlite, kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir::pipeline::apply_test
