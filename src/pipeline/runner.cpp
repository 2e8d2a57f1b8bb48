#include "pipeline/runner.hpp"

#include <fmt/format.h>

#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "pipeline/bounded_queue.hpp"
#include "pipeline/commit_hooks.hpp"
#include "pipeline/free_list.hpp"
#include "pipeline/run_lock.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
// Two chunks waiting per queue keep both sides busy; every chunk in flight costs its rows'
// memory.
constexpr std::size_t kQueueDepth = 2;
// Enough to take back every batch an output holds for one commit (sql_write keeps up to ten
// 5000-row batches while a bulk copy's batch grows): with fewer, each commit freed some and the
// reader allocated them again, every string of every row.
constexpr std::size_t kMaxFreeBatches = 16;
constexpr std::chrono::milliseconds kIdlePoll{100};

// Batches handed back by later stages, reused by the earlier ones.
using BatchPool = FreeList<std::unique_ptr<Batch>>;

using ChunkQueue = BoundedQueue<Chunk>;

// A row of a filter's output whose row in the batch the input read is unknown (Chunk::source_rows).
constexpr std::size_t kUnknownRow = static_cast<std::size_t>(-1);

// Keeps a filter's dead letters with the chunk of their records, to commit with its rows; a
// letter's row, in the batch the filter was given, becomes its row as the input read it.
class ChunkLetters final : public DeadLetterSink {
 public:
  ChunkLetters(Chunk& chunk, const Input& input) : chunk_(&chunk), input_(&input) {}
  std::string position_of(const Batch& rows, std::size_t row) const override {
    (void)rows;  // the batch the filter was given: its row's place in what the input read is known
    const std::size_t read_row = chunk_->origin_row(row);
    return read_row == kUnknownRow ? std::string() : input_->position_of(chunk_->origin(), read_row);
  }
  void add(DeadLetter letter) override {
    if (letter.origin) {
      letter.origin_row = chunk_->origin_row(letter.origin_row);
      letter.origin = letter.origin_row == kUnknownRow ? nullptr : &chunk_->origin();
    }
    chunk_->letters.push_back(std::move(letter));
  }

 private:
  Chunk* chunk_;
  const Input* input_;
};

// Each row of a filter's output, as the rows of the batch the input read: `rows` (the filter's
// input's) composed with what the filter kept. A filter that says nothing yet changed the
// number of rows broke its contract (Filter::kept_rows): its rows' origins are unknown.
void keep_rows(std::vector<std::size_t>& rows, const std::vector<std::size_t>* kept, std::size_t in,
               std::size_t out) {
  if (!kept && in == out) return;
  std::vector<std::size_t> composed;
  if (!kept) composed.assign(out, kUnknownRow);
  else composed.reserve(kept->size());
  if (kept)
    for (std::size_t k : *kept) composed.push_back(rows.empty() ? k : rows[k]);
  rows = std::move(composed);
}

// One pipeline's run: its stages, their queues and the first error any stage met.
class PipelineRun {
 public:
  PipelineRun(Pipeline& p, const RunnerOptions& options)
      : p_(p),
        options_(options),
        run_{.once = options.run.once, .stop = stop_.get_token()},
        stop_relay_(options.run.stop, [this] { stop_.request_stop(); }),
        hooks_(p.owner, *p.state, *p.dead_letters, run_.stop) {
    if (p.max_errors) hooks_.limit_errors(*p.max_errors, rows_read_);
    p.dead_letters->describe_origins_with(*p.input);
    hooks_.acknowledge_to(*p.input);
    if (options.replay) hooks_.replay_letters(*options.replay);
  }

