// mode: replace — each run of the input is one transaction on the target: its first statement
// empties the target, each batch is a savepoint within it (rejected rows are set aside under
// it), and it commits only once the input read every row of the run. A failed or interrupted
// run rolls back and the target keeps its old rows; a lost connection fails the run rather
// than replaying it, as earlier batches are no longer held.
#include <fmt/format.h>

#include <utility>

#include "pipeline/commit_engine.hpp"
#include "weir/log.hpp"

namespace weir::pipeline {

// At the end of the input's run: commits the run's rows with its dead letters and
// checkpoint. A run without rows empties the target.
void CommitEngine::commit_run() {
  commit_batch();
  bool committing = false;
  try {
    if (!in_transaction_) {
      if (!prepared_ && !sink_->exists()) return;  // nothing to replace
      open_batch();
      commit();
    }
    hooks_->before_commit(sink_->connection(), checkpoint_);
    committing = true;
    sink_->commit();
    in_transaction_ = false;
  } catch (Error& e) {
    // A connection lost during COMMIT leaves the run in doubt: the server may have committed
    // it. Its rows are not held to replay, and a replacing run's input has no position to read
    // back, but running it again is safe: it replaces the rows again.
    const bool in_doubt = committing && e.kind() == ErrorKind::connection;
    rollback_quietly();
    throw note_if_full(e).add_context(fmt::format(
        "{} replacing the rows of `{}` ({})", policy_.path, sink_->target(),
        in_doubt ? "the connection was lost during COMMIT: the run may have committed or not; run it again, "
                   "a replacing run is safe to repeat"
                 : "rolled back: it keeps its old rows"));
  }
  make_durable();  // the run's end
  hooks_->after_commit(sink_->connection(), checkpoint_);  // committed: its failure names the state store, not the rollback
  checkpoint_unsaved_ = false;
  add_committed(std::exchange(run_counts_, {}));
  rejected_ += std::exchange(run_rejected_, 0);
}

// At the end of the pipeline: a run still open did not read all its rows (stopped, or its
// input failed), so it rolls back.
void CommitEngine::abandon_unfinished_run() {
  if (!in_transaction_) return;
  rollback_quietly();
  log::warn(fmt::format("{}: the run ended before reading all its rows; rolled back, `{}` keeps its old rows",
                        policy_.path, sink_->target()));
}

}  // namespace weir::pipeline
