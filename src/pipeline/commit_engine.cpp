#include "pipeline/commit_engine.hpp"

#include <fmt/format.h>

#include <utility>

#include "weir/db/pool.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::pipeline {
namespace {

using config::Field;
// With `batch.rows` unset, how far a batch may grow past it while rows arrive quickly: a
// 1,000,000-row SQLite copy with 5000-row commits made 316 fdatasyncs, with 50,000-row ones 104
// (bench/sqlite_copy.sh); the rows are kept for a replay, so memory bounds the factor.
constexpr std::uint64_t kDefaultBatchGrowth = 10;
constexpr std::string_view kBatchSavepoint = "weir_batch";  // a batch within a replacing run

const config::Spec& batch_spec() {
  static const config::Spec s{
      "batch",
      "When to commit.",
      {
          Field{.name = "rows", .shapes = config::kInteger, .default_value = "5000",
                .description = "Commit after this many rows. Left unset, a batch that reaches 5000 rows "
                               "before `interval` has passed grows on until it has, up to 50000 rows: a "
                               "bulk copy commits (and waits for the disk) ten times less often.",
                .example = "10000", .minimum = 1, .maximum = 100'000'000},
          Field{.name = "interval", .shapes = config::kDuration, .default_value = "1s",
                .description = "Commit pending rows at least this often.", .example = "500ms"},
      }};
  return s;
}

}  // namespace

const config::Field& batch_field() {
  static const Field f{.name = "batch", .shapes = config::kObject, .description = "When to commit.",
                       .example = "{ rows: 5000, interval: 1s }", .nested = &batch_spec()};
  return f;
}

CommitPolicy read_commit_policy(const config::Section& output, bool replace, RetryPolicy retry) {
  config::Section batch(output.node("batch"), batch_spec(), output.path_of("batch"));
  CommitPolicy policy;
  policy.rows = static_cast<std::uint64_t>(batch.integer("rows"));  // at least 1: see batch_spec()
  policy.max_rows = batch.has("rows") ? policy.rows : policy.rows * kDefaultBatchGrowth;
  policy.interval = batch.duration("interval");
  policy.replace = replace;
  policy.retry = retry;
  policy.path = output.path();
  return policy;
}

bool is_row_error(const Error& e) noexcept { return is_constraint(e.kind()) || e.kind() == ErrorKind::data; }

bool ends_inside_transaction(const Batch& batch) noexcept {
  return batch.has_changes() && !batch.ends_transaction(batch.rows() - 1);
}

CommitEngine::CommitEngine(std::unique_ptr<Sink> sink, CommitPolicy policy)
    : sink_(std::move(sink)), policy_(std::move(policy)) {}

void CommitEngine::open(const RunOptions& options, CommitHooks& hooks, DeadLetterSink& dead,
                        std::function<void(std::unique_ptr<Batch>)> recycle) {
  stop_ = options.stop;
  hooks_ = &hooks;
  dead_ = &dead;
  recycle_ = std::move(recycle);
  // A target restarting as the run starts is waited out as one restarting mid-run is.
  try {
    retry_if(policy_.retry, [](const Error& e) { return db::worth_rerunning(e, false, db::Idempotent::yes); },
             [&] { sink_->connect(); }, retry_hooks());
  } catch (Error& e) {
    throw e.add_context(naming_connection(e, failed_write(), sink_->location()));
  }
  hooks_->prepare_target(sink_->connection(), sink_->connection_config());
}

