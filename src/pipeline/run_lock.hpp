// Two runs of one pipeline never overlap: each run holds its pipeline's lock in the state store
// for as long as it runs, and a second run that finds it taken does not start (weir run exits
// 4, naming the run holding it, as the run journal recorded it).
//
// The lock is the database's own where it has one, so that it goes when its holder does,
// however it ends (a crash, kill -9, a lost connection): on PostgreSQL a session-level advisory
// lock, on MySQL/MariaDB GET_LOCK, each on a connection of its own held for the run. A SQLite
// state file is locked with flock(2) on a file beside it, one per pipeline, which the kernel
// releases with the process. A state store in memory is the process's own: nothing to lock.
//
// A lock held in a database lives as long as its session, so the session is kept busy: a
// statement every few seconds keeps the server's idle timeouts (MySQL's wait_timeout, a
// firewall's) from ending it, and PostgreSQL's idle_in_transaction_session_timeout is turned off
// for the lock's transaction. Should the session end all the same, the run is told at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "pipeline/state_store.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {

class RunLock {
 public:
  // Takes the lock of `owner` in `store`'s database; nullopt when another run holds it.
  // Throws Error (naming the store) when the lock cannot be asked for at all.
  static std::optional<RunLock> try_take(const StateStore& store, const StateOwner& owner);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

  // Pings the lock's session every `every` until the lock is dropped; when a ping fails the
  // session (and with it the lock) is gone, and `on_lost` is called once, on the watching
  // thread, with the error. Nothing to watch for a lock held in a file.
  void watch(std::function<void(const Error&)> on_lost, std::chrono::milliseconds every = kHeartbeat);

  static constexpr std::chrono::milliseconds kHeartbeat{5000};

 private:
  RunLock() = default;
  std::unique_ptr<db::Connection> session_;  // the lock lives as long as this session
  int fd_ = -1;                              // the flock()ed file of a SQLite store
  std::jthread watcher_;                     // declared last: stops before the session closes
};

// The name of `owner`'s lock in `store`'s database (at most 64 characters, as GET_LOCK takes).
std::string run_lock_name(const StateStore& store, const StateOwner& owner);

}  // namespace weir::pipeline
