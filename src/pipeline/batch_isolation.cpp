// Setting rejected rows aside: a batch the target rejected is written again under savepoints
// in runs that shrink around the bad rows, each of which becomes a dead letter with its own
// error, while every good row commits.
#include <algorithm>

#include "core/text.hpp"
#include "pipeline/commit_engine.hpp"

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
void CommitEngine::write_isolating(const Batch& rows, std::size_t& run, std::vector<DeadLetter>& letters) {
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
      if (n == 1) letters.push_back({policy_.path, e.kind(), e.what(), sink_->record_json(rows, at++), e.code()});
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
