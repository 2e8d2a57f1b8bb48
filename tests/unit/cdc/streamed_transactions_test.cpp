// Streamed transactions (pgoutput protocol 2, `streaming 'on'`) on bytes: nothing reaches the
// batcher before the Stream Commit; then the transaction comes whole, in commit order, with the
// positions a transaction sent whole would have; a rolled-back subtransaction loses only its
// changes, an aborted transaction all; chunks of interleaved transactions stay apart. The last
// test replays a stream PostgreSQL 15 sent (tests/fuzz/corpus/pgoutput/streamed_transaction).
#include "cdc/streamed_transactions.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "unit/cdc/pgoutput_messages.hpp"

namespace weir::cdc {
namespace {

namespace pg = test::pgoutput;
using pg::Message;

// `message` as a streamed block carries it: the (sub)transaction id after the kind.
std::string streamed(std::uint32_t xid, const std::string& message) {
  return message.substr(0, 1) + std::string(Message('x').u32(xid)).substr(1) + message.substr(1);
}
std::string stream_start(std::uint32_t xid, bool first) { return Message('S').u32(xid).u8(first ? 1 : 0); }
std::string stream_stop() { return Message('E'); }
std::string stream_commit(std::uint32_t xid, std::uint64_t lsn, std::uint64_t end) {
  return Message('c').u32(xid).u8(0).u64(lsn).u64(end).u64(pg::kCommitTime);
}
std::string stream_abort(std::uint32_t xid, std::uint32_t subxid) { return Message('A').u32(xid).u32(subxid); }

// One delivered row: "txid lsn/index id" and whether it ends its transaction.
struct Row {
  std::string text;
  bool ends = false;
  bool operator==(const Row&) const = default;
};
void PrintTo(const Row& r, std::ostream* os) { *os << r.text << (r.ends ? " (end)" : ""); }

class StreamedTransactionsTest : public ::testing::Test {
 protected:
  StreamedTransactionsTest() {
    batcher_.relations().set_type_names({{20, "int8"}, {23, "int4"}, {25, "text"}});
    feed(pg::relation(1, "public", "orders", {{"id", 20, true}, {"note", 25}}));
  }
  // Feeds one message as postgres_cdc does: streamed ones to `streams_`, which hands a
  // committed transaction to the batcher before the next message is read.
  void feed(const std::string& message) {
    MessageKind kind = decoder_.decode(message);
    if (!streams_.take(decoder_, kind, message)) batcher_.feed(decoder_, kind);
    while (streams_.replaying()) streams_.replay_next(batcher_);
  }
  std::vector<Row> take() {
    batcher_.seal();
    std::vector<Row> rows;
    Batch batch;
    std::string checkpoint;
    while (batcher_.next(batch, checkpoint))
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        const ChangePosition& p = *batch.position(r);
        rows.push_back({fmt::format("{} {:X}/{} {}", p.txid, p.commit_lsn, p.index, batch.at(r, 0).to_text()),
                        batch.ends_transaction(r)});
      }
    return rows;
  }

