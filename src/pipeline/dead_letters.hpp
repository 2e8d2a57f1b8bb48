// The dead-letter table: records a pipeline gave up on (a row the target rejected, a lookup
// that failed with on_error: dead_letter), each with the stage, error kind and message, so
// nothing is silently dropped and every rejection can be inspected and replayed.
//
//   dead_letter: { connection: local, table: weir_dead_letters }
//
// Letters are buffered and written just before the output commits: inside its transaction
// when the table lives in the output's database, else through their own connection first
// (a crash between the two repeats letters rather than losing them). The output adds a
// filter's letters when it takes the chunk of their records (Chunk::letters), so what is
// buffered at a commit belongs to the batch committing, never to one the filters work on.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "pipeline/module.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/retry.hpp"

namespace weir::pipeline {

class DeadLetterTable final : public DeadLetterSink {
 public:
  static constexpr std::string_view kDefaultTable = "weir_dead_letters";

  // Writes through `pool`, the run's pool of `config` (a pool of its own when null), retrying
  // transient failures under `retry`.
  DeadLetterTable(db::ConnectionConfig config, db::TableRef table, std::string pipeline,
                  std::shared_ptr<db::Pool> pool = nullptr, RetryPolicy retry = {});

  // Fills a letter's original record and position from its origin (DeadLetter::origin).
  void add(DeadLetter letter) override;
  // The input whose records the letters hold: it tells their positions (Input::position_of).
  void describe_origins_with(const Input& input) noexcept { input_ = &input; }
  std::string position_of(const Batch& rows, std::size_t row) const override {
    return input_ ? input_->position_of(rows, row) : std::string();
  }

  const db::TableRef& table() const noexcept { return table_; }
  // Where the letters go, for messages: "table `t` on connection `c` (url, password masked)".
  std::string location() const;
  // Letters added since the pipeline started, committed or not.
  std::uint64_t added() const noexcept { return added_.load(); }
  bool lives_in(const db::ConnectionConfig& other) const noexcept { return config_.url == other.url; }
  // Creates the table through `connection` if missing (outside any transaction).
  void ensure_table(db::Connection& connection) const;
  // Writes the buffered letters through `connection` (same database, its open transaction);
  // they stay buffered until confirm() says that transaction committed.
  void write_pending(db::Connection& connection);
  void confirm();
  // Writes the buffered letters through a connection of the table's pool, committed; a
  // transient failure is retried until the policy or `stop` ends it. A COMMIT whose answer was
  // lost may repeat them: letters kept apart from the target are delivered at least once.
  void flush(std::stop_token stop = {});
  // Deletes the letters `ids` of the pipeline, replayed into the target: through `connection`
  // (its open transaction, the target's), or through a connection of the table's pool.
  void retire(db::Connection& connection, const std::vector<std::string>& ids);
  void retire(const std::vector<std::string>& ids, std::stop_token stop = {});
  // Whether letter `id` was written again, with a new error, by a replay that gave up on it.
  bool rewrote(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return rewritten_.contains(id);
  }

  // A letter as stored, for `weir deadletters`.
  struct Stored {
    std::string id, created_at, stage, error_kind, error_code, error_message, record;
    std::string original, original_values, position;  // empty in letters of weir versions before them
  };
  // The pipeline's letters, oldest first; with `id`, that one only.
  std::vector<Stored> list(const std::optional<std::string>& id = std::nullopt);
  // Deletes the pipeline's letters, or those of `ids` only; returns how many went.
  std::uint64_t purge(const std::vector<std::string>& ids = {});

 private:
  std::vector<DeadLetter> snapshot();  // the pending letters, now in flight
  void write(db::Connection& connection, const std::vector<DeadLetter>& letters);
  std::uint64_t delete_letter(db::Connection& connection, const std::string& id);

  db::ConnectionConfig config_;
  db::TableRef table_;
  std::string pipeline_;
  mutable std::mutex mutex_;  // the filter and output threads both add letters
  std::vector<DeadLetter> pending_;
  std::set<std::string> rewritten_;  // ids of letters a replay wrote again
  std::atomic<std::uint64_t> added_{0};
  std::shared_ptr<db::Pool> pool_;
  RetryPolicy retry_;
  const Input* input_ = nullptr;
  std::size_t in_flight_ = 0;
  bool table_checked_ = false;
};

}  // namespace weir::pipeline
