// Where a change stream stands, as a pipeline checkpoint: the commit LSN of a transaction and
// the index of its last change delivered, plus the transaction's end LSN once all of it was.
//
//   {"commit_lsn":"0/16B3748","index":3,"end_lsn":"0/16B3780"}
//
// A restart skips what the position covers. Only a whole transaction's end is confirmed to the
// server: a transaction cut off part-way is sent again from its start, and its first changes
// are skipped by index.
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

  // Whether the change at (commit_lsn, index) was delivered up to this position.
  bool covers(Lsn change_commit_lsn, std::uint64_t change_index) const noexcept {
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
