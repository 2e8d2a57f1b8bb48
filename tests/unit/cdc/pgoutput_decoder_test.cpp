// The pgoutput decoder against messages built byte by byte from the protocol's documentation:
// every message kind, tuples with NULL, unchanged TOAST and text cells, the v2 streamed
// block's transaction ids, and malformed input refused with a message naming where.
#include "cdc/pgoutput_decoder.hpp"

#include <gtest/gtest.h>

#include "cdc/lsn.hpp"
#include "unit/cdc/pgoutput_messages.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

namespace pg = test::pgoutput;
using pg::Message;

constexpr std::int64_t kUnixCommitTime = 1'796'551'200'123'456;  // 2026-12-06 10:00:00.123456 UTC

TEST(Lsn, PrintsAndReadsAsPgLsnDoes) {
  EXPECT_EQ(format_lsn(0x16B3748), "0/16B3748");
  EXPECT_EQ(format_lsn(0x1600000000ull | 0xB374D848u), "16/B374D848");
  EXPECT_EQ(parse_lsn("16/B374D848"), 0x16B374D848ull);
  EXPECT_EQ(parse_lsn("0/0"), 0u);
  EXPECT_EQ(parse_lsn("0/16b3748"), 0x16B3748u);
  EXPECT_FALSE(parse_lsn("16B3748"));
  EXPECT_FALSE(parse_lsn("0/"));
  EXPECT_FALSE(parse_lsn("1/123456789"));
  EXPECT_FALSE(parse_lsn("x/1"));
}

TEST(PgOutputDecoder, BeginAndCommitCarryLsnsXidAndUnixTime) {
  PgOutputDecoder d;
  ASSERT_EQ(d.decode(pg::begin(0x16B3748, 743)), MessageKind::begin);
  EXPECT_EQ(d.begin().final_lsn, 0x16B3748u);
  EXPECT_EQ(d.begin().xid, 743u);
  EXPECT_EQ(d.begin().commit_time, kUnixCommitTime);
  ASSERT_EQ(d.decode(pg::commit(0x16B3748, 0x16B3780)), MessageKind::commit);
  EXPECT_EQ(d.commit().commit_lsn, 0x16B3748u);
  EXPECT_EQ(d.commit().end_lsn, 0x16B3780u);
  EXPECT_EQ(d.commit().commit_time, kUnixCommitTime);
}

TEST(PgOutputDecoder, RelationNamesColumnsTypesModifiersAndKey) {
  PgOutputDecoder d;
  ASSERT_EQ(d.decode(pg::relation(16385, "public", "orders",
                                  {{"id", 20, true}, {"total", 1700, false, (12 << 16 | 2) + 4}, {"note", 25}}, 'f')),
            MessageKind::relation);
  const RelationMessage& r = d.relation();
  EXPECT_EQ(r.id, 16385u);
  EXPECT_EQ(r.schema, "public");
  EXPECT_EQ(r.name, "orders");
  EXPECT_EQ(r.replica_identity, 'f');
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_EQ(r.columns[0], (RelationColumn{"id", 20, -1, true}));
  EXPECT_EQ(r.columns[1], (RelationColumn{"total", 1700, (12 << 16 | 2) + 4, false}));
  EXPECT_EQ(r.columns[2], (RelationColumn{"note", 25, -1, false}));
}

TEST(PgOutputDecoder, InsertCellsAreTextNullOrUnchanged) {
  PgOutputDecoder d;
  const std::string message = pg::insert(7, {"42", std::nullopt, pg::kUnchanged, ""});  // cells view into it
  ASSERT_EQ(d.decode(message), MessageKind::change);
  const ChangeMessage& c = d.change();
  EXPECT_EQ(c.op, ChangeOp::insert);
  EXPECT_EQ(c.relation, 7u);
  EXPECT_EQ(c.old_kind, 0);
  ASSERT_EQ(c.new_tuple.size(), 4u);
  EXPECT_EQ(c.new_tuple[0].kind, CellKind::text);
  EXPECT_EQ(c.new_tuple[0].data, "42");
  EXPECT_EQ(c.new_tuple[1].kind, CellKind::null);
  EXPECT_EQ(c.new_tuple[2].kind, CellKind::unchanged);
  EXPECT_EQ(c.new_tuple[3].kind, CellKind::text);
  EXPECT_EQ(c.new_tuple[3].data, "");
}

TEST(PgOutputDecoder, UpdateWithOldKeyWithWholeOldRowAndWithoutEither) {
  PgOutputDecoder d;
  std::string message = pg::update(7, {"8", "b"}, 'K', {"7", std::nullopt});  // cells view into it
  d.decode(message);
  EXPECT_EQ(d.change().op, ChangeOp::update);
  EXPECT_EQ(d.change().old_kind, 'K');
  ASSERT_EQ(d.change().old_tuple.size(), 2u);
  EXPECT_EQ(d.change().old_tuple[0].data, "7");
  EXPECT_EQ(d.change().new_tuple[0].data, "8");

  message = pg::update(7, {"7", "c"}, 'O', {"7", "b"});
  d.decode(message);
  EXPECT_EQ(d.change().old_kind, 'O');
  EXPECT_EQ(d.change().old_tuple[1].data, "b");

  message = pg::update(7, {"7", "d"});
  d.decode(message);
  EXPECT_EQ(d.change().old_kind, 0);
  EXPECT_TRUE(d.change().old_tuple.empty());
  EXPECT_EQ(d.change().new_tuple[1].data, "d");
}

