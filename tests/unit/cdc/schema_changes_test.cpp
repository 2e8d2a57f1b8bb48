// Schema changes in a pgoutput stream: how two shapes differ (by name and type, never by
// position; a rename only from DDL capture), which type changes widen, the policy's stop line,
// the shape history that tells a Relation message sent again (reconnect, restart, old WAL) from
// a change, and its round trip through the checkpoint.
#include <gtest/gtest.h>

#include "cdc/change_batcher.hpp"
#include "cdc/schema_ddl.hpp"
#include "cdc/schema_policy.hpp"
#include "unit/cdc/pgoutput_messages.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

namespace pg = test::pgoutput;
using Kind = ColumnChange::Kind;

constexpr Oid kInt4 = 23, kInt8 = 20, kText = 25, kNumeric = 1700, kVarchar = 1043;
constexpr std::int32_t numeric_mod(int precision, int scale) { return ((precision << 16) | scale) + 4; }

std::string kinds(const std::vector<ColumnDiff>& diffs) {
  std::string out;
  for (const ColumnDiff& d : diffs)
    out += std::string(to_string(d.kind)) + ":" + (d.kind == Kind::add ? d.after.name : d.before.name) +
           (d.kind == Kind::rename ? ">" + d.after.name : "") + " ";
  return out;
}

TEST(SchemaDiff, ByNameADropAndAnAddAreNeverARename) {
  std::vector<ShapeColumn> before{{"id", kInt8, -1}, {"a", kText, -1}};
  std::vector<ShapeColumn> after{{"id", kInt8, -1}, {"b", kText, -1}};
  EXPECT_EQ(kinds(diff_by_name(before, after)), "drop_column:a add_column:b ");
  std::vector<ShapeColumn> moved{{"a", kText, -1}, {"id", kInt8, -1}};  // positions are not columns
  EXPECT_EQ(kinds(diff_by_name(before, moved)), "");
  std::vector<ShapeColumn> wider{{"id", kInt8, -1}, {"a", kVarchar, 14}};
  EXPECT_EQ(kinds(diff_by_name(before, wider)), "type_change:a ");
}

TEST(SchemaDiff, OneCapturedStatementTellsARenameFromADropAndAnAdd) {
  std::vector<ShapeColumn> before{{"id", kInt8, -1}, {"a", kText, -1}};
  std::vector<ShapeColumn> after{{"id", kInt8, -1}, {"b", kText, -1}};
  EXPECT_EQ(kinds(diff_statement(before, {}, after)), "rename:a>b ");
  EXPECT_EQ(kinds(diff_statement(before, {"a"}, after)), "drop_column:a add_column:b ");
  EXPECT_EQ(kinds(diff_statement(before, {"a"}, {{"id", kInt8, -1}, {"a", kText, -1}})), "drop_column:a add_column:a ");
  std::vector<ShapeColumn> added{{"id", kInt8, -1}, {"a", kText, -1}, {"c", kInt4, -1}};
  EXPECT_EQ(kinds(diff_statement(before, {}, added)), "add_column:c ");
}

TEST(SchemaDiff, WideningsAreThoseEveryOldValueFitsExactly) {
  auto w = [](Oid a, std::int32_t am, Oid b, std::int32_t bm) { return widens({"c", a, am}, {"c", b, bm}); };
  EXPECT_TRUE(w(kNumeric, numeric_mod(5, 3), kNumeric, numeric_mod(10, 5)));
  EXPECT_FALSE(w(kNumeric, numeric_mod(10, 5), kNumeric, numeric_mod(5, 3)));
  EXPECT_FALSE(w(kNumeric, numeric_mod(5, 3), kNumeric, numeric_mod(10, 2)));  // a scale lost
  EXPECT_FALSE(w(kNumeric, numeric_mod(5, 3), kNumeric, numeric_mod(5, 4)));   // an integer digit lost
  EXPECT_TRUE(w(kNumeric, numeric_mod(5, 3), kNumeric, -1));
  EXPECT_TRUE(w(kInt4, -1, kInt8, -1));
  EXPECT_FALSE(w(kInt8, -1, kInt4, -1));
  EXPECT_TRUE(w(kInt4, -1, kNumeric, numeric_mod(12, 2)));
  EXPECT_FALSE(w(kInt4, -1, kNumeric, numeric_mod(9, 0)));
  EXPECT_TRUE(w(kVarchar, 14, kVarchar, 24));
  EXPECT_TRUE(w(kVarchar, 14, kText, -1));
  EXPECT_FALSE(w(kText, -1, kVarchar, 14));
}

const std::vector<pg::Col> kOld{{"id", 20, true}, {"note", 25}};
const std::vector<pg::Col> kAdded{{"id", 20, true}, {"note", 25}, {"qty", 1700, false, numeric_mod(5, 3)}};

