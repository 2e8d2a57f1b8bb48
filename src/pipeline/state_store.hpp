// Where pipelines keep their checkpoints: the table weir_state in a database of the user's
// choosing (`state: { connection: … }`), by default the SQLite file .weir/state.db next to
// the project file.
//
// A checkpoint is saved only after the output committed the rows it covers. When the state
// lives in the output's database, save() runs inside the output's transaction, so the rows
// and the checkpoint commit together or not at all: a crash can neither lose nor repeat rows.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline {

class StateStore {
 public:
  static constexpr std::string_view kTable = "weir_state";

  explicit StateStore(db::ConnectionConfig config) : config_(std::move(config)) {}

  const db::ConnectionConfig& config() const noexcept { return config_; }
  // True when `other` names the same database (then the output saves through its own
  // transaction).
  bool lives_in(const db::ConnectionConfig& other) const noexcept { return config_.url == other.url; }

  // The pipeline's last checkpoint, if it has one.
  std::optional<std::string> load(std::string_view pipeline);
  // Saves through the store's own connection (its own transaction).
  void save(std::string_view pipeline, std::string_view checkpoint);
  // Saves through `connection`, a connection to the same database, inside whatever
  // transaction it has open.
  static void save_with(db::Connection& connection, std::string_view pipeline, std::string_view checkpoint);
  // Creates weir_state in the database of `connection` if missing. Outputs call it before
  // their first transaction (DDL inside it would commit early on MySQL).
  static void ensure_table(db::Connection& connection);
  // Forgets the pipeline's checkpoint (`weir run --reset`).
  void reset(std::string_view pipeline);

 private:
  db::Connection& connection();  // opened on first use, table created if missing

  db::ConnectionConfig config_;
  std::mutex mutex_;  // pipelines run on their own threads and share the store
  std::unique_ptr<db::Connection> connection_;
};

}  // namespace weir::pipeline