TEST(PgOutputDecoder, DeleteCarriesOnlyTheOldRow) {
  PgOutputDecoder d;
  const std::string message = pg::remove(7, {"7", std::nullopt});
  d.decode(message);
  EXPECT_EQ(d.change().op, ChangeOp::remove);
  EXPECT_EQ(d.change().old_kind, 'K');
  EXPECT_EQ(d.change().old_tuple[0].data, "7");
  EXPECT_TRUE(d.change().new_tuple.empty());
}

TEST(PgOutputDecoder, TruncateListsRelationsAndOptions) {
  PgOutputDecoder d;
  ASSERT_EQ(d.decode(pg::truncate({7, 9}, 3)), MessageKind::truncate);
  EXPECT_EQ(d.truncate().relations, (std::vector<std::uint32_t>{7, 9}));
  EXPECT_TRUE(d.truncate().cascade);
  EXPECT_TRUE(d.truncate().restart_identity);
}

TEST(PgOutputDecoder, OriginTypeAndLogicalMessage) {
  PgOutputDecoder d;
  ASSERT_EQ(d.decode(Message('O').u64(0x100).str("node_a")), MessageKind::origin);
  EXPECT_EQ(d.origin().lsn, 0x100u);
  EXPECT_EQ(d.origin().name, "node_a");
  ASSERT_EQ(d.decode(Message('Y').u32(16400).str("public").str("mood")), MessageKind::type);
  EXPECT_EQ(d.type().oid, 16400u);
  EXPECT_EQ(d.type().name, "mood");
  ASSERT_EQ(d.decode(Message('M').u8(1).u64(0x200).str("weir").u32(3).bytes(std::string("a\0b", 3))),
            MessageKind::message);
  EXPECT_TRUE(d.message().transactional);
  EXPECT_EQ(d.message().lsn, 0x200u);
  EXPECT_EQ(d.message().prefix, "weir");
  EXPECT_EQ(d.message().content, std::string("a\0b", 3));
}

TEST(PgOutputDecoder, StreamedBlockMessagesCarryTheirTransactionId) {
  PgOutputDecoder d;
  ASSERT_EQ(d.decode(Message('S').u32(900).u8(1)), MessageKind::stream_start);
  EXPECT_TRUE(d.stream_start().first_segment);
  EXPECT_EQ(d.streamed_xid(), 900u);
  const std::string streamed = Message('I').u32(900).u32(7).u8('N').u16(1).u8('t').u32(1).bytes("5");
  ASSERT_EQ(d.decode(streamed), MessageKind::change);
  EXPECT_EQ(d.change().new_tuple[0].data, "5");
  EXPECT_EQ(d.message_xid(), 900u);
  // A subtransaction's change (after a SAVEPOINT) carries the subtransaction's id, in the
  // top-level transaction's stream: a Stream Abort may discard it alone.
  // The decoded change views the message's bytes: keep them alive while it is read.
  const std::string subtransaction = Message('I').u32(902).u32(7).u8('N').u16(1).u8('t').u32(1).bytes("6");
  ASSERT_EQ(d.decode(subtransaction), MessageKind::change);
  EXPECT_EQ(d.message_xid(), 902u);
  EXPECT_EQ(d.streamed_xid(), 900u);
  EXPECT_EQ(d.change().new_tuple[0].data, "6");
  ASSERT_EQ(d.decode(Message('E')), MessageKind::stream_stop);
  EXPECT_EQ(d.streamed_xid(), 0u);
  EXPECT_EQ(d.message_xid(), 0u);
  ASSERT_EQ(d.decode(Message('c').u32(900).u8(0).u64(0x300).u64(0x340).u64(0)), MessageKind::stream_commit);
  EXPECT_EQ(d.stream_commit().xid, 900u);
  EXPECT_EQ(d.stream_commit().commit.end_lsn, 0x340u);
  ASSERT_EQ(d.decode(Message('A').u32(901).u32(902)), MessageKind::stream_abort);
  EXPECT_EQ(d.stream_abort().subxid, 902u);
}

TEST(PgOutputDecoder, MalformedMessagesAreDataErrorsNamingThePlace) {
  PgOutputDecoder d;
  auto message_of = [&](const std::string& bytes) {
    try {
      d.decode(bytes);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::data);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of(Message('B').u64(1)), "pgoutput message 'B' (9 bytes) is malformed at byte 9: 8 more bytes expected");
  EXPECT_EQ(message_of(Message('I').u32(7).u8('N').u16(1).u8('x')),
            "pgoutput message 'I' (9 bytes) is malformed at byte 9: unknown column kind 'x'");
  EXPECT_EQ(message_of(Message('R').u32(1).bytes("public")),
            "pgoutput message 'R' (11 bytes) is malformed at byte 5: a string without its terminating NUL");
  EXPECT_EQ(message_of(pg::commit(1, 2) + "!"),
            "pgoutput message 'C' (27 bytes) is malformed at byte 26: 1 bytes left over");
  EXPECT_EQ(message_of(Message('D').u32(7).u8('N').u16(0)),
            "pgoutput message 'D' (8 bytes) is malformed at byte 6: a delete without its old row ('N')");
  EXPECT_EQ(message_of("Z"), "pgoutput message 'Z' (1 bytes) is malformed at byte 1: unknown message kind");
  EXPECT_EQ(message_of(""), "empty pgoutput message");
}

}  // namespace
}  // namespace weir::cdc