class RelationHistoryTest : public ::testing::Test {
 protected:
  void make(SchemaPolicy policy = {}) {
    batcher_.emplace(ChangeFilter{}, 100, std::nullopt);
    policy.path = "pipelines.p.input.postgres_cdc.schema_changes";
    batcher_->relations().set_type_names({{20, "int8"}, {25, "text"}, {1700, "numeric"}});
    batcher_->relations().set_policy(policy, {});
  }
  void feed(const std::string& message) { batcher_->feed(decoder_, decoder_.decode(message)); }
  // Table t (relation 1) in its old shape, one row inserted, committed at 0x100.
  void first_transaction() {
    feed(pg::begin(0x100, 1));
    feed(pg::relation(1, "public", "t", kOld));
    feed(pg::insert(1, {"1", "a"}));
    feed(pg::commit(0x100, 0x110));
  }
  std::vector<std::pair<Batch, std::string>> take() {
    batcher_->seal();
    std::vector<std::pair<Batch, std::string>> out;
    Batch b;
    std::string c;
    while (batcher_->next(b, c)) out.emplace_back(std::move(b), std::move(c));
    return out;
  }
  std::string ddl(const std::string& json) {
    return pg::Message('M').u8(1).u64(0).str("weir.ddl").u32(static_cast<std::uint32_t>(json.size())).bytes(json);
  }

  PgOutputDecoder decoder_;
  std::optional<ChangeBatcher> batcher_;
};


TEST_F(RelationHistoryTest, ARelationSentAgainIsNoChangeAndAnOlderShapeReplayedAfterAReconnectIsItsOwn) {
  make();
  feed(pg::begin(0x100, 1));
  feed(pg::relation(1, "public", "t", kOld));
  feed(pg::insert(1, {"1", "a"}));
  feed(pg::relation(1, "public", "t", kOld));  // a new session's
  feed(pg::insert(1, {"2", "b"}));
  feed(pg::commit(0x100, 0x110));
  const std::shared_ptr<const Schema> old = batcher_->relations().at(1).schema;
  feed(pg::begin(0x200, 2));
  feed(pg::relation(1, "public", "t", kAdded));
  feed(pg::insert(1, {"3", "c", "1.500"}));
  feed(pg::commit(0x200, 0x210));
  const std::shared_ptr<const Schema> added = batcher_->relations().at(1).schema;

  // The connection breaks: the server sends both transactions again (the slot was confirmed
  // before them), each with its shape of then.
  batcher_->restart();
  feed(pg::begin(0x100, 1));
  feed(pg::relation(1, "public", "t", kOld));
  EXPECT_EQ(batcher_->relations().at(1).schema, old);
  feed(pg::insert(1, {"1", "a"}));
  feed(pg::insert(1, {"2", "b"}));
  feed(pg::commit(0x100, 0x110));
  feed(pg::begin(0x200, 2));
  feed(pg::relation(1, "public", "t", kAdded));
  EXPECT_EQ(batcher_->relations().at(1).schema, added);
  feed(pg::insert(1, {"3", "c", "1.500"}));
  feed(pg::commit(0x200, 0x210));

  auto got = take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first.schema_ptr(), old);
  EXPECT_EQ(got[0].first.schema().change(), nullptr);
  EXPECT_EQ(got[1].first.schema_ptr(), added);
  ASSERT_NE(added->change(), nullptr);
  const ShapeChange& change = *added->change();
  ASSERT_EQ(change.changes.size(), 1u);
  EXPECT_EQ(change.changes[0].kind, Kind::add);
  EXPECT_TRUE(change.changes[0].apply);
  EXPECT_EQ(change.changes[0].column.name, "qty");
  EXPECT_EQ(change.changes[0].column.precision, 5);
  EXPECT_EQ(change.changes[0].column.scale, 3);
  // The checkpoint before the change holds the old shape, the one after it the new.
  EXPECT_NE(got[0].second.find(R"("schemas":{"public.t":{"changes":[],"columns":[["id",20,-1],["note",25,-1]])"),
            std::string::npos)
      << got[0].second;
  EXPECT_EQ(got[0].second.find("qty"), std::string::npos) << got[0].second;
  EXPECT_NE(got[1].second.find(R"(["qty",1700,327687])"), std::string::npos) << got[1].second;
}