  PipelineStats run() {
    auto started = Clock::now();
    // However the run ends, locked out or failed before it read a row included.
    struct Closing {
      Input& input;
      ~Closing() { input.close(); }
    } closing{*p_.input};
    RunJournal journal(*p_.state, p_.owner);
    auto lock = RunLock::try_take(*p_.state, p_.owner);
    if (!lock) return locked_out(journal);
    lock->watch([this](const Error& e) { lost_lock(e); });
    if (options_.reset && !options_.replay) p_.state->reset(p_.owner);
    try {
      journal.start(RunHolder::here());
    } catch (Error& e) {
      throw e.add_context(fmt::format("the state store {} cannot be written, so the run could not be recorded; "
                                      "nothing was read or written",
                                      p_.state->config().describe()));
    }
    PipelineStats stats;
    try {
      stats = run_stages(started);
    } catch (const std::exception& e) {  // loading the checkpoint failed
      fail(e);
      stats = snapshot();
    }
    check_account(stats);
    auto ending = !stats.error.empty() ? RunJournal::Ending::failed
                  : stats.interrupted  ? RunJournal::Ending::interrupted
                                       : RunJournal::Ending::completed;
    try {
      journal.finish(ending, stats.account(), stats.error);
    } catch (const Error& e) {
      // The rows and their checkpoint are settled by now: a journal that cannot be updated must
      // not hide how the run ended (nor the error that ended it).
      log::warn(fmt::format("pipeline {}: the run's end could not be recorded in weir_runs: {}", p_.name, e.what()));
    }
    return stats;
  }

  PipelineStats run_stages(Clock::time_point started) {
    // A replay reads no position: the letters it sends are its input.
    if (auto checkpoint = options_.replay ? std::nullopt : p_.state->load(p_.owner, run_.stop))
      p_.input->restore(*checkpoint);
    bool filtering = !p_.filters.empty();
    std::thread reader([&] { read_stage(filtering ? filtered_ : ready_); });
    std::thread filter;
    if (filtering) filter = std::thread([&] { filter_stage(); });
    write_stage();
    reader.join();
    if (filter.joinable()) filter.join();
    PipelineStats stats = snapshot();
    stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return stats;
  }

  // "; <note>" for each filter that has something to say in the progress lines.
  std::string filter_notes() const {
    std::string out;
    for (const auto& f : p_.filters)
      if (std::string note = f->progress_note(); !note.empty()) out += "; " + note;
    return out;
  }

  PipelineStats snapshot() const {
    PipelineStats s;
    s.name = p_.name;
    const std::uint64_t left_unread = p_.input->rows_skipped();
    s.rows_read = rows_read_.load() + left_unread;
    s.written = p_.output->write_counts();
    s.rows_written = s.written.written();
    s.rows_rejected = p_.output->rows_rejected();
    s.dead_letters = p_.dead_letters->added();
    s.dead_letters_at = p_.dead_letters->location();
    s.dead_letters_allowed = p_.max_errors.has_value();
    s.rows_filtered = rows_skipped_.load();
    s.rows_skipped = s.rows_filtered + s.written.skipped + left_unread;
    s.values_nulled = p_.input->values_nulled();
    s.interrupted = interrupted_.load();
    std::lock_guard lock(error_mutex_);
    s.error = error_;
    s.config_error = config_error_;
    return s;
  }

  std::optional<double> lag_seconds() const { return p_.input->lag_seconds(); }
  const std::string& name() const noexcept { return p_.name; }

 private:
  PipelineStats locked_out(RunJournal& journal) {
    auto holder = journal.running();
    PipelineStats s = snapshot();
    s.locked_out = true;
    s.error = fmt::format("another run of pipeline {} holds its lock in the state store {} ({}); this run did not "
                          "start. Wait for it to end, or stop it",
                          p_.name, p_.state->config().describe(),
                          holder ? holder->describe() : "a run that has not recorded itself yet");
    return s;
  }

  // A run that ended cleanly accounts for every row it read; one that does not has lost or
  // doubled a row somewhere, and must not pass for a success.
  void check_account(PipelineStats& stats) {
    if (!stats.error.empty() || stats.interrupted) return;
    RunAccount account = stats.account();
    if (account.adds_up()) return;
    stats.error = fmt::format("pipeline {}: the rows do not add up ({}): a bug in weir, please report it", p_.name,
                              account.describe());
  }

  // Another run may take the lock now: this one stops rather than overlap it.
  void lost_lock(const Error& e) {
    fail(Error(ErrorKind::connection,
               fmt::format("pipeline {} lost its run lock: its session to the state store {} ended ({}); the run "
                           "stops so that no other run of the pipeline overlaps it. Run it again",
                           p_.name, p_.state->config().describe(), e.what())));
    stop_.request_stop();
  }

  void fail(const std::exception& e) {
    {
      std::lock_guard lock(error_mutex_);
      if (error_.empty()) {
        error_ = e.what();
        auto* error = dynamic_cast<const Error*>(&e);
        config_error_ = error && error->kind() == ErrorKind::config;
      }
    }
    filtered_.close();
    ready_.close();
  }

