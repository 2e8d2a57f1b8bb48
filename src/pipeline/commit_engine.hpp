// The commit engine: the Output every output module gets by implementing a Sink (sink.hpp).
//
// Rows stream into one open transaction until `batch.rows` rows or `batch.interval` have
// passed, or the input caught up with its source (Chunk::caught_up: a change stream waiting
// for the server's next WAL), then commit together with the pipeline's checkpoint and dead
// letters (CommitHooks).
// The batch's rows are kept until then, so a failure costs a replay, never a row:
//   - a transient error (connection lost, deadlock) rolls back, reconnects and writes the
//     batch again, with backoff;
//   - a row the target rejects (constraint, bad value) rolls back, and the batch is written
//     again under savepoints in runs that shrink around the bad rows (batch_isolation.cpp),
//     which go to the dead letters each with its own error; every good row commits. The first
//     such batch is logged once; later ones show in the progress lines' `rejected` count;
//   - anything else (unknown table, permission, a full disk) stops the pipeline with the error.
// Once the target committed, the batch is never written again: a checkpoint that cannot be
// saved elsewhere afterwards stops the pipeline too. A COMMIT whose answer was lost (the
// connection dropped) is in doubt, not rolled back: before replaying, the engine reads the
// checkpoint back from the target when it lives there, and a batch that landed is not written
// again (elsewhere it cannot tell, and replays: at least once). Then the input hears that its checkpoint
// is committed (CommitHooks::after_commit → Input::committed).
// `replace` makes each run of the input one transaction on the target (replace_run.cpp).
// Changes commit only where a source transaction ended (Batch::ends_transaction): a batch
// grows past its size until then, so a source transaction commits whole in the target; one
// the input left unfinished when the pipeline ends rolls back. Past `batch.max_rows` its rows
// stream on into the open transaction without being kept (large_transaction.cpp), so memory
// is bounded by the batch, not by the source transaction. A sink without transactions commits
// by size alone, inside source transactions too.
// A sink without transactions gets the same calls; its rows are delivered at least once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/config_spec.hpp"
#include "pipeline/module.hpp"
#include "pipeline/sink.hpp"
#include "weir/retry.hpp"

namespace weir::pipeline {

// When and how an output commits.
struct CommitPolicy {
  std::uint64_t rows = 5000;      // commit once this many rows are pending and interval passed
  std::uint64_t max_rows = 5000;  // … and at the latest at this many
  std::chrono::milliseconds interval{1000};
  bool replace = false;           // one transaction per input run (mode: replace)
  RetryPolicy retry;              // for transient errors
  std::string path;               // the module's YAML path, for log lines
};

// The `batch:` option of an output (rows, interval) and the policy it sets; `replace` and
// `retry` are the module's own.
const config::Field& batch_field();
CommitPolicy read_commit_policy(const config::Section& output, bool replace, RetryPolicy retry);

// Errors that one row causes: the row is set aside and the others still commit.
bool is_row_error(const Error& e) noexcept;

// Whether the last row of a non-empty `batch` is a change inside a source transaction that a
// later row ends (Batch::end_transaction): the engine commits only where one ended.
bool ends_inside_transaction(const Batch& batch) noexcept;

class CommitEngine final : public Output {
 public:
  CommitEngine(std::unique_ptr<Sink> sink, CommitPolicy policy);

  void open(const RunOptions& options, CommitHooks& hooks, DeadLetterSink& dead,
            std::function<void(std::unique_ptr<Batch>)> recycle) override;
  void write(Chunk chunk) override;
  void flush_if_due() override;
  void flush() override;
  db::WriteCounts write_counts() const override;
  std::uint64_t rows_rejected() const noexcept override { return rejected_; }
  Identity identity() const override { return sink_->identity(); }
  bool writes_stdout() const noexcept override { return sink_->writes_stdout(); }
  std::optional<std::string> replacing_option() const override {
    if (!policy_.replace) return std::nullopt;
    return policy_.path + ".mode";
  }
  void probe(const Schema* input) override { sink_->probe(input); }

