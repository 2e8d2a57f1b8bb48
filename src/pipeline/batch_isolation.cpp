// Setting rejected rows aside: a batch the target rejected is written again under savepoints
// in runs that shrink around the bad rows, each of which becomes a dead letter with its own
// error, while every good row commits.
#include <algorithm>

#include <fmt/format.h>

#include "core/text.hpp"
#include "pipeline/commit_engine.hpp"
#include "weir/log.hpp"

namespace weir::pipeline {

namespace {
constexpr std::string_view kRowsSavepoint = "weir_rows";
}  // namespace

std::string row_json(const Batch& rows, std::size_t row, const std::vector<std::string>* names) {
  std::string json = "{";
  for (std::size_t c = 0; c < rows.width(); ++c) {
    if (c) json += ',';
    append_json_string(json, names ? (*names)[c] : rows.schema()[c].name);
    json += ':';
    rows.at(row, c).append_json(json);
  }
  json += '}';
  return json;
}

// Writes `rows` in runs under a savepoint, each rejected row becoming a dead letter. A run
// that succeeds doubles the next one; a rejected run is rolled back and halved, down to the
// one bad row. So a batch with a few bad rows costs a few dozen writes, and one where every
// row is bad one single-row write per row: the savepoint stays set across rejected rows, and
// the sink stays usable after a failed write (BulkWriter's contract). `run` carries the size
// reached over to the batch's next chunk. A sink without transactions has no savepoints: the
// rows of a rejected run that it took before the bad one are written again (at least once).
void CommitEngine::write_isolating(const Batch& rows, std::size_t& run, std::vector<DeadLetter>& letters,
                                   std::size_t kept) {
  const Origin& origin = origins_[kept];
  const Batch& read = origin.source ? *origin.source : *pending_[kept];
  bool savepoint_set = false;
  for (std::size_t at = 0; at < rows.rows();) {
    const std::size_t n = std::min(run, rows.rows() - at);
    if (!savepoint_set) sink_->savepoint(kRowsSavepoint);
    savepoint_set = true;
    try {
      pending_counts_ += sink_->write(slice_of(rows, at, at + n));
    } catch (const Error& e) {
      if (!is_row_error(e)) throw;
      sink_->rollback_to_savepoint(kRowsSavepoint);
      if (n == 1) {
        const std::size_t read_row = origin.rows.empty() ? at : origin.rows[at];
        if (!rejections_logged_) log_rejected_row(e, rows, at, read, read_row);
        letters.push_back({policy_.path, e.kind(), e.what(), sink_->record_json(rows, at), e.code()});
        letters.back().origin = read_row < read.rows() ? &read : nullptr;  // else a filter lost it
        letters.back().origin_row = read_row;
        ++at;
      }
      run = std::max<std::size_t>(1, n / 2);
      continue;
    }
    sink_->release_savepoint(kRowsSavepoint);
    savepoint_set = false;
    at += n;
    run = n < kWholeChunk / 2 ? n * 2 : kWholeChunk;
  }
  if (savepoint_set) sink_->release_savepoint(kRowsSavepoint);
}

// The run's first rejected row, in one line: a rerun into a table that holds the rows rejects
// every row, and the progress lines and the summary count the rest.
void CommitEngine::log_rejected_row(const Error& e, const Batch& rows, std::size_t row, const Batch& read,
                                    std::size_t read_row) {
  rejections_logged_ = true;
  std::string key = sink_->row_key(rows, row);
  std::string position = read_row < read.rows() ? dead_->position_of(read, read_row) : std::string();
  log::warn(fmt::format("{}: table `{}` rejected the row{}{}: {}; it goes to the dead letters, as do later rejected "
                        "rows (counted in the progress lines and the summary)",
                        policy_.path, sink_->target_of(rows), key.empty() ? "" : " with key " + key,
                        position.empty() ? "" : " (source position " + position + ")", e.what()));
}

const Batch& CommitEngine::slice_of(const Batch& rows, std::size_t begin, std::size_t end) {
  if (begin == 0 && end == rows.rows()) return rows;
  slice_.reset(rows.schema_ptr());
  const bool changes = rows.has_changes();
  for (std::size_t r = begin; r < end; ++r) {
    slice_.append_row(rows.row(r));
    if (changes) slice_.carry_change(rows, r);  // a slice's rows stay what they were
  }
  return slice_;
}

}  // namespace weir::pipeline
