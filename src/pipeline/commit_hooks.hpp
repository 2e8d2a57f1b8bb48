// A pipeline's CommitHooks: saves its checkpoint and writes its dead letters around each
// output commit — inside the output's transaction when they live in the output's database
// (exactly-once), else through their own connections (state after the commit, letters
// before it, so a crash can repeat but never lose). A state store of its own is checked
// writable before the first batch; failing to save to it after a commit stops the pipeline,
// naming the store: the committed batch is never written again. Once the checkpoint is
// persisted, the input is told (acknowledge_to).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "pipeline/dead_letters.hpp"
#include "pipeline/error_limit.hpp"
#include "pipeline/letter_replay.hpp"
#include "pipeline/module.hpp"
#include "pipeline/state_store.hpp"

namespace weir::pipeline {

class PipelineCommitHooks final : public CommitHooks {
 public:
  // `stop`: the run's; it ends the waits while the state or the letters are retried.
  PipelineCommitHooks(StateOwner owner, StateStore& state, DeadLetterTable& dead, std::stop_token stop = {})
      : owner_(std::move(owner)), state_(&state), dead_(&dead), stop_(std::move(stop)) {}

  void prepare_target(db::Connection* target, const db::ConnectionConfig* target_config) override;
  void before_commit(db::Connection* target, std::string_view checkpoint) override;
  void after_commit(db::Connection* target, std::string_view checkpoint) override;
  std::optional<bool> landed(db::Connection* target, std::string_view checkpoint) override;

  // From now on after_commit() ends by telling `input` what was committed (Input::committed).
  void acknowledge_to(Input& input) { input_ = &input; }

  // From now on the checkpoints are `replay`'s: no state is saved, and each commit deletes the
  // letters it covered from the table — those given up on again stay, with their new error.
  void replay_letters(const LetterReplay& replay) { replay_ = &replay; }

  // The last checkpoint committed (progress reports).
  std::string last_checkpoint() const;

  // From now on before_commit() refuses, with Error{cancelled}, a commit that would bring the
  // dead letters past `limit` (counted against `rows_read`): the output then rolls back.
  void limit_errors(ErrorLimit limit, const std::atomic<std::uint64_t>& rows_read) {
    limit_ = limit;
    rows_read_ = &rows_read;
  }

 private:
  void save_elsewhere(std::string_view checkpoint);
  void retire_replayed(db::Connection* target, std::string_view checkpoint, bool committed);

  StateOwner owner_;
  StateStore* state_;
  Input* input_ = nullptr;
  const LetterReplay* replay_ = nullptr;
  DeadLetterTable* dead_;
  std::stop_token stop_;
  bool state_in_target_ = false;
  bool letters_in_target_ = false;
  std::optional<ErrorLimit> limit_;
  const std::atomic<std::uint64_t>* rows_read_ = nullptr;
  mutable std::mutex mutex_;
  std::string saved_;
};

}  // namespace weir::pipeline
