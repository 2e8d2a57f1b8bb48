// A change stream's dead letter read back as the change it was (pipeline/change_letters.hpp),
// and LetterReplay handing such letters out as change batches of their table.
#include <gtest/gtest.h>

#include "pipeline/change_letters.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/letter_replay.hpp"

namespace weir::pipeline {
namespace {

std::shared_ptr<const Schema> orders_shape() {
  std::vector<Column> columns(4);
  columns[0].name = "id", columns[0].type = Type::int64, columns[0].primary_key = true;
  columns[0].native_type = "int8", columns[0].native_type_id = 20;
  columns[1].name = "amount", columns[1].type = Type::decimal;
  columns[2].name = "note", columns[2].type = Type::text;
  columns[3].name = "blob", columns[3].type = Type::bytes;
  return std::make_shared<const Schema>(std::move(columns), SourceTable{"public", "orders"});
}

// An insert, an update that moves id 3 to 4 leaving `blob` unsent, and a delete of id 9 by key.
Batch changes() {
  Batch b(orders_shape());
  auto put = [&](ChangeOp op, std::int64_t id, Value amount, Value note, Value blob, std::uint64_t index) {
    auto row = b.append_change(op);
    row[0] = Value(id), row[1] = std::move(amount), row[2] = std::move(note), row[3] = std::move(blob);
    b.set_position(b.rows() - 1, ChangePosition{.commit_lsn = 0x16B3748, .txid = 771, .commit_time = 1'700'000'000'000'000,
                                                .index = index});
  };
  put(ChangeOp::insert, 1, Value(Decimal{"12.50"}), Value("two\nlines \xF0\x9F\x98\x80"),
      Value(Bytes{std::string("\x00\n\xff\"", 4)}), 0);
  put(ChangeOp::update, 4, Value(Decimal{"-0.001"}), Value(), Value(), 1);
  b.set_before(1)[0] = Value(std::int64_t{3});
  b.mark_unsent(1, 3);
  put(ChangeOp::remove, 0, Value(), Value(), Value(), 2);
  b.row(2)[0] = Value();
  b.set_before(2)[0] = Value(std::int64_t{9});
  return b;
}

TEST(ChangeLetters, AChangeComesBackAsTheChangeItWas) {
  const Batch original = changes();
  Batch back(orders_shape());
  for (std::size_t r = 0; r < original.rows(); ++r) {
    const std::string text = encode_change(original, r);
    ASSERT_TRUE(holds_change(text));
    StoredChange change = decode_change(text);
    EXPECT_EQ(change.source, (SourceTable{"public", "orders"}));
    EXPECT_EQ(change.columns[0].native_type, "int8");
    append_stored_change(back, change);
  }
  ASSERT_EQ(back.rows(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(back.op(r), original.op(r));
    EXPECT_EQ(*back.position(r), *original.position(r));
    EXPECT_TRUE(back.ends_transaction(r)) << "a replayed change commits on its own";
    for (std::size_t c = 0; c < 4; ++c) {
      EXPECT_EQ(back.at(r, c), original.at(r, c)) << r << "," << c;
      EXPECT_EQ(back.sent(r, c), original.sent(r, c)) << r << "," << c;
    }
    ASSERT_EQ(back.before(r).size(), original.before(r).size());
    for (std::size_t c = 0; c < back.before(r).size(); ++c) EXPECT_EQ(back.before(r)[c], original.before(r)[c]);
  }
  EXPECT_EQ(change_json(original, 1),
            R"({"op":"update","table":"public.orders","position":"0/16B3748:1","before":{"id":3,"amount":null,)"
            R"("note":null,"blob":null},"after":{"id":4,"amount":"-0.001","note":null,"blob":null},"unchanged":["blob"]})");
}

TEST(ChangeLetters, APlainRowsValuesAreNoChange) {
  EXPECT_FALSE(holds_change(encode_position(std::vector<Value>{Value(std::int64_t{1})})));
  EXPECT_THROW(decode_change("{\"op\":\"update\"}"), Error);
  EXPECT_THROW(decode_change("{\"op\":\"merge\"}\n[]\n"), Error);
}

TEST(ChangeLetters, AReplayHandsOutChangeLettersAsChangesOfTheirTable) {
  const Batch original = changes();
  std::vector<DeadLetterTable::Stored> stored;
  for (std::size_t r = 0; r < original.rows(); ++r) {
    DeadLetterTable::Stored s;
    s.id = "letter-" + std::to_string(r);
    s.original = change_json(original, r);
    s.original_values = encode_change(original, r);
    s.position = to_string(*original.position(r));
    stored.push_back(std::move(s));
  }
  LetterReplay replay(stored);
  EXPECT_TRUE(replay.skipped().empty());
  Batch out;
  ASSERT_TRUE(replay.read(out));
  EXPECT_EQ(out.schema().source(), (SourceTable{"public", "orders"}));
  ASSERT_EQ(out.rows(), 3u) << "one table in one shape: one batch";
  EXPECT_EQ(out.op(0), ChangeOp::insert);
  EXPECT_EQ(out.op(1), ChangeOp::update);
  EXPECT_EQ(out.before(1)[0], Value(std::int64_t{3}));
  EXPECT_FALSE(out.sent(1, 3));
  EXPECT_EQ(out.op(2), ChangeOp::remove);
  EXPECT_EQ(replay.replayed_letter(out, 2), "letter-2");
  EXPECT_EQ(replay.position_of(out, 1), "0/16B3748:1");
  EXPECT_EQ(replay.checkpoint(), "3");
  EXPECT_FALSE(replay.read(out));
}

// Letters as a weir version before the typed form wrote them (before commit 171b892): the row
// after the change typed as a plain row's, the change as JSON in `record`.
DeadLetterTable::Stored older_letter(std::string id, std::string record, std::string original,
                                     std::string original_values, std::string position) {
  DeadLetterTable::Stored s;
  s.id = std::move(id);
  s.stage = "pipelines.cdc.output.sql_apply";
  s.error_kind = "foreign_key";
  s.record = std::move(record);
  s.original = std::move(original);
  s.original_values = std::move(original_values);
  s.position = std::move(position);
  return s;
}

TEST(ChangeLetters, ALetterOfTheOlderFormComesBackAsTheChangeItWas) {
  const std::vector<DeadLetterTable::Stored> stored{
      older_letter("a",
                   R"({"op":"update","table":"public.orders","position":"0/16B3748:1","before":{"id":3,"amount":null,)"
                   R"("note":null,"at":null},"after":{"id":4,"amount":"-0.001","note":"say \"hi\"","at":)"
                   R"("2026-12-06 10:00:00.250000"},"unchanged":["note"]})",
                   R"({"id":4,"amount":"-0.001","note":"say \"hi\"","at":"2026-12-06 10:00:00.250000"})",
                   R"([["int64","4"],["decimal","-0.001"],["text","say \"hi\""],)"
                   R"(["timestamp","2026-12-06 10:00:00.250000"]])",
                   "0/16B3748:1"),
      older_letter("b",
                   R"({"op":"delete","table":"public.orders","position":"1A/2B:0","before":{"id":9,"amount":null,)"
                   R"("note":null,"at":null}})",
                   R"({"id":9,"amount":null,"note":null,"at":null})",
                   R"([["int64","9"],["null",""],["null",""],["null",""]])", "1A/2B:0")};
  LetterReplay replay(stored);
  EXPECT_TRUE(replay.skipped().empty()) << replay.skipped().front();
  Batch out;
  ASSERT_TRUE(replay.read(out));
  EXPECT_EQ(out.schema().source(), (SourceTable{"public", "orders"}));
  ASSERT_EQ(out.rows(), 1u);
  EXPECT_EQ(out.op(0), ChangeOp::update);
  EXPECT_EQ(out.at(0, 0), Value(std::int64_t{4}));
  EXPECT_EQ(out.at(0, 1), Value(Decimal{"-0.001"}));
  EXPECT_EQ(out.at(0, 3).type(), Type::timestamp);
  EXPECT_EQ(out.at(0, 3).to_text(), "2026-12-06 10:00:00.25");
  ASSERT_EQ(out.before(0).size(), 4u);
  EXPECT_EQ(out.before(0)[0], Value(std::int64_t{3})) << "the key it moved from";
  EXPECT_TRUE(out.before(0)[1].is_null());
  EXPECT_FALSE(out.sent(0, 2));
  EXPECT_TRUE(out.sent(0, 3));
  EXPECT_EQ(*out.position(0), (ChangePosition{.commit_lsn = 0x16B3748, .index = 1}));
  EXPECT_TRUE(out.ends_transaction(0));
  EXPECT_FALSE(out.schema()[0].primary_key) << "no key kept: sql_apply finds the row by the target's";
  EXPECT_EQ(replay.replayed_letter(out, 0), "a");

  ASSERT_TRUE(replay.read(out)) << "another shape (NULL-typed columns): another batch";
  ASSERT_EQ(out.rows(), 1u);
  EXPECT_EQ(out.op(0), ChangeOp::remove);
  EXPECT_EQ(out.before(0)[0], Value(std::int64_t{9}));
  EXPECT_EQ(*out.position(0), (ChangePosition{.commit_lsn = 0x1A0000002B, .index = 0}));
  EXPECT_EQ(replay.position_of(out, 0), "1A/2B:0");
  EXPECT_FALSE(replay.read(out));
}

TEST(ChangeLetters, APlainRowsLetterIsNoOlderChange) {
  // sql_write's record is the row itself, and its position the cursor's values.
  EXPECT_FALSE(decode_older_change(R"({"id":1,"op":"insert","table":"t"})", R"({"id":1,"op":"insert","table":"t"})",
                                   R"([["int64","1"],["text","insert"],["text","t"]])", R"({"id":1})"));
  EXPECT_THROW(decode_older_change(R"({"op":"insert","table":"t","position":"0/1:0","after":{"id":1}})",
                                   R"({"id":1,"extra":2})", R"([["int64","1"]])", "0/1:0"),
               Error);
}

}  // namespace
}  // namespace weir::pipeline