void CommitEngine::write(Chunk chunk) {
  // Between two source transactions, what is due commits before the next one streams in.
  if (chunk.batch->has_changes()) flush_if_due();
  if (pending_rows_ && !inside_source_transaction_ && !policy_.replace && sink_->commits_before(*chunk.batch))
    commit_batch();
  for (DeadLetter& letter : chunk.letters) dead_->add(std::move(letter));
  if (!chunk.checkpoint.empty() && chunk.checkpoint != checkpoint_) {
    checkpoint_ = std::move(chunk.checkpoint);
    checkpoint_unsaved_ = true;
  }
  if (chunk.batch->empty() && !sink_->takes_shape(*chunk.batch)) {
    recycle_(std::move(chunk.batch));
    if (chunk.source) recycle_(std::move(chunk.source));
  } else {
    if (!prepared_) sink_->prepare(*chunk.batch);
    prepared_ = true;
    // A file or a queue has no transactions to keep whole: its batches commit by size, and a
    // checkpoint inside a source transaction says which of its changes were delivered.
    inside_source_transaction_ = sink_->transactional() && ends_inside_transaction(*chunk.batch);
    pending_rows_ += chunk.batch->rows();
    pending_.push_back(std::move(chunk.batch));
    origins_.push_back(Origin{std::move(chunk.source), std::move(chunk.source_rows)});
    if (streaming_) stream(*pending_.back());
    if (inside_source_transaction_ || unkept_) bound_open_transaction();
    if (batch_full()) commit_batch();
  }
  if (chunk.ends_run && policy_.replace) commit_run();
  // The input caught up: nothing more is coming soon, so what is pending commits now rather
  // than after `batch.interval`. A checkpoint alone (an idle stream moving on) still waits.
  else if (chunk.caught_up && pending_rows_ && !inside_source_transaction_ && !policy_.replace) commit_batch();
}

void CommitEngine::flush_if_due() {
  if (inside_source_transaction_) return;
  if ((pending_rows_ || (checkpoint_unsaved_ && !policy_.replace)) &&
      Clock::now() - batch_started_ >= policy_.interval) {
    commit_batch();
    make_durable();  // the input went idle: no later commit follows soon
  }
}

// The end of the pipeline: everything pending commits — except a replacing run that did not
// reach its end (commit_run() never saw it end) or a source transaction the input did not
// finish, which roll back.
void CommitEngine::flush() {
  if (policy_.replace) abandon_unfinished_run();
  else if (inside_source_transaction_) abandon_unfinished_transaction();
  else commit_batch();
  make_durable();
  sink_->release();
}

// The sink's commits may return before they are durable (db::Connection::defer_durability)
// while rows stream in; a commit that ends a stream, or that something outside the target
// learns of (after_commit), is made durable.
void CommitEngine::make_durable() {
  db::Connection* target = sink_->connection();
  if (!target) return;
  try {
    target->make_durable();
  } catch (Error& e) {
    throw e.add_context(fmt::format("{}: the committed rows may not survive a power loss", failed_write()));
  }
}

db::WriteCounts CommitEngine::write_counts() const {
  std::lock_guard lock(counts_mutex_);
  return committed_;
}

// Each commit waits for the disk (fsync): with `rows` unset, rows arriving faster than `rows`
// per `interval` (a bulk copy) fill larger transactions, up to max_rows.
// A source transaction is never cut: a batch commits only at one's end.
bool CommitEngine::batch_full() const {
  if (inside_source_transaction_) return false;
  if (pending_rows_ >= policy_.max_rows) return true;
  return pending_rows_ >= policy_.rows && Clock::now() - batch_started_ >= policy_.interval;
}

// Commits the pending rows (replace: settles them within the run's transaction).
void CommitEngine::commit_batch() {
  bool open = policy_.replace ? batch_open_ : in_transaction_ || checkpoint_unsaved_;
  if (pending_.empty() && !open) return;
  if (!streaming_ || !commit_streamed()) replay_and_commit();
  // Outside the replays: what fails from here on must not write the committed batch again.
  if (!policy_.replace) hooks_->after_commit(sink_->connection(), checkpoint_);
}

// Commits the rows streamed into the open batch; false when they must be replayed.
bool CommitEngine::commit_streamed() {
  try {
    open_batch();
    commit();
    return true;
  } catch (const Error& e) {
    set_aside_after(e);
    return false;
  }
}

// Starts the batch's transaction — for replace, the batch's savepoint in the run's
// transaction, which starts by emptying the target.
void CommitEngine::open_batch() {
  if (policy_.replace ? batch_open_ : in_transaction_) return;
  if (!in_transaction_) {
    sink_->begin();
    in_transaction_ = true;
    if (policy_.replace) sink_->empty_target();
  }
  if (policy_.replace) {
    sink_->savepoint(kBatchSavepoint);
    batch_open_ = true;
  }
  batch_started_ = Clock::now();
}

