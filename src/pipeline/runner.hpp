// Running pipelines. Each pipeline is three stages on their own threads — input, filters,
// output — joined by bounded queues of batches that are recycled, so memory stays bounded
// whatever the table size and no batch is allocated per page once warm.
//
// Checkpoints advance only when the output commits (see commit_hooks.hpp). On SIGINT or
// SIGTERM the input stops at the next page, the queues drain, the output commits and
// checkpoints (mode: replace rolls back instead), and the run ends; a second signal exits at
// once. A pipeline stopped before it read all its rows is reported `interrupted`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/project.hpp"

namespace weir::pipeline {

struct PipelineStats {
  std::string name;
  std::uint64_t rows_read = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t rows_rejected = 0;  // sent to the dead-letter table
  std::uint64_t dead_letters = 0;   // records sent to the dead letters by any stage
  std::string dead_letters_at;      // where they went (DeadLetterTable::location)
  bool dead_letters_allowed = false;  // the pipeline sets max_errors
  // Stopped by SIGINT/SIGTERM before reading every row of its run (a scheduled pipeline
  // stopped while waiting for its next run is not).
  bool interrupted = false;
  double seconds = 0;
  std::string error;  // empty when the pipeline finished cleanly
};

struct RunnerOptions {
  RunOptions run;
  // How often each pipeline's progress (rows/s, lag) goes to stderr; zero: never.
  std::chrono::milliseconds progress_every{0};
};

// Set by SIGINT/SIGTERM (see install_stop_signals): inputs stop reading, outputs flush.
std::atomic<bool>& stop_requested();
void install_stop_signals();
// The signal that requested the stop (SIGINT, SIGTERM), or 0.
int stop_signal();

// Runs every pipeline of the project to completion (concurrently) and returns their stats.
std::vector<PipelineStats> run_all(Project& project, const RunnerOptions& options = {});

}  // namespace weir::pipeline
