// The input of one writer (lane) of a full sync read in ranges: the pieces of its ranges, as
// the shared readers of range_feed.hpp hand them on. A sync of a table with a primary key reads
// key ranges and resumes them; a PostgreSQL table without one is read in ctid ranges by one
// writer, none resumed (block_ranges.hpp).
//
// The checkpoint is every range's end and the key of the last row handed on of each of the
// lane's own ranges (key_ranges.hpp): committed with each batch of the lane's rows, so a sync
// cut off anywhere (kill -9) resumes each range after its last committed row, never reading
// again what a finished range held. sync.cpp merges the lanes' checkpoints before the run
// (RangeFeed::set_ranges): restore() has nothing left to do.
#pragma once

#include <memory>

#include "pipeline/module.hpp"
#include "sync/range_feed.hpp"

namespace weir::sync {

class RangedRead final : public pipeline::Input {
 public:
  RangedRead(std::shared_ptr<RangeFeed> feed, std::size_t lane) : feed_(std::move(feed)), lane_(lane) {}

  void restore(std::string_view) override {}
  void open(const pipeline::RunOptions& options) override { feed_->open(options.stop); }
  bool read(Batch& out) override;
  void close() noexcept override { feed_->close(lane_); }
  State state() const noexcept override { return state_; }
  std::string checkpoint() const override { return feed_->checkpoint(lane_); }
  bool source_forgets_committed() const noexcept override { return false; }
  pipeline::Identity identity() const override;
  std::string position_of(const Batch& rows, std::size_t row) const override;

 private:
  std::shared_ptr<RangeFeed> feed_;
  std::size_t lane_;
  State state_ = State::reading;
};

}  // namespace weir::sync
