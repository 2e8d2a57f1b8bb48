#include "pipeline/runner.hpp"

#include <csignal>
#include <exception>
#include <thread>

#include "pipeline/bounded_queue.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
// Two full batches waiting is enough to keep both stages busy; every batch in flight costs
// its rows' memory.
constexpr std::size_t kQueueDepth = 2;
constexpr std::chrono::milliseconds kIdlePoll{100};

extern "C" void on_stop_signal(int) { stop_requested().store(true); }

// Reads the input into batches taken from `free` and hands them over through `full`.
void read_input(Input& input, BoundedQueue<std::unique_ptr<Batch>>& full,
                BoundedQueue<std::unique_ptr<Batch>>& free, PipelineStats& stats, std::exception_ptr& error) {
  try {
    input.open();
    while (!stop_requested()) {
      std::unique_ptr<Batch> batch;
      while (!batch && !free.drained()) {
        if (auto b = free.pop(kIdlePoll)) batch = std::move(*b);
      }
      if (!batch) break;  // the writer gave up
      if (!input.read(*batch)) break;
      stats.rows_read += batch->rows();
      if (!full.push(std::move(batch))) break;
    }
  } catch (...) {
    error = std::current_exception();
  }
  full.close();
}

void write_output(Output& output, BoundedQueue<std::unique_ptr<Batch>>& full,
                  BoundedQueue<std::unique_ptr<Batch>>& free) {
  output.open();
  while (!full.drained()) {
    auto batch = full.pop(kIdlePoll);
    if (!batch) {
      output.flush_if_due();
      continue;
    }
    output.write(**batch);
    free.push(std::move(*batch));
  }
  output.flush();
}

PipelineStats run_one(Pipeline& pipeline) {
  PipelineStats stats;
  stats.name = pipeline.name;
  auto started = Clock::now();
  BoundedQueue<std::unique_ptr<Batch>> full(kQueueDepth), free(kQueueDepth + 2);
  for (std::size_t i = 0; i < kQueueDepth + 2; ++i) free.push(std::make_unique<Batch>());
  std::exception_ptr input_error;
  std::thread reader(read_input, std::ref(*pipeline.input), std::ref(full), std::ref(free), std::ref(stats),
                     std::ref(input_error));
  try {
    write_output(*pipeline.output, full, free);
  } catch (const std::exception& e) {
    stats.error = e.what();
  }
  free.close();  // unblocks a reader waiting for a batch after the writer failed
  full.close();
  reader.join();
  if (input_error && stats.error.empty()) {
    try {
      std::rethrow_exception(input_error);
    } catch (const std::exception& e) {
      stats.error = e.what();
    }
  }
  stats.rows_written = pipeline.output->rows_written();
  stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return stats;
}

}  // namespace

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::vector<PipelineStats> run_all(Project& project) {
  std::vector<PipelineStats> stats(project.pipelines.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < project.pipelines.size(); ++i)
    threads.emplace_back([&, i] { stats[i] = run_one(project.pipelines[i]); });
  for (auto& t : threads) t.join();
  return stats;
}

}  // namespace weir::pipeline
