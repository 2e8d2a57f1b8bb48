#include "sync/ranged_read.hpp"

#include <fmt/format.h>

namespace weir::sync {

bool RangedRead::read(Batch& out) {
  std::optional<RangeFeed::Piece> piece = feed_->next(lane_);
  if (!piece) {
    state_ = feed_->stopped_early() ? State::interrupted : State::run_ended;
    out.clear();
    return false;
  }
  std::swap(out, piece->rows);
  feed_->give_back(std::move(piece->rows));
  return true;
}

pipeline::Identity RangedRead::identity() const {
  const RangeFeedOptions& o = feed_->options();
  if (o.by_blocks) return {{"connection", o.source.identity()}, {"query", o.plan.query}, {"block ranges", "ctid"}};
  return {{"connection", o.source.identity()},
          {"query", o.plan.query},
          {"key ranges", fmt::format("{}", fmt::join(o.plan.key, ","))}};
}

std::string RangedRead::position_of(const Batch& rows, std::size_t row) const {
  std::string out = "{";
  for (const std::string& column : feed_->options().plan.key) {
    auto index = rows.schema().find(column);
    if (out.size() > 1) out += ',';
    append_json_string(out, column);
    out += ':';
    if (index) rows.at(row, *index).append_json(out);
    else out += "null";
  }
  return out + "}";
}

}  // namespace weir::sync
