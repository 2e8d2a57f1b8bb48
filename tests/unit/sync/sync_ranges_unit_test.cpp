// weir sync's pieces that need no server: what an existing target column cannot hold
// (bad_values.hpp), the key ranges' checkpoint read back as written (key_ranges.hpp), and the
// block ranges' (block_ranges.hpp).
#include <gtest/gtest.h>

#include <optional>

#include "sync/bad_values.hpp"
#include "sync/block_ranges.hpp"
#include "sync/key_ranges.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

Column integer(std::string type, int bits) { return Column{.name = "n", .type = Type::int64, .native_type = type, .bits = bits}; }

TEST(SyncBadValues, IntegersOutOfTheColumnsRange) {
  const Column small = integer("smallint", 16), tiny_unsigned = integer("tinyint unsigned", 9);
  EXPECT_EQ(misfit(Value(std::int64_t{32767}), small), "");
  EXPECT_EQ(misfit(Value(std::int64_t{-32768}), small), "");
  EXPECT_EQ(misfit(Value(std::int64_t{32768}), small), "32768 is out of the range of smallint (-32768 to 32767)");
  EXPECT_EQ(misfit(Value(std::int64_t{-32769}), small), "-32769 is out of the range of smallint (-32768 to 32767)");
  EXPECT_EQ(misfit(Value(std::int64_t{255}), tiny_unsigned), "");
  EXPECT_EQ(misfit(Value(std::int64_t{-1}), tiny_unsigned), "-1 is out of the range of tinyint unsigned (0 to 255)");
  // An unsigned 64-bit source value arrives as a decimal.
  EXPECT_EQ(misfit(Value(Decimal{"18446744073709551615"}), integer("integer", 32)),
            "18446744073709551615 is out of the range of integer (-2147483648 to 2147483647)");
  EXPECT_EQ(misfit(Value(Decimal{"4294967295"}), integer("int unsigned", 33)), "");
  EXPECT_EQ(misfit(Value(Decimal{"2.5"}), small), "2.5 has a fraction, which smallint cannot hold");
  EXPECT_EQ(misfit(Value(std::int64_t{1} << 40), integer("bigint", 64)), "");
}

TEST(SyncBadValues, DecimalsWithMoreIntegerDigitsThanThePrecisionLeaves) {
  const Column price{.name = "p", .type = Type::decimal, .native_type = "numeric(5,2)", .precision = 5, .scale = 2};
  EXPECT_EQ(misfit(Value(Decimal{"999.99"}), price), "");
  EXPECT_EQ(misfit(Value(Decimal{"-000999.5"}), price), "");
  EXPECT_EQ(misfit(Value(Decimal{"1000"}), price), "1000 has 4 digit(s) before the point, numeric(5,2) leaves 3");
  EXPECT_EQ(misfit(Value(std::int64_t{-12345}), price), "-12345 has 5 digit(s) before the point, numeric(5,2) leaves 3");
  // Digits past the scale are the bulk writers' to refuse (column_rounding.hpp).
  EXPECT_EQ(misfit(Value(Decimal{"1.005"}), price), "");
}

TEST(SyncBadValues, TextsLongerThanTheColumnInCharacters) {
  const Column code{.name = "c", .type = Type::text, .native_type = "varchar(3)", .length = 3};
  EXPECT_EQ(misfit(Value(std::string("\xF0\x9F\x98\x80\xC3\xBC" "a")), code), "");  // 3 characters, 7 bytes
  EXPECT_EQ(misfit(Value(std::string("abcd")), code), "a text of 4 characters is longer than varchar(3) holds");
}

TEST(SyncKeyRanges, CheckpointReadsBackAsWritten) {
  KeyRanges ranges;
  ranges.ends = {{Value(std::string("b")), Value(std::int64_t{7})}, {}};
  ranges.reached = {{}, {Value(std::string("c")), Value(std::int64_t{-2})}};
  std::string text = encode_key_ranges(ranges, 2);
  KeyRanges back = decode_key_ranges(text, 2);
  EXPECT_EQ(back.ends, ranges.ends);
  EXPECT_EQ(back.reached, ranges.reached);
  EXPECT_TRUE(back.after(0).empty());
  EXPECT_EQ(back.after(1), ranges.ends[0]);
  EXPECT_EQ(back.resume_after(0), std::vector<Value>{});
  EXPECT_EQ(back.resume_after(1), ranges.reached[1]);
  // Made for a key of another width, or by sql_poll: refused, naming --reset.
  try {
    decode_key_ranges(text, 1);
    FAIL() << "a checkpoint of two key columns was read for one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--reset"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_key_ranges(R"([["int64","42"]])", 1), Error);
}

