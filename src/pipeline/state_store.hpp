// Where pipelines keep their checkpoints: the table weir_state in a database of the user's
// choosing (`state: { connection: … }`), by default the SQLite file .weir/state.db next to
// the project file.
//
// A checkpoint is saved only after the output committed the rows it covers. When the state
// lives in the output's database, save() runs inside the output's transaction, so the rows
// and the checkpoint commit together or not at all: a crash can neither lose nor repeat rows.
//
// A checkpoint belongs to one pipeline of one project file (its StateOwner): it is stored
// under "<file name>#<pipeline>" with a fingerprint of the input and output it was made
// for, and a pipeline whose input or output changed since refuses it (run --reset).
// Checkpoints of earlier weir versions, stored under the pipeline's name alone and without a
// fingerprint, are adopted by the first pipeline of that name that loads them.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "pipeline/module.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/retry.hpp"

namespace weir::pipeline {

// Which pipeline a checkpoint belongs to.
struct StateOwner {
  std::string pipeline;     // its name, for messages; also the key earlier weir versions used
  std::string key;          // "<project file name>#<pipeline>"
  std::string fingerprint;  // "input.query=9f3c…;output.table=…": a hash per part of the identities

  // `file` is the project file (only its name counts: the project may move).
  static StateOwner of(const std::string& file, const std::string& pipeline, const Identity& input,
                       const Identity& output);
};

// 16 hex digits of `text`'s FNV-1a hash: the same in every build, as stored names need.
std::string hash_text(std::string_view text);

// The parts of two fingerprints that differ ("output.table"), comma-separated; empty when
// none does.
std::string changed_parts(std::string_view stored, std::string_view current);

class StateStore {
 public:
  static constexpr std::string_view kTable = "weir_state";

  // Works through `pool`, the run's pool of `config` (a pool of its own when null), retrying
  // transient failures under `retry` (db::with_connection); `stop` arguments end the waits.
  explicit StateStore(db::ConnectionConfig config, std::shared_ptr<db::Pool> pool = nullptr, RetryPolicy retry = {});

  const db::ConnectionConfig& config() const noexcept { return config_; }
  // True when `other` names the same database (then the output saves through its own
  // transaction).
  bool lives_in(const db::ConnectionConfig& other) const noexcept { return config_.url == other.url; }

  // The pipeline's last checkpoint, if it has one (adopting one an earlier weir version
  // stored). Throws Error{config} naming what changed and --reset when it was made for
  // another input or output.
  std::optional<std::string> load(const StateOwner& owner, std::stop_token stop = {});
  // Saves through a connection of the store's pool (its own transaction).
  void save(const StateOwner& owner, std::string_view checkpoint, std::stop_token stop = {});
  // Throws, naming the store, unless a checkpoint can be saved now (written and rolled back):
  // before the first batch, so the target does not take rows whose checkpoint cannot follow.
  void check_writable(const StateOwner& owner, std::stop_token stop = {});
  // Saves through `connection`, a connection to the same database, inside whatever
  // transaction it has open.
  static void save_with(db::Connection& connection, const StateOwner& owner, std::string_view checkpoint);
  // The owner's checkpoint as committed in the database of `connection` (no transaction
  // open), once no other transaction is writing it: an upsert of the row, rolled back, first
  // waits for one still in progress — a COMMIT whose answer was lost — to end.
  static std::optional<std::string> committed_position(db::Connection& connection, const StateOwner& owner);
  // Creates weir_state in the database of `connection` if missing, or adds the fingerprint
  // column to one an earlier weir version made. Outputs call it before their first
  // transaction (DDL inside it would commit early on MySQL).
  static void ensure_table(db::Connection& connection);
  // The pipeline's checkpoint and when it was saved (ISO 8601), read without creating or
  // adopting anything (`weir cdc status`); nullopt when the store holds none.
  struct Saved {
    std::string position;
    std::string saved_at;
  };
  std::optional<Saved> saved(const StateOwner& owner);
  // Runs `work` on a connection to the store's database (weir_state created first), retried
  // as the store's own work is: it must be safe to run twice. Errors name `what` and the store.
  void run(std::string_view what, const std::function<void(db::Connection&)>& work, std::stop_token stop = {});
  // Forgets the pipeline's checkpoint (`weir run --reset`).
  void reset(const StateOwner& owner);

 private:
  // Runs `work(Connection&)` on a pooled connection, the table created first if missing; all
  // of the store's work may run twice (reads, upserts and deletes of fixed values).
  std::optional<std::string> load_with(db::Connection& connection, const StateOwner& owner) const;
  template <class F>
  auto with_store(std::string_view what, const std::stop_token& stop, F&& work);

  db::ConnectionConfig config_;
  std::shared_ptr<db::Pool> pool_;
  RetryPolicy retry_;
  std::mutex mutex_;  // pipelines run on their own threads and share the store: one writer at a time
  std::atomic<bool> table_ready_{false};
};

}  // namespace weir::pipeline