  PgOutputDecoder decoder_;
  StreamedTransactions streams_;
  ChangeBatcher batcher_{ChangeFilter{}, 100, std::nullopt};
};

TEST_F(StreamedTransactionsTest, InterleavedChunksReachTheOutputAtTheirCommitsInCommitOrder) {
  feed(stream_start(900, true));
  feed(streamed(900, pg::relation(1, "public", "orders", {{"id", 20, true}, {"note", 25}})));
  feed(streamed(900, pg::insert(1, {"1", "a"})));
  feed(stream_stop());
  feed(stream_start(901, true));
  feed(streamed(901, pg::insert(1, {"10", "x"})));
  feed(stream_stop());
  feed(stream_start(900, false));
  feed(streamed(900, pg::insert(1, {"2", "b"})));
  feed(stream_stop());
  EXPECT_TRUE(streams_.open());
  EXPECT_EQ(take(), std::vector<Row>{});  // nothing before a commit
  feed(stream_commit(901, 0x700, 0x740));
  feed(stream_commit(900, 0x800, 0x840));
  EXPECT_FALSE(streams_.open());
  EXPECT_EQ(take(), (std::vector<Row>{{"901 700/0 10", true}, {"900 800/0 1", false}, {"900 800/1 2", true}}));
}

TEST_F(StreamedTransactionsTest, ARolledBackSubtransactionLosesOnlyItsOwnChanges) {
  feed(stream_start(900, true));
  feed(streamed(900, pg::insert(1, {"1", "top"})));
  feed(streamed(902, pg::insert(1, {"2", "rolled back"})));
  feed(streamed(903, pg::insert(1, {"3", "released"})));
  feed(stream_stop());
  feed(stream_abort(900, 902));
  feed(stream_start(900, false));
  feed(streamed(900, pg::insert(1, {"4", "after"})));
  feed(stream_stop());
  EXPECT_EQ(take(), std::vector<Row>{});
  feed(stream_commit(900, 0x800, 0x840));
  EXPECT_EQ(take(), (std::vector<Row>{{"900 800/0 1", false}, {"900 800/1 3", false}, {"900 800/2 4", true}}));
}

TEST_F(StreamedTransactionsTest, AnAbortedTransactionDeliversNothingAndTheStreamGoesOn) {
  feed(stream_start(900, true));
  feed(streamed(900, pg::insert(1, {"1", "a"})));
  feed(streamed(902, pg::insert(1, {"2", "b"})));
  feed(stream_stop());
  feed(stream_abort(900, 900));
  EXPECT_FALSE(streams_.open());
  feed(pg::begin(0x900, 905));
  feed(pg::insert(1, {"5", "whole"}));
  feed(pg::commit(0x900, 0x940));
  EXPECT_EQ(take(), (std::vector<Row>{{"905 900/0 5", true}}));
}

TEST_F(StreamedTransactionsTest, ATransactionWithNothingStreamedStillMovesThePositionOn) {
  feed(stream_commit(907, 0xA00, 0xA40));
  Batch batch;
  std::string checkpoint;
  batcher_.seal();
  ASSERT_TRUE(batcher_.next(batch, checkpoint));
  EXPECT_EQ(batch.rows(), 0u);
  EXPECT_EQ(checkpoint, R"({"commit_lsn":"0/A00","index":0,"end_lsn":"0/A40"})");
}

TEST_F(StreamedTransactionsTest, AStreamPostgresSentDecodesWithItsSubtransactionsUpdate) {
  std::string input = test::read_file(std::string(WEIR_SOURCE_DIR) + "/tests/fuzz/corpus/pgoutput/streamed_transaction");
  for (std::size_t at = 0; at + 2 <= input.size();) {
    std::size_t length = static_cast<std::uint8_t>(input[at]) << 8 | static_cast<std::uint8_t>(input[at + 1]);
    feed(input.substr(at + 2, length));
    at += 2 + length;
  }
  EXPECT_EQ(take(), (std::vector<Row>{{"729 19944A8/0 1", false},
                                      {"729 19944A8/1 2", false},
                                      {"729 19944A8/2 3", false},
                                      {"729 19944A8/3 1999", false},
                                      {"729 19944A8/4 2000", false},
                                      {"729 19944A8/5 1", true}}));
}

// Every row of the batches `batcher` passes on, as "op after | before | unsent columns".
std::string dump_rows(ChangeBatcher& batcher) {
  batcher.seal();
  std::string out;
  Batch batch;
  std::string checkpoint;
  while (batcher.next(batch, checkpoint))
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      out += std::string(to_string(batch.op(r)));
      for (std::size_t c = 0; c < batch.width(); ++c)
        out += " " + (batch.at(r, c).is_null() ? std::string("NULL") : batch.at(r, c).to_text());
      out += " |";
      for (const Value& v : batch.before(r)) out += " " + (v.is_null() ? std::string("NULL") : v.to_text());
      out += " |";
      for (std::size_t c = 0; c < batch.width(); ++c)
        if (!batch.sent(r, c)) out += " " + batch.schema()[c].name;
      out += "\n";
    }
  return out;
}

