// Where a change stream stands, as a pipeline checkpoint: the commit LSN of a transaction and
// the index of its last change delivered, plus the transaction's end LSN once all of it was.
//
//   {"commit_lsn":"0/16B3748","index":3,"end_lsn":"0/16B3780"}
//
// A restart skips what the position covers. Only a whole transaction's end is confirmed to the
// server: a transaction cut off part-way is sent again from its start, and its first changes
// are skipped by index.
//
// While `snapshot: initial` copies the tables' existing rows, the checkpoint says so, with the
// slot's consistent point, where the stream will start once every row is committed:
//
//   {"commit_lsn":"0/16B3748","index":0,"snapshot":true}
//
// It covers no change and confirms nothing: a run that finds it copies the tables again
// (cdc/snapshot.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cdc/lsn.hpp"

namespace weir::cdc {

struct StreamPosition {
  Lsn commit_lsn = 0;
  std::uint64_t index = 0;
  std::optional<Lsn> end_lsn;  // set once the whole transaction was delivered
  bool snapshot = false;       // the initial snapshot is being copied; commit_lsn: the slot's consistent point

  // Whether the change at (commit_lsn, index) was delivered up to this position.
  bool covers(Lsn change_commit_lsn, std::uint64_t change_index) const noexcept {
    if (snapshot) return false;
    if (end_lsn) return change_commit_lsn < *end_lsn;
    return change_commit_lsn < commit_lsn || (change_commit_lsn == commit_lsn && change_index <= index);
  }
  // The furthest LSN the server may forget: no change after it is covered.
  Lsn resume_lsn() const noexcept { return end_lsn ? *end_lsn : commit_lsn; }
  bool operator==(const StreamPosition&) const = default;
};

std::string encode_position(const StreamPosition& position);
// Throws Error{config} when `text` is no position encode_position made.
StreamPosition decode_position(std::string_view text);

}  // namespace weir::cdc