// The fast path: rows go to the target as they arrive, into the batch's transaction.
void CommitEngine::stream(const Batch& batch) {
  if (unkept_) return stream_unkept(batch);
  try {
    open_batch();
    pending_counts_ += sink_->write(sink_->shape(batch));
  } catch (const Error& e) {
    set_aside_after(e);
  }
}

// After a failed write or commit: roll back and leave the batch to replay_and_commit(), or
// stop the pipeline when no replay can help.
void CommitEngine::set_aside_after(const Error& e) {
  if (unkept_) give_up_unkept(e);
  bool row_error = is_row_error(e);
  // A replacing run's earlier batches are in its transaction only: only the batch's own
  // savepoint can be rolled back and written again.
  bool batch_only = policy_.replace && row_error && batch_open_;
  if (batch_only) sink_->rollback_to_savepoint(kBatchSavepoint);
  else rollback_quietly();
  pending_counts_ = {};
  bool replayable = policy_.replace ? batch_only : row_error || db::worth_rerunning(e, true, db::Idempotent::yes);
  if (!replayable) {
    Error stop(e);
    throw note_if_full(stop).add_context(failed_write());
  }
  if (e.kind() == ErrorKind::connection) sink_->disconnect();  // the replay starts on a fresh one
  log_set_aside(e, row_error);
  streaming_ = false;
  if (batch_started_ == Clock::time_point{}) batch_started_ = Clock::now();
}

void CommitEngine::log_set_aside(const Error& e, bool row_error) {
  if (!row_error) log::warn(fmt::format("{}: {}; writing the batch again", policy_.path, e.what()));
  // The first row set aside is logged, naming it (batch_isolation.cpp).
  else log::debug(fmt::format("{}: {}; writing the batch again around the rejected rows", policy_.path, e.what()));
}

// Writes the kept rows again in a fresh transaction, setting rejected rows aside, and
// commits (or, `then_commit` false, leaves it open for the rest of a source transaction);
// transient failures start it over after a backoff.
void CommitEngine::replay_and_commit(bool then_commit) {
  try {
    if (policy_.replace) return replay_once(then_commit);  // the batch's savepoint was rolled back, not the run
    // The whole transaction was rolled back, so a replay is safe even when the connection
    // dropped while the rows were on the wire (Idempotent::yes); a COMMIT in doubt is looked
    // at first (landed_in_doubt).
    retry_if(policy_.retry, [&](const Error& e) { return db::worth_rerunning(e, replay_started_, db::Idempotent::yes); },
             [&] { replay_once(then_commit); }, retry_hooks());
  } catch (Error& e) {
    throw e.add_context(naming_connection(e, failed_write(), sink_->location()));
  }
}

void CommitEngine::replay_once(bool then_commit) {
  std::vector<DeadLetter> letters;
  rejected_in_batch_ = 0;
  pending_counts_ = {};
  try {
    replay_started_ = false;
    if (!policy_.replace && !sink_->usable()) sink_->connect();
    replay_started_ = true;
    if (in_doubt_ && landed_in_doubt()) return;
    sink_->reset_writes();
    if (!policy_.replace) {
      sink_->begin();
      in_transaction_ = true;
    }
    std::size_t run = kWholeChunk;
    for (std::size_t i = 0; i < pending_.size(); ++i) write_isolating(sink_->shape(*pending_[i]), run, letters, i);
    // A replay after a failed commit finds the same rows again: the sink already holds the
    // letters the earlier attempt gave it.
    for (std::size_t i = letters_in_sink_; i < letters.size(); ++i) dead_->add(std::move(letters[i]));
    letters_in_sink_ = std::max(letters_in_sink_, letters.size());
    rejected_in_batch_ = letters.size();
    if (then_commit) commit();
    else streaming_ = true;  // the source transaction's next rows stream into this one
  } catch (Error& e) {
    rollback_quietly();
    if (!policy_.replace && e.kind() == ErrorKind::connection) sink_->disconnect();  // start afresh
    note_if_full(e);
    throw;
  }
}

