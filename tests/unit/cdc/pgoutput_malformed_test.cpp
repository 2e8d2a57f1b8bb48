// The pgoutput decoder against the malformed messages its fuzz target (tests/fuzz/pgoutput.cpp)
// found: counts that promise more than the message holds, times out of range, and a refused
// stream message that must leave the decoder as it was.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "cdc/pgoutput_decoder.hpp"
#include "unit/cdc/pgoutput_messages.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

using test::pgoutput::Message;

std::string error_of(PgOutputDecoder& d, const std::string& bytes) {
  try {
    d.decode(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    return e.what();
  }
  return "no error";
}

// A count is checked against the bytes left before anything is sized by it: a Truncate of a
// few bytes once asked for 4 bytes per relation it claimed (16 GiB for 0xFFFFFFFF).
TEST(PgOutputDecoderMalformed, CountsLargerThanTheMessageAreRefusedBeforeAllocating) {
  PgOutputDecoder d;
  EXPECT_EQ(error_of(d, Message('T').u32(0x0100'0000).u8(0)),
            "pgoutput message 'T' (6 bytes) is malformed at byte 6: 16777216 relations in 0 bytes");
  EXPECT_EQ(error_of(d, Message('T').u32(3).u8(0).u32(7).u32(8)),
            "pgoutput message 'T' (14 bytes) is malformed at byte 6: 3 relations in 8 bytes");
  EXPECT_EQ(error_of(d, Message('R').u32(1).str("public").str("t").u8('d').u16(0xFFFF)),
            "pgoutput message 'R' (17 bytes) is malformed at byte 17: 65535 columns in 0 bytes");
  EXPECT_EQ(error_of(d, Message('I').u32(7).u8('N').u16(3).u8('n').u8('n')),
            "pgoutput message 'I' (10 bytes) is malformed at byte 8: 3 cells in 2 bytes");
  // What fits is still read.
  ASSERT_EQ(d.decode(Message('T').u32(2).u8(0).u32(7).u32(8)), MessageKind::truncate);
  EXPECT_EQ(d.truncate().relations, (std::vector<std::uint32_t>{7, 8}));
}

// A time is microseconds since 2000-01-01 in the message; shifted to the Unix epoch it must
// still fit (the shift overflowed: undefined behaviour, UBSan's report in the fuzz target).
TEST(PgOutputDecoderMalformed, TimesOutOfRangeAreRefused) {
  PgOutputDecoder d;
  EXPECT_EQ(error_of(d, Message('B').u64(1).u64(0x7FFF'FFFF'FFFF'FFFF).u32(5)),
            "pgoutput message 'B' (21 bytes) is malformed at byte 17: a time out of range");
  EXPECT_EQ(error_of(d, Message('C').u8(0).u64(1).u64(2).u64(0x7FFF'0000'0000'0000)),
            "pgoutput message 'C' (26 bytes) is malformed at byte 26: a time out of range");
  // The latest time that fits, and the earliest.
  ASSERT_EQ(d.decode(Message('B').u64(1).u64(0x7FFF'FFFF'FFFF'FFFF - kPostgresEpochMicros).u32(5)),
            MessageKind::begin);
  EXPECT_EQ(d.begin().commit_time, INT64_MAX);
  ASSERT_EQ(d.decode(Message('B').u64(1).u64(0x8000'0000'0000'0000).u32(5)), MessageKind::begin);
  EXPECT_EQ(d.begin().commit_time, INT64_MIN + kPostgresEpochMicros);
}

// A Stream Start or Stop with bytes left over is refused whole: the decoder neither opens nor
// closes a stream for it, so the next message is read as it would have been.
TEST(PgOutputDecoderMalformed, ARefusedStreamStartOrStopLeavesTheStreamAsItWas) {
  PgOutputDecoder d;
  EXPECT_EQ(error_of(d, Message('S').u32(900).u8(1).u8(0)),
            "pgoutput message 'S' (7 bytes) is malformed at byte 6: 1 bytes left over");
  EXPECT_EQ(d.streamed_xid(), 0u);
  ASSERT_EQ(d.decode(Message('Y').u32(16400).str("public").str("mood")), MessageKind::type);

  ASSERT_EQ(d.decode(Message('S').u32(900).u8(1)), MessageKind::stream_start);
  EXPECT_EQ(error_of(d, Message('E').u8(0)),
            "pgoutput message 'E' (2 bytes) is malformed at byte 1: 1 bytes left over");
  EXPECT_EQ(d.streamed_xid(), 900u);
  ASSERT_EQ(d.decode(Message('E')), MessageKind::stream_stop);
  EXPECT_EQ(d.streamed_xid(), 0u);
}

}  // namespace
}  // namespace weir::cdc