TEST_F(RelationHistoryTest, ARestartComparesTheFirstRelationWithTheShapeSavedInTheCheckpoint) {
  make();
  first_transaction();
  const std::string saved = take().back().second;

  // The next run: the table gained a column before its next change.
  make();
  batcher_->relations().restore(saved);
  feed(pg::begin(0x200, 2));
  feed(pg::relation(1, "public", "t", kAdded));
  feed(pg::insert(1, {"3", "c", "1.500"}));
  feed(pg::commit(0x200, 0x210));
  auto got = take();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_NE(got[0].first.schema().change(), nullptr);
  EXPECT_EQ(got[0].first.schema().change()->changes.at(0).column.name, "qty");

  // And a run after that one: the same shape again is no new change, but the change it came
  // of stays with it (the target may not have been altered before the restart).
  make();
  batcher_->relations().restore(got[0].second);
  feed(pg::begin(0x300, 3));
  feed(pg::relation(1, "public", "t", kAdded));
  feed(pg::insert(1, {"4", "d", "2.000"}));
  feed(pg::commit(0x300, 0x310));
  auto again = take();
  ASSERT_EQ(again.size(), 1u);
  ASSERT_NE(again[0].first.schema().change(), nullptr);
  EXPECT_EQ(again[0].first.schema().change()->changes.size(), 1u);
}

TEST_F(RelationHistoryTest, ADroppedColumnStopsByDefaultNamingTableColumnAndFix) {
  make();
  feed(pg::begin(0x100, 1));
  feed(pg::relation(1, "public", "t", kAdded));
  feed(pg::insert(1, {"1", "a", "1.000"}));
  feed(pg::commit(0x100, 0x110));
  take();
  feed(pg::begin(0x16B3748, 2));
  try {
    feed(pg::relation(1, "public", "t", kOld));
    FAIL() << "no stop";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(std::string(e.what()),
              "table public.t: column `qty` was dropped at 0/16B3748, and "
              "pipelines.p.input.postgres_cdc.schema_changes.drop_column is `stop`: alter the target to match if "
              "needed, set pipelines.p.input.postgres_cdc.schema_changes.drop_column to `apply` (weir alters the "
              "target) or `ignore` (the target is left as it is), and run again; nothing from this change on was "
              "written");
  }
}

TEST_F(RelationHistoryTest, ANarrowedTypeStopsUnderWidenAndAnIgnoredAddIsLeftOutForGood) {
  SchemaPolicy policy;
  policy.add_column = SchemaAction::ignore;
  make(policy);
  feed(pg::begin(0x100, 1));
  feed(pg::relation(1, "public", "t", kOld));
  feed(pg::relation(1, "public", "t", kAdded));
  auto schema = batcher_->relations().at(1).schema;
  ASSERT_NE(schema->change(), nullptr);
  EXPECT_FALSE(schema->change()->changes.at(0).apply);
  EXPECT_EQ(schema->change()->left_out, std::vector<std::string>{"qty"});
  // A type change of a column the target never got is nobody's business.
  feed(pg::relation(1, "public", "t", {{"id", 20, true}, {"note", 25}, {"qty", 1700, false, numeric_mod(4, 1)}}));
  EXPECT_EQ(batcher_->relations().at(1).schema->change()->left_out, std::vector<std::string>{"qty"});
  try {
    feed(pg::relation(1, "public", "t", {{"id", 23, true}, {"note", 25}, {"qty", 1700, false, numeric_mod(4, 1)}}));
    FAIL() << "no stop";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("column `id` changed type from int8 to oid 23, which is no widening"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(RelationHistoryTest, DdlCaptureSeesARenameInOrderAndTheRelationAfterItIsNoSecondChange) {
  SchemaPolicy policy;
  policy.rename = SchemaAction::apply;
  make(policy);
  first_transaction();
  feed(pg::begin(0x200, 2));
  feed(ddl(R"({"schema":"public","name":"t","columns":[["id",20,-1,null],["remark",25,-1,null]]})"));
  feed(pg::commit(0x200, 0x210));
  feed(pg::begin(0x300, 3));
  feed(pg::relation(1, "public", "t", {{"id", 20, true}, {"remark", 25}}));
  feed(pg::insert(1, {"2", "b"}));
  feed(pg::commit(0x300, 0x310));
  auto got = take();
  // The rows before, the statement's shape at its transaction's end, the rows after in it.
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[1].first.empty());
  EXPECT_EQ(got[2].first.schema_ptr(), got[1].first.schema_ptr());
  const ShapeChange* change = got[2].first.schema().change();
  ASSERT_NE(change, nullptr);
  ASSERT_EQ(change->changes.size(), 1u);
  EXPECT_EQ(change->changes[0].kind, Kind::rename);
  EXPECT_EQ(change->changes[0].old_name, "note");
  EXPECT_EQ(change->changes[0].column.name, "remark");
}

// A captured statement no change follows still reaches the output: its transaction's end
// passes on an empty batch in the new shape (sql_apply alters its target for it), with the
// transaction's end as its checkpoint and the shape saved as delivered; the table's next
// change then comes in that same shape, no second change.
TEST_F(RelationHistoryTest, ACapturedStatementNoChangeFollowsIsPassedOnAsAnEmptyBatchOfItsShape) {
  make();
  first_transaction();
  feed(pg::begin(0x200, 2));
  feed(ddl(R"({"schema":"public","name":"t","columns":[["id",20,-1,null],["note",25,-1,null],["qty",1700,327687,null]]})"));
  feed(pg::commit(0x200, 0x210));
  auto got = take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first.rows(), 1u);
  const Batch& shape = got[1].first;
  EXPECT_TRUE(shape.empty());
  EXPECT_EQ(shape.schema().source(), (SourceTable{"public", "t"}));
  ASSERT_EQ(shape.width(), 3u);
  EXPECT_TRUE(shape.schema()[0].primary_key);  // the key as the last Relation message said
  EXPECT_FALSE(shape.schema()[2].primary_key);
  ASSERT_NE(shape.schema().change(), nullptr);
  ASSERT_EQ(shape.schema().change()->changes.size(), 1u);
  EXPECT_EQ(shape.schema().change()->changes[0].kind, Kind::add);
  EXPECT_EQ(shape.schema().change()->changes[0].column.name, "qty");
  EXPECT_EQ(shape.schema().change()->changes[0].column.precision, 5);
  EXPECT_NE(got[1].second.find(R"({"commit_lsn":"0/200","index":0,"end_lsn":"0/210","schemas":)"), std::string::npos)
      << got[1].second;
  EXPECT_NE(got[1].second.find(R"("delivered":true)"), std::string::npos) << got[1].second;
  EXPECT_NE(got[1].second.find(R"(["qty",1700,327687])"), std::string::npos) << got[1].second;

  feed(pg::begin(0x300, 3));
  feed(pg::relation(1, "public", "t", kAdded));
  feed(pg::insert(1, {"2", "b", "1.500"}));
  feed(pg::commit(0x300, 0x310));
  auto after = take();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].first.rows(), 1u);
  EXPECT_EQ(after[0].first.schema_ptr(), shape.schema_ptr());
}

