// Source transactions larger than a batch: a change stream's transaction commits whole in the
// target (commit_engine.hpp), but a 1,000,000-row one must not be held in memory for a replay.
//
// Until `batch.max_rows` rows are pending, they are kept as for any batch: a failure rolls
// back and replays them. Past it the kept rows are handed back, and each later batch streams
// into the still open target transaction under a savepoint, so a row the target rejects is
// set aside (batch_isolation.cpp) without losing the rows before it. What cannot be replayed
// any more — a lost connection, a deadlock, a failed COMMIT — rolls the whole source
// transaction back and stops the pipeline: nothing of it committed, its checkpoint not saved,
// the next run reads it again from its start.
#include <fmt/format.h>

#include "pipeline/commit_engine.hpp"
#include "weir/log.hpp"

namespace weir::pipeline {

// Called after each chunk inside a source transaction (and at its end while unkept).
void CommitEngine::bound_open_transaction() {
  if (!unkept_) {
    if (pending_rows_ < policy_.max_rows) return;
    // A replay was pending (a write failed): written again now, into a transaction left open.
    if (!streaming_) replay_and_commit(false);
    unkept_ = true;
    log::debug(fmt::format("{}: a source transaction passed {} changes; its rows stream on into the open "
                           "transaction without being kept for a replay",
                           policy_.path, pending_rows_));
  }
  recycle_kept();
}

void CommitEngine::stream_unkept(const Batch& batch) {
  std::vector<DeadLetter> letters;
  std::size_t run = kWholeChunk;
  try {
    write_isolating(sink_->shape(batch), run, letters, pending_.size() - 1);  // `batch` is the last kept
  } catch (const Error& e) {
    give_up_unkept(e);
  }
  rejected_in_batch_ += letters.size();
  for (DeadLetter& letter : letters) dead_->add(std::move(letter));
}

void CommitEngine::give_up_unkept(const Error& e) {
  rollback_quietly();
  if (e.kind() == ErrorKind::connection) sink_->disconnect();
  Error stop(e);
  note_if_full(stop);
  throw stop.add_context(fmt::format("{}: a source transaction of more than {} changes (more than a batch keeps for "
                                     "a replay) failed part-way; it was rolled back whole and the next run reads it "
                                     "again",
                                     failed_write(), pending_rows_));
}

}  // namespace weir::pipeline
