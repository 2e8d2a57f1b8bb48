// Running pipelines. Each pipeline is three stages on their own threads — input, filters,
// output — joined by bounded queues of batches that are recycled, so memory stays bounded
// whatever the table size and no batch is allocated per page once warm.
//
// Checkpoints advance only when the output commits (see commit_hooks.hpp). When the run's stop
// token is requested (RunOptions::stop; the CLI does on SIGINT or SIGTERM) the input stops at
// the next page, the queues drain, the output commits and checkpoints (mode: replace rolls
// back instead), and the run ends. A pipeline stopped before it read all its rows is reported
// `interrupted`. Runs with their own tokens can share a process and stop independently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/letter_replay.hpp"
#include "pipeline/project.hpp"
#include "pipeline/run_journal.hpp"

namespace weir::pipeline {

// What became of a pipeline's rows. Once it ended cleanly they add up: rows_read =
// rows_written + written.not_found + dead_letters + rows_skipped.
struct PipelineStats {
  std::string name;
  std::uint64_t rows_read = 0;
  std::uint64_t rows_written = 0;   // committed into the target: written.written()
  std::uint64_t rows_rejected = 0;  // sent to the dead-letter table by the output
  std::uint64_t dead_letters = 0;   // records sent to the dead letters by any stage
  std::string dead_letters_at;      // where they went (DeadLetterTable::location)
  bool dead_letters_allowed = false;  // the pipeline sets max_errors
  std::uint64_t rows_skipped = 0;   // dropped by a filter, left out by the input or the output (all of account's filtered + skipped but not_found)
  std::uint64_t rows_filtered = 0;  // of which dropped by a filter (on_error: skip)
  db::WriteCounts written;          // the rows written by what they did, and the keys not found
  std::uint64_t values_nulled = 0;  // unreadable values the input passed on as NULL (Input::values_nulled)
  // Stopped (RunOptions::stop) before reading every row of its run (a scheduled pipeline
  // stopped while waiting for its next run is not).
  bool interrupted = false;
  double seconds = 0;
  std::string error;  // empty when the pipeline finished cleanly
  bool config_error = false;  // the error is the configuration's or the server's setup's to fix (exit 2)
  bool locked_out = false;    // another run of the pipeline held its lock: it did not run (exit 4)
  // read = written + dead_lettered + filtered + skipped, as recorded in the run journal.
  RunAccount account() const;
};

// "wrote 5000 rows (updated 4999, unchanged 1), 1 not found, 2 to dead letters, 1 skipped,
// 3 values written as NULL":
// the parts that are not zero; the split of the rows written only when some were not inserts.
std::string describe_outcome(const PipelineStats& stats);

struct RunnerOptions {
  RunOptions run;
  // How often each pipeline's progress (rows/s, lag) goes to stderr; zero: never.
  std::chrono::milliseconds progress_every{0};
  // Forget each pipeline's checkpoint first (`weir run --reset`), once its lock is held.
  bool reset = false;
  // Set when the pipelines' input is this replay of dead letters (`weir deadletters replay`):
  // no checkpoint is read or saved, and the letters leave the table as their rows commit.
  const LetterReplay* replay = nullptr;
  // Given, each progress report goes here instead of the log line (weir sync draws its bar).
  std::function<void(const PipelineStats&, double rows_per_second)> on_progress{};
};

// Runs every pipeline of the project to completion, or until options.run.stop is requested,
// concurrently, and returns their stats. Each pipeline runs holding its lock in its state store
// (run_lock.hpp) and is recorded in its run journal; one whose lock another run holds does not
// run (locked_out, its error naming the holder). A run that ended cleanly but whose rows do not
// add up fails with an internal error: a row was lost or counted twice.
std::vector<PipelineStats> run_all(Project& project, const RunnerOptions& options = {});

}  // namespace weir::pipeline
