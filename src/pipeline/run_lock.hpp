// Two runs of one pipeline never overlap: each run holds its pipeline's lock in the state store
// for as long as it runs, and a second run that finds it taken does not start (weir run exits
// 4, naming the run holding it, as the run journal recorded it).
//
// The lock is the database's own where it has one, so that it goes when its holder does,
// however it ends (a crash, kill -9, a lost connection): on PostgreSQL a session-level advisory
// lock, on MySQL/MariaDB GET_LOCK, each on a connection of its own held for the run. A SQLite
// state file is locked with flock(2) on a file beside it, one per pipeline, which the kernel
// releases with the process. A state store in memory is the process's own: nothing to lock.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "pipeline/state_store.hpp"
#include "weir/db/connection.hpp"

namespace weir::pipeline {

class RunLock {
 public:
  // Takes the lock of `owner` in `store`'s database; nullopt when another run holds it.
  // Throws Error (naming the store) when the lock cannot be asked for at all.
  static std::optional<RunLock> try_take(const StateStore& store, const StateOwner& owner);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  RunLock() = default;
  std::unique_ptr<db::Connection> session_;  // the lock lives as long as this session
  int fd_ = -1;                              // the flock()ed file of a SQLite store
};

// The name of `owner`'s lock in `store`'s database (at most 64 characters, as GET_LOCK takes).
std::string run_lock_name(const StateStore& store, const StateOwner& owner);

}  // namespace weir::pipeline
