// The checkpoint postgres_cdc saves while `snapshot: initial` copies the tables: it round-trips,
// covers no change and confirms nothing, so a run that finds it copies again (cdc/snapshot.hpp).
#include <gtest/gtest.h>

#include "cdc/stream_position.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

TEST(SnapshotPosition, RoundTripsAndCoversNoChange) {
  StreamPosition copying{.commit_lsn = 0x16B3748, .index = 0, .end_lsn = std::nullopt, .snapshot = true};
  EXPECT_EQ(encode_position(copying), R"({"commit_lsn":"0/16B3748","index":0,"snapshot":true})");
  EXPECT_EQ(decode_position(encode_position(copying)), copying);
  EXPECT_FALSE(copying.covers(0x100, 0)) << "a change before the consistent point is never in the stream anyway";
  EXPECT_FALSE(copying.covers(0x16B3748, 0));
  EXPECT_FALSE(copying.end_lsn) << "nothing to confirm to the server";

  // The stream's start, saved once every row is committed: a whole "transaction" ending at
  // the consistent point, as a slot created there would confirm.
  StreamPosition start = decode_position(R"({"commit_lsn":"0/16B3748","index":0,"end_lsn":"0/16B3748"})");
  EXPECT_FALSE(start.snapshot);
  EXPECT_FALSE(start.covers(0x16B3748, 0)) << "a transaction committing at the consistent point is streamed";
  EXPECT_EQ(start.resume_lsn(), 0x16B3748u);
}

TEST(SnapshotPosition, RefusesASnapshotFlagThatIsNotTrueOrFalse) {
  try {
    decode_position(R"({"commit_lsn":"0/10","index":0,"snapshot":"yes"})");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "the saved position `{\"commit_lsn\":\"0/10\",\"index\":0,\"snapshot\":\"yes\"}` is not a "
                           "postgres_cdc position (snapshot is not true or false); run with --reset to start over");
  }
}

}  // namespace
}  // namespace weir::cdc