  void read_stage(ChunkQueue& out) {
    try {
      Input& input = *p_.input;
      input.open(run_);
      for (;;) {
        auto batch = pool_.take();
        if (!input.read(*batch)) break;
        rows_read_ += batch->rows();
        Chunk chunk{std::move(batch), input.checkpoint(), input.state() == Input::State::run_ended, input.caught_up()};
        if (marks_last_chunk(out, chunk)) continue;
        if (!out.push(std::move(chunk))) break;
      }
      // A run-once input ends without an empty batch: the output hears of the end here.
      if (input.state() == Input::State::run_ended) {
        auto none = pool_.take();
        none->clear();  // a recycled batch still holds its old rows
        out.push(Chunk{std::move(none), input.checkpoint(), true});
      }
      interrupted_ = input.state() == Input::State::interrupted ||
                     (input.state() == Input::State::reading && run_.stop.stop_requested());
    } catch (const std::exception& e) {
      fail(e);
    }
    out.close();
  }

  // An empty chunk that only says the input caught up (its checkpoint unchanged) marks the
  // chunk pushed last instead, while that one still waits: no empty chunk fills the queue.
  bool marks_last_chunk(ChunkQueue& out, Chunk& chunk) {
    const bool marker = chunk.caught_up && chunk.batch->empty() && !chunk.ends_run && chunk.checkpoint == last_pushed_;
    last_pushed_ = chunk.checkpoint;
    if (!marker || !out.change_last([](Chunk& last) { last.caught_up = true; })) return false;
    pool_.give(std::move(chunk.batch));
    return true;
  }

  void filter_stage() {
    try {
      for (auto& f : p_.filters) f->open(run_);
      while (!filtered_.drained()) {
        auto chunk = filtered_.pop(kIdlePoll);
        if (!chunk) continue;
        ChunkLetters letters(*chunk, *p_.input);
        for (auto& f : p_.filters) {
          if (chunk->batch->empty()) break;  // a run's end: nothing to filter
          auto next = pool_.take();
          const std::size_t letters_before = chunk->letters.size();
          f->process(*chunk->batch, *next, letters);
          count_dropped(chunk->batch->rows(), next->rows(), chunk->letters.size() - letters_before);
          keep_rows(chunk->source_rows, f->kept_rows(), chunk->batch->rows(), next->rows());
          auto previous = std::exchange(chunk->batch, std::move(next));
          // The batch as read stays with the chunk until its rows commit: dead letters keep it.
          if (!chunk->source) chunk->source = std::move(previous);
          else pool_.give(std::move(previous));
        }
        if (!ready_.push(std::move(*chunk))) break;
      }
    } catch (const std::exception& e) {
      fail(e);
    }
    ready_.close();
  }

  // A filter that kept `out` of `in` records and sent `letters` to the dead letters skipped
  // the rest.
  void count_dropped(std::size_t in, std::size_t out, std::uint64_t letters) {
    const std::uint64_t dropped = in > out ? in - out : 0;
    rows_skipped_ += dropped > letters ? dropped - letters : 0;
  }

  void write_stage() {
    try {
      Output& output = *p_.output;
      output.open(run_, hooks_, *p_.dead_letters,
                  [this](std::unique_ptr<Batch> b) { pool_.give(std::move(b)); });
      while (!ready_.drained()) {
        auto chunk = ready_.pop(kIdlePoll);
        if (!chunk) {
          output.flush_if_due();
          continue;
        }
        // More behind it: the input went on reading, so the commit waits for a later mark (and
        // takes those chunks' rows with it).
        if (chunk->caught_up && !ready_.empty()) chunk->caught_up = false;
        output.write(std::move(*chunk));
      }
      output.flush();
    } catch (const std::exception& e) {
      fail(e);
    }
  }

  Pipeline& p_;
  const RunnerOptions& options_;
  // This run's own stop: requested when the caller's is, or when the run must end by itself.
  std::stop_source stop_;
  RunOptions run_;
  std::stop_callback<std::function<void()>> stop_relay_;
  PipelineCommitHooks hooks_;
  BatchPool pool_{kMaxFreeBatches};
  ChunkQueue filtered_{kQueueDepth}, ready_{kQueueDepth};
  std::string last_pushed_;  // the checkpoint of the chunk the reading stage pushed last
  std::atomic<std::uint64_t> rows_read_{0};
  std::atomic<bool> interrupted_{false};
  std::atomic<std::uint64_t> rows_skipped_{0};
  mutable std::mutex error_mutex_;
  std::string error_;
  bool config_error_ = false;  // error_ is an Error{config}
};

