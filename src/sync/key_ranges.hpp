// A table cut into ranges of its primary key, for a full sync read by several readers at once
// (--jobs), and how far the rows committed in the target reach into each.
//
// Range i holds the rows whose key is after ends[i-1] (range 0: from the first row) up to
// ends[i] included (the last range: to the end). The ends are fixed when the sync starts and
// kept with the positions in the sync's checkpoint, so a sync cut off resumes each range after
// its last committed row — a range read to its end reads nothing again — whatever rows the
// table gained or lost meanwhile.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/table_plan.hpp"
#include "weir/db/connection.hpp"

namespace weir::sync {

struct KeyRanges {
  std::vector<std::vector<Value>> ends;     // per range: its last key; the last range's is empty
  std::vector<std::vector<Value>> reached;  // per range: the key of its last row committed; empty: none yet

  std::size_t size() const noexcept { return ends.size(); }
  // The key range i's rows come after; empty: from the first row.
  const std::vector<Value>& after(std::size_t i) const { return i == 0 ? kNone : ends[i - 1]; }
  // Where range i's reading goes on: after its last committed row, or after the range before.
  const std::vector<Value>& resume_after(std::size_t i) const { return reached[i].empty() ? after(i) : reached[i]; }

 private:
  static inline const std::vector<Value> kNone{};
};

// Rows a range holds at least: fewer make one range (its reads are a few pages anyway).
inline constexpr std::int64_t kRowsPerRange = 50000;

// Cuts the plan's source table into at most `most` ranges of about equal rows, reading it on
// `source` (in the snapshot the readers share): by the values between the least and the
// greatest key of a one-column integer key, else by the keys of the rows at equal steps of the
// table's row count.
KeyRanges plan_key_ranges(db::Connection& source, const TablePlan& plan, const std::string& where, std::size_t most);

// Which writer a checkpoint is of, when several fill the table (range_feed.hpp): range i is
// lane i % lanes's, and a lane's checkpoint holds every range's end but only its own ranges'
// positions — those its commits made true.
struct Lane {
  std::size_t lane = 0;
  std::size_t lanes = 1;
  bool owns(std::size_t range) const noexcept { return range % lanes == lane; }
};

// The ranges and positions as a checkpoint (checkpoint.hpp's typed values), and back; decoding
// throws Error{config} when `text` was not made for a key of `key_columns` columns. A checkpoint
// of one writer is that of weir before lanes.
std::string encode_key_ranges(const KeyRanges& ranges, std::size_t key_columns, Lane lane = {});
KeyRanges decode_key_ranges(std::string_view text, std::size_t key_columns, std::size_t* lanes = nullptr);

// The ranges of a sync from its lanes' checkpoints (index: lane; nullopt: a lane that stored
// none, whose ranges start from their beginning): each range's position from its own lane's.
// Throws Error{config} when they disagree on the ranges or on the number of lanes.
KeyRanges merge_lane_checkpoints(const std::vector<std::optional<std::string>>& lanes, std::size_t key_columns);

}  // namespace weir::sync
