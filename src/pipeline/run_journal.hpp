// The run journal: one row per run of a pipeline in the table weir_runs of its state store —
// who ran it (host, process, start), how it ended, and its accounting
// (read = written + dead-lettered + filtered + skipped). A run that holds the pipeline's lock
// (run_lock.hpp) writes its row when it starts and completes it when it ends; a run that
// finds the lock taken names the holder from its row. A row still `running` when the next run
// takes the lock was left by a run that died: it is marked `crashed`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/state_store.hpp"

namespace weir::pipeline {

// Who runs (or ran) a pipeline.
struct RunHolder {
  std::string host;
  std::int64_t pid = 0;
  std::string started_at;  // format_timestamptz, UTC
  // "host db1, pid 4711, started 2026-12-06 14:00:00.123456+00:00"
  std::string describe() const;
  // This process, now.
  static RunHolder here();
};

// What became of a run's rows; they add up when nothing is lost:
// read = written + dead_lettered + filtered + skipped.
struct RunAccount {
  std::uint64_t read = 0;
  std::uint64_t written = 0;        // what the target took (not-found keys count as skipped)
  std::uint64_t dead_lettered = 0;  // records sent to the dead letters by any stage
  std::uint64_t filtered = 0;       // records a filter dropped
  std::uint64_t skipped = 0;        // rows the input or output left out on purpose
  bool adds_up() const noexcept { return read == written + dead_lettered + filtered + skipped; }
  // "read 100 = written 97 + dead-lettered 2 + filtered 1 + skipped 0"
  std::string describe() const;
};

class RunJournal {
 public:
  static constexpr std::string_view kTable = "weir_runs";
  enum class Ending { completed, failed, interrupted };

  RunJournal(StateStore& store, StateOwner owner) : store_(&store), owner_(std::move(owner)) {}

  // Records the start of this run (holding the pipeline's lock): rows of earlier runs still
  // `running` are marked `crashed`.
  void start(const RunHolder& holder);
  // Completes this run's row.
  void finish(Ending ending, const RunAccount& account, std::string_view error);
  // The run recorded as `running` most recently, if any (the holder of the lock).
  std::optional<RunHolder> running();

 private:
  static void ensure_table(db::Connection& connection);

  StateStore* store_;
  StateOwner owner_;
  std::string run_id_;  // of the row start() wrote
};

}  // namespace weir::pipeline