KeyRanges three_ranges_reached() {
  KeyRanges ranges;
  ranges.ends = {{Value(std::int64_t{100})}, {Value(std::int64_t{200})}, {}};
  ranges.reached = {{Value(std::int64_t{50})}, {Value(std::int64_t{150})}, {Value(std::int64_t{250})}};
  return ranges;
}

// Several writers (range_feed.hpp): range i is writer i % 2's, and a writer's checkpoint holds
// only its own ranges' positions — another's may not be committed yet.
TEST(SyncKeyRanges, AWritersCheckpointHoldsOnlyItsOwnRangesPositions) {
  const KeyRanges ranges = three_ranges_reached();
  std::size_t lanes = 0;
  KeyRanges first = decode_key_ranges(encode_key_ranges(ranges, 1, {.lane = 0, .lanes = 2}), 1, &lanes);
  EXPECT_EQ(lanes, 2u);
  EXPECT_EQ(first.ends, ranges.ends);
  EXPECT_EQ(first.reached, (std::vector<std::vector<Value>>{{Value(std::int64_t{50})}, {}, {Value(std::int64_t{250})}}));
  KeyRanges second = decode_key_ranges(encode_key_ranges(ranges, 1, {.lane = 1, .lanes = 2}), 1, &lanes);
  EXPECT_EQ(second.reached, (std::vector<std::vector<Value>>{{}, {Value(std::int64_t{150})}, {}}));
  // One writer's checkpoint is weir's before writers: read back as one lane's.
  decode_key_ranges(encode_key_ranges(ranges, 1), 1, &lanes);
  EXPECT_EQ(lanes, 1u);
}

TEST(SyncKeyRanges, WritersCheckpointsMergeEachRangeFromItsOwnWriter) {
  const KeyRanges ranges = three_ranges_reached();
  KeyRanges merged = merge_lane_checkpoints({encode_key_ranges(ranges, 1, {.lane = 0, .lanes = 2}),
                                             encode_key_ranges(ranges, 1, {.lane = 1, .lanes = 2})},
                                            1);
  EXPECT_EQ(merged.ends, ranges.ends);
  EXPECT_EQ(merged.reached, ranges.reached);
  // A writer that stored nothing yet: its ranges start from their beginning.
  merged = merge_lane_checkpoints({encode_key_ranges(ranges, 1, {.lane = 0, .lanes = 2}), std::nullopt}, 1);
  EXPECT_EQ(merged.resume_after(1), ranges.ends[0]);
  EXPECT_EQ(merged.resume_after(2), std::vector<Value>{Value(std::int64_t{250})});
  // Writers of other ranges, or of another number of writers: refused, naming --reset.
  KeyRanges other = ranges;
  other.ends[0] = {Value(std::int64_t{99})};
  for (const auto& lanes : std::vector<std::vector<std::optional<std::string>>>{
           {encode_key_ranges(ranges, 1, {.lane = 0, .lanes = 2}), encode_key_ranges(other, 1, {.lane = 1, .lanes = 2})},
           {encode_key_ranges(ranges, 1, {.lane = 0, .lanes = 3}), std::nullopt}}) {
    try {
      merge_lane_checkpoints(lanes, 1);
      ADD_FAILURE() << "disagreeing checkpoints were merged";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--reset"), std::string::npos) << e.what();
    }
  }
}

TEST(SyncBlockRanges, CheckpointReadBackAndNothingElseTakenForOne) {
  EXPECT_EQ(decode_block_checkpoint(encode_block_checkpoint(true)), std::optional<bool>(true));
  EXPECT_EQ(decode_block_checkpoint(encode_block_checkpoint(false)), std::optional<bool>(false));
  KeyRanges keys;
  keys.ends = {{}};
  keys.reached = {{}};
  EXPECT_EQ(decode_block_checkpoint(encode_key_ranges(keys, 1)), std::nullopt);
  EXPECT_EQ(decode_block_checkpoint("not a checkpoint"), std::nullopt);
}

}  // namespace
}  // namespace weir::sync