// Without DDL capture a new shape comes with a Relation message before the table's next change;
// when that change is filtered out (`operations`) or skipped, the shape is passed on alone.
TEST_F(RelationHistoryTest, ANewShapeBeforeAChangeFilteredOutIsPassedOnAloneAndOnlyOnce) {
  make();
  batcher_.emplace(ChangeFilter{.tables = {}, .operations = {ChangeOp::insert}}, 100, std::nullopt);
  batcher_->relations().set_type_names({{20, "int8"}, {25, "text"}, {1700, "numeric"}});
  batcher_->relations().set_policy(SchemaPolicy{}, {});
  first_transaction();
  feed(pg::begin(0x200, 2));
  feed(pg::relation(1, "public", "t", kAdded));
  feed(pg::remove(1, {"1", std::nullopt, std::nullopt}));
  feed(pg::commit(0x200, 0x210));
  feed(pg::begin(0x300, 3));
  feed(pg::relation(1, "public", "t", kAdded));  // a new session's: the same shape
  feed(pg::remove(1, {"2", std::nullopt, std::nullopt}));
  feed(pg::commit(0x300, 0x310));
  auto got = take();
  ASSERT_EQ(got.size(), 3u) << "rows, the new shape, the last position";
  EXPECT_TRUE(got[1].first.empty());
  ASSERT_NE(got[1].first.schema().change(), nullptr);
  EXPECT_EQ(got[1].first.schema().change()->changes.at(0).column.name, "qty");
  EXPECT_NE(got[1].second.find(R"("end_lsn":"0/210")"), std::string::npos) << got[1].second;
  EXPECT_TRUE(got[2].first.empty());
  EXPECT_NE(got[2].second.find(R"("end_lsn":"0/310")"), std::string::npos) << got[2].second;
}

TEST_F(RelationHistoryTest, DdlCaptureCarriesTheValueRowsAlreadyThereTookForAnAddedColumn) {
  make();
  first_transaction();
  feed(pg::begin(0x200, 2));
  feed(ddl(R"({"schema":"public","name":"t","columns":[["id",20,-1,null],["note",25,-1,null],["qty",1700,327687,"7.250"]]})"));
  feed(pg::relation(1, "public", "t", kAdded));
  const ShapeChange* change = batcher_->relations().at(1).schema->change();
  ASSERT_NE(change, nullptr);
  ASSERT_TRUE(change->changes.at(0).existing.has_value());
  EXPECT_EQ(change->changes.at(0).existing->to_text(), "7.250");
}

TEST(SchemaDdl, AMessageOfAnotherPrefixIsNoneAndABrokenOneIsNamed) {
  EXPECT_FALSE(read_ddl_message({true, 0, "weir_heartbeat", ""}).has_value());
  EXPECT_THROW(read_ddl_message({true, 0x10, "weir.ddl", "[1]"}), Error);
}

}  // namespace
}  // namespace weir::cdc