// Prints each pipeline's progress every `every` until `done`.
void report_progress(const std::vector<std::unique_ptr<PipelineRun>>& runs, const RunnerOptions& options,
                     const std::atomic<bool>& done) {
  const std::chrono::milliseconds every = options.progress_every;
  std::vector<std::uint64_t> last(runs.size(), 0);
  auto last_time = Clock::now();
  while (!done) {
    for (auto waited = std::chrono::milliseconds(0); waited < every && !done; waited += kIdlePoll)
      std::this_thread::sleep_for(kIdlePoll);
    if (done) break;
    double elapsed = std::chrono::duration<double>(Clock::now() - last_time).count();
    last_time = Clock::now();
    for (std::size_t i = 0; i < runs.size(); ++i) {
      PipelineStats s = runs[i]->snapshot();
      // Rows through the output, rejected ones too: a run whose rows all go to the dead
      // letters is busy, not stalled at 0 rows/s.
      std::uint64_t done_rows = s.rows_written + s.rows_rejected;
      double rate = elapsed > 0 ? double(done_rows - last[i]) / elapsed : 0;
      last[i] = done_rows;
      if (options.on_progress) {
        options.on_progress(s, rate);
        continue;
      }
      auto lag = runs[i]->lag_seconds();
      log::info(fmt::format("pipeline {}: read {}, wrote {}, rejected {}, {:.0f} rows/s{}{}", s.name, s.rows_read,
                            s.rows_written, s.dead_letters, rate,
                            lag ? fmt::format(", lag {:.1f} s", *lag) : std::string(), runs[i]->filter_notes()));
    }
  }
}

void append_part(std::string& out, std::string_view label, std::uint64_t n) {
  if (n) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", label, n);
}

}  // namespace

RunAccount PipelineStats::account() const {
  return RunAccount{.read = rows_read,
                    .written = rows_written,
                    .dead_lettered = dead_letters,
                    .filtered = rows_filtered,
                    .skipped = rows_skipped - rows_filtered + written.not_found};
}

std::string describe_outcome(const PipelineStats& s) {
  const db::WriteCounts& w = s.written;
  std::string split;
  if (w.updated || w.deleted || w.unchanged) {
    append_part(split, "inserted", w.inserted);
    append_part(split, "updated", w.updated);
    append_part(split, "inserted or updated", w.upserted);
    append_part(split, "deleted", w.deleted);
    append_part(split, "unchanged", w.unchanged);
  }
  std::string out = fmt::format("wrote {} rows{}", s.rows_written, split.empty() ? "" : " (" + split + ")");
  if (w.not_found) out += fmt::format(", {} not found", w.not_found);
  if (s.dead_letters) out += fmt::format(", {} to dead letters", s.dead_letters);
  if (s.rows_skipped) out += fmt::format(", {} skipped", s.rows_skipped);
  if (s.values_nulled) out += fmt::format(", {} values written as NULL", s.values_nulled);
  return out;
}

std::vector<PipelineStats> run_all(Project& project, const RunnerOptions& options) {
  std::vector<std::unique_ptr<PipelineRun>> runs;
  for (Pipeline& p : project.pipelines) runs.push_back(std::make_unique<PipelineRun>(p, options));
  std::vector<PipelineStats> stats(runs.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < runs.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        stats[i] = runs[i]->run();
      } catch (const std::exception& e) {  // the lock or the run journal failed
        stats[i] = runs[i]->snapshot();
        stats[i].error = e.what();
        auto* error = dynamic_cast<const Error*>(&e);
        stats[i].config_error = error && error->kind() == ErrorKind::config;
      }
    });
  std::atomic<bool> done{false};
  std::thread progress;
  if (options.progress_every.count() > 0)
    progress = std::thread([&] { report_progress(runs, options, done); });
  for (auto& t : threads) t.join();
  done = true;
  if (progress.joinable()) progress.join();
  return stats;
}

}  // namespace weir::pipeline