// Commits the open transaction with the checkpoint and dead letters, then hands the kept
// batches back. The caller persists what lives elsewhere (after_commit) once it returns.
void CommitEngine::commit() {
  if (policy_.replace) {  // commit_run() commits the run, its letters and checkpoint
    sink_->release_savepoint(kBatchSavepoint);
    batch_open_ = false;
    run_counts_ += pending_counts_;
    run_rejected_ += rejected_in_batch_;
  } else {
    hooks_->before_commit(sink_->connection(), checkpoint_);
    commit_or_doubt();
    in_transaction_ = false;
    checkpoint_unsaved_ = false;
    add_committed(pending_counts_);
    rejected_ += rejected_in_batch_;
  }
  settle_batch();
}

// A connection lost during COMMIT leaves the batch in doubt: it may have committed. What it
// did is kept for landed_in_doubt() to count if it did.
void CommitEngine::commit_or_doubt() {
  try {
    sink_->commit();
  } catch (const Error& e) {
    in_doubt_ = e.kind() == ErrorKind::connection;
    doubt_counts_ = pending_counts_;
    doubt_rejected_ = rejected_in_batch_;
    throw;
  }
}

// On a fresh connection, before replaying a batch in doubt: true when the target's checkpoint
// says it committed, and then it is settled as committed, not written again.
bool CommitEngine::landed_in_doubt() {
  std::optional<bool> landed = hooks_->landed(sink_->connection(), checkpoint_);
  in_doubt_ = false;  // asked once: a replay from here on starts from a rolled-back batch
  log::warn(fmt::format("{}: the connection was lost during COMMIT; {}", policy_.path,
                        !landed    ? "the batch is written again (its checkpoint is not in the target to tell)"
                        : *landed ? "the checkpoint in the target says the batch committed: it is not written again"
                                  : "the checkpoint in the target says the batch did not commit: writing it again"));
  if (!landed.value_or(false)) return false;
  checkpoint_unsaved_ = false;
  add_committed(doubt_counts_);
  rejected_ += doubt_rejected_;
  settle_batch();
  return true;
}

// The input stopped inside a source transaction (interrupted, or it failed): committing its
// changes so far would cut it, so they roll back; its checkpoint is not saved, and the next
// run reads the transaction again from the last committed one.
void CommitEngine::abandon_unfinished_transaction() {
  rollback_quietly();
  log::warn(fmt::format("{}: the input stopped inside a source transaction; its {} changes read so far are rolled "
                        "back and come again on the next run",
                        policy_.path, pending_rows_));
  settle_batch();
  checkpoint_unsaved_ = false;
  inside_source_transaction_ = false;
}

void CommitEngine::settle_batch() {
  pending_counts_ = {};
  rejected_in_batch_ = 0;
  letters_in_sink_ = 0;
  pending_rows_ = 0;
  recycle_kept();
  streaming_ = true;
  unkept_ = false;
  batch_started_ = {};
}

void CommitEngine::recycle_kept() {
  for (auto& batch : pending_) recycle_(std::move(batch));
  for (auto& origin : origins_)
    if (origin.source) recycle_(std::move(origin.source));
  pending_.clear();
  origins_.clear();
}

void CommitEngine::rollback_quietly() noexcept {
  batch_open_ = false;
  run_counts_ = {};
  run_rejected_ = 0;
  if (in_transaction_) sink_->rollback();
  in_transaction_ = false;
}

// A full target is not retried (ErrorKind::storage): the message says what helps.
Error& CommitEngine::note_if_full(Error& e) const {
  if (e.kind() == ErrorKind::storage)
    e.add_context(fmt::format("{} is full: free space and run again; nothing of the failed batch was committed",
                              sink_->location()));
  return e;
}

// Retries logged as a person wants to read them, each counted by the sink (its pool's metrics).
RetryHooks CommitEngine::retry_hooks() {
  RetryHooks hooks = logged_retries(failed_write(), sink_->location(), policy_.retry, stop_);
  hooks.on_retry = [this, log = std::move(hooks.on_retry)](const Error& e, int attempt, std::chrono::milliseconds wait) {
    sink_->retrying();
    log(e, attempt, wait);
  };
  return hooks;
}

std::string CommitEngine::failed_write() const {
  return fmt::format("{}{}", sink_->describe(),
                     policy_.replace ? " (mode: replace: the run is rolled back, the table keeps its old rows)" : "");
}

void CommitEngine::add_committed(const db::WriteCounts& counts) {
  std::lock_guard lock(counts_mutex_);
  committed_ += counts;
}

}  // namespace weir::pipeline