 private:
  using Clock = std::chrono::steady_clock;
  // The first run write_isolating tries: the whole chunk.
  static constexpr std::size_t kWholeChunk = std::numeric_limits<std::size_t>::max();

  // commit_engine.cpp
  bool batch_full() const;
  void commit_batch();
  bool commit_streamed();
  void open_batch();
  void stream(const Batch& batch);
  void set_aside_after(const Error& e);
  void log_set_aside(const Error& e, bool row_error);
  void replay_and_commit(bool then_commit = true);
  void replay_once(bool then_commit);
  void commit();
  void make_durable();
  void commit_or_doubt();
  bool landed_in_doubt();
  void settle_batch();
  void recycle_kept();  // hands back the kept batches and their origins
  void abandon_unfinished_transaction();
  void rollback_quietly() noexcept;
  Error& note_if_full(Error& e) const;
  std::string failed_write() const;
  RetryHooks retry_hooks();
  void add_committed(const db::WriteCounts& counts);
  // batch_isolation.cpp
  // `kept`: the index in pending_ of the batch `rows` is shaped from (for the letters' origins).
  void write_isolating(const Batch& rows, std::size_t& run, std::vector<DeadLetter>& letters, std::size_t kept);
  const Batch& slice_of(const Batch& rows, std::size_t begin, std::size_t end);
  void log_rejected_row(const Error& e, const Batch& rows, std::size_t row, const Batch& read, std::size_t read_row);
  // large_transaction.cpp
  void bound_open_transaction();
  void stream_unkept(const Batch& batch);
  [[noreturn]] void give_up_unkept(const Error& e);
  // replace_run.cpp
  void commit_run();
  void abandon_unfinished_run();

  std::unique_ptr<Sink> sink_;
  CommitPolicy policy_;
  CommitHooks* hooks_ = nullptr;
  DeadLetterSink* dead_ = nullptr;
  std::function<void(std::unique_ptr<Batch>)> recycle_;
  std::stop_token stop_;  // this run's (RunOptions::stop): ends the waits between retries
  bool prepared_ = false;                        // the sink saw its first rows
  bool in_transaction_ = false;                  // begin() was called, no commit or rollback yet
  bool replay_started_ = false;                  // the replay reached the target (db::worth_rerunning)
  Clock::time_point batch_started_{};
  std::vector<std::unique_ptr<Batch>> pending_;  // this transaction's rows, kept for a replay
  // For each of pending_, the batch the input read and each row's place in it (Chunk::source).
  struct Origin {
    std::unique_ptr<Batch> source;
    std::vector<std::size_t> rows;
  };
  std::vector<Origin> origins_;
  std::uint64_t pending_rows_ = 0;
  std::string checkpoint_;                       // the input position after the pending rows
  bool checkpoint_unsaved_ = false;
  bool streaming_ = true;                        // false once the batch must be replayed
  std::size_t rejected_in_batch_ = 0;            // rows of the pending ones set aside
  std::size_t letters_in_sink_ = 0;              // of those, already handed to the dead letters
  bool batch_open_ = false;                      // replace: the batch's savepoint is set
  db::WriteCounts run_counts_;                   // replace: settled, not yet committed
  std::uint64_t run_rejected_ = 0;               // likewise
  bool rejections_logged_ = false;               // the first rejected batch was logged
  bool inside_source_transaction_ = false;       // the last pending row's transaction goes on
  bool unkept_ = false;                          // its rows are no longer kept for a replay
  bool in_doubt_ = false;                        // the answer to the batch's COMMIT was lost
  db::WriteCounts doubt_counts_;                 // what its rows did, if it committed
  std::size_t doubt_rejected_ = 0;               // likewise
  Batch slice_;
  db::WriteCounts pending_counts_;               // what the pending rows did, once committed
  mutable std::mutex counts_mutex_;              // the progress thread reads committed_
  db::WriteCounts committed_;
  std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace weir::pipeline
