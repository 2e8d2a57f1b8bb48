// Running pipelines: each pipeline's input on its own thread, feeding its output through a
// bounded queue of batches that are recycled (no allocation per batch once warm).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/project.hpp"

namespace weir::pipeline {

struct PipelineStats {
  std::string name;
  std::uint64_t rows_read = 0;
  std::uint64_t rows_written = 0;
  double seconds = 0;
  std::string error;  // empty when the pipeline finished cleanly
};

// Set by SIGINT/SIGTERM (see install_stop_signals): inputs stop reading, outputs flush.
std::atomic<bool>& stop_requested();
void install_stop_signals();

// Runs every pipeline of the project to completion (concurrently) and returns their stats.
std::vector<PipelineStats> run_all(Project& project);

}  // namespace weir::pipeline