const std::vector<pg::Col> kTyped{{"id", 20, true}, {"note", 25}, {"amount", 1700}, {"at", 1184}, {"doc", 3802}};
const std::vector<std::string> kTypedChanges{
    pg::insert(2, {"1", "ünï", "12345678901234567890.1234567890", "2026-01-01 10:00:00.000001+02", R"({"a": [1, 2.50]})"}),
    pg::insert(2, {"2", std::nullopt, "-0.5", std::nullopt, std::nullopt}),
    pg::update(2, {"1", pg::kUnchanged, "7", "2026-01-01 00:00:00+00", pg::kUnchanged}, 'O',
               {"1", "ünï", "12345678901234567890.1234567890", "2026-01-01 10:00:00.000001+02", R"({"a": [1, 2.50]})"}),
    pg::update(2, {"3", "moved", "1", std::nullopt, "[]"}, 'K', {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt}),
    pg::remove(2, {"3", std::nullopt, std::nullopt, std::nullopt, std::nullopt}),
};
const std::string kTypedRows =
    "insert 1 ünï 12345678901234567890.1234567890 2026-01-01 08:00:00.000001+00:00 {\"a\": [1, 2.50]} | |\n"
    "insert 2 NULL -0.5 NULL NULL | |\n"
    "update 1 NULL 7 2026-01-01 00:00:00+00:00 NULL | 1 ünï 12345678901234567890.1234567890 2026-01-01 08:00:00.000001+00:00 "
    "{\"a\": [1, 2.50]} | note doc\n"
    "update 3 moved 1 NULL [] | 2 NULL NULL NULL NULL |\n"
    "delete 3 NULL NULL NULL NULL | 3 NULL NULL NULL NULL |\n";

// A streamed transaction's changes are stored with their cells read already: what reaches the
// output is what the same changes sent whole give — values, before images, cells not sent.
TEST_F(StreamedTransactionsTest, AStreamedTransactionsCellsReadAheadAreThoseOfTheSameChangesSentWhole) {
  PgOutputDecoder whole_decoder;
  ChangeBatcher whole{ChangeFilter{}, 100, std::nullopt};
  auto feed_whole = [&](const std::string& m) { whole.feed(whole_decoder, whole_decoder.decode(m)); };
  feed_whole(pg::begin(0x800, 900));
  feed_whole(pg::relation(2, "public", "typed", kTyped));
  for (const std::string& change : kTypedChanges) feed_whole(change);
  feed_whole(pg::commit(0x800, 0x840));
  EXPECT_EQ(dump_rows(whole), kTypedRows);

  feed(stream_start(900, true));
  feed(streamed(900, pg::relation(2, "public", "typed", kTyped)));
  for (std::size_t i = 0; i < kTypedChanges.size(); ++i) {
    feed(streamed(i == 1 ? 902 : 900, kTypedChanges[i]));
    if (i == 2) feed(stream_stop()), feed(stream_start(900, false));
  }
  feed(streamed(903, pg::insert(2, {"9", "rolled back", "9", std::nullopt, std::nullopt})));
  feed(stream_stop());
  feed(stream_abort(900, 903));
  EXPECT_EQ(dump_rows(batcher_), "");
  feed(stream_commit(900, 0x800, 0x840));
  EXPECT_EQ(dump_rows(batcher_), kTypedRows);
}

// A cell that cannot be read fails the transaction at its commit, as one sent whole would fail;
// an aborted transaction's bad cell fails nothing.
TEST_F(StreamedTransactionsTest, ACellThatCannotBeReadFailsAtTheCommitNotBeforeAndNotIfAborted) {
  // A point (OID 600) in binary form, which weir does not read.
  const std::string point = Message('I').u32(3).u8('N').u16(2).u8('t').u32(1).bytes("1").u8('b').u32(16).bytes(
      std::string(16, '\0'));
  auto bad_transaction = [&](std::uint32_t xid) {
    feed(stream_start(xid, true));
    feed(streamed(xid, pg::relation(3, "public", "shapes", {{"id", 20, true}, {"p", 600}})));
    feed(streamed(xid, point));
    feed(stream_stop());
  };
  bad_transaction(900);
  feed(stream_abort(900, 900));
  bad_transaction(901);
  EXPECT_EQ(dump_rows(batcher_), "");
  try {
    feed(stream_commit(901, 0x900, 0x940));
    FAIL() << "the bad cell was not read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    EXPECT_NE(std::string(e.what()).find("column `p` (type OID 600) came in binary form"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace weir::cdc
