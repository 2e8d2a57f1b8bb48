#include "pipeline/commit_hooks.hpp"

#include <fmt/format.h>

#include "weir/error.hpp"

namespace weir::pipeline {

void PipelineCommitHooks::prepare_target(db::Connection* target, const db::ConnectionConfig* target_config) {
  state_in_target_ = target && target_config && state_->lives_in(*target_config);
  letters_in_target_ = target && target_config && dead_->lives_in(*target_config);
  try {
    if (state_in_target_) StateStore::ensure_table(*target);
    if (letters_in_target_) dead_->ensure_table(*target);
  } catch (Error& e) {
    throw e.add_context(
        fmt::format("preparing weir's tables (checkpoints, dead letters) in {}", target_config->describe()));
  }
  if (!state_in_target_) state_->check_writable(owner_, stop_);
}

void PipelineCommitHooks::before_commit(db::Connection* target, std::string_view checkpoint) {
  if (limit_ && limit_->passed(dead_->added(), rows_read_->load()))
    throw Error(ErrorKind::cancelled,
                fmt::format("pipelines.{}.max_errors: {} records went to the dead letters, more than the limit of "
                            "{} ({} rows read); the batch was not committed",
                            owner_.pipeline, dead_->added(), limit_->to_string(), rows_read_->load()));
  if (replay_) retire_replayed(target, checkpoint, false);
  if (letters_in_target_) dead_->write_pending(*target);
  else dead_->flush(stop_);
  if (replay_) return;
  if (state_in_target_ && !checkpoint.empty() && checkpoint != last_checkpoint())
    StateStore::save_with(*target, owner_, checkpoint);
}

void PipelineCommitHooks::after_commit(db::Connection* target, std::string_view checkpoint) {
  if (letters_in_target_) dead_->confirm();
  if (replay_) {
    retire_replayed(target, checkpoint, true);
    std::lock_guard lock(mutex_);
    saved_ = checkpoint;
    return;
  }
  const bool moved = !checkpoint.empty() && checkpoint != last_checkpoint();
  // A checkpoint saved elsewhere, or a source told it may forget the rows, must not outlive
  // the rows in a power loss; one saved with the rows goes back with them.
  if (target && ((moved && !state_in_target_) || (input_ && input_->source_forgets_committed())))
    target->make_durable();
  if (moved) {
    if (!state_in_target_) save_elsewhere(checkpoint);
    std::lock_guard lock(mutex_);
    saved_ = checkpoint;
  }
  if (input_) input_->committed(checkpoint);
}

void PipelineCommitHooks::save_elsewhere(std::string_view checkpoint) {
  try {
    state_->save(owner_, checkpoint, stop_);
  } catch (Error& e) {
    throw e.add_context(fmt::format("the batch is committed in the target, but its checkpoint could not be saved "
                                    "to the state store {}; stopping so that no row is written twice",
                                    state_->config().describe()));
  }
}

// The letters replayed since the last commit leave the table with the batch writing them: in
// its transaction when they live in the target (the letters given up on again are written back
// after, with their ids); else once it committed, but for those given up on again, already
// rewritten with their new error (a crash in between keeps letters whose rows were written:
// replaying them again writes them again).
void PipelineCommitHooks::retire_replayed(db::Connection* target, std::string_view checkpoint, bool committed) {
  std::vector<std::string> ids = replay_->ids_between(last_checkpoint(), checkpoint);
  if (letters_in_target_ && !committed) return dead_->retire(*target, ids);
  if (letters_in_target_ || !committed) return;
  std::erase_if(ids, [&](const std::string& id) { return dead_->rewrote(id); });
  dead_->retire(ids, stop_);
}

std::optional<bool> PipelineCommitHooks::landed(db::Connection* target, std::string_view checkpoint) {
  if (replay_ || !state_in_target_ || !target || checkpoint.empty() || checkpoint == last_checkpoint()) return std::nullopt;
  return StateStore::committed_position(*target, owner_) == checkpoint;
}

std::string PipelineCommitHooks::last_checkpoint() const {
  std::lock_guard lock(mutex_);
  return saved_;
}

}  // namespace weir::pipeline
