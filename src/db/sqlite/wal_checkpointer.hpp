// Checkpoints of a WAL database, moved off the writing connection onto a thread of their own.
//
// In WAL mode SQLite copies the log back into the database (a checkpoint: read every page
// from the -wal file, write it to the database, sync both) on the connection whose commit
// took the log past 1000 pages, inside that commit. A bulk writer committing 50,000-row
// batches paid one such checkpoint per batch: on a 1,000,000-row copy, a third of its time was
// this copying and syncing. The checkpointer takes these over: the writer's commits only ask
// for one, and a second connection to the same file runs it while the writer goes on writing.
// What SQLite guarantees is unchanged: a checkpoint copies only committed pages, and a
// concurrent checkpoint is how SQLite is meant to be run by several connections.
//
// The log cannot start over while a checkpoint lags behind the writer, so a writer whose
// commit finds the log past kWalLimitPages waits for one checkpoint to finish before it goes
// on: the log stays bounded (about 64 MiB of 4 KiB pages, plus a batch) as SQLite's own
// checkpoints keep it. A checkpoint that fails other than busy hands the checkpoints back to
// the writer's commits, as SQLite does them without a checkpointer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "db/sqlite/connection.hpp"

namespace weir::db::sqlite {

class WalCheckpointer {
 public:
  // Log pages after which a commit asks for a checkpoint: SQLite's own default.
  static constexpr int kCheckpointPages = 1000;
  // Log pages after which a commit waits for a checkpoint to finish.
  static constexpr int kWalLimitPages = 16384;

  // Takes over the checkpoints of `writer`, a connection to a database file in WAL mode;
  // nullptr, leaving them to SQLite, when `writer` is not one or the file cannot be opened again.
  static std::unique_ptr<WalCheckpointer> start(SqliteConnection& writer);
  // Stops the thread; `writer` checkpoints on its commits again, as SQLite does by default.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  WalCheckpointer(sqlite3* writer, DbHandle own);
  // sqlite3_wal_hook: runs on the writer's thread after each of its commits.
  static int on_commit(void* self, sqlite3* db, const char* schema, int log_pages);
  void run();

  sqlite3* writer_;
  DbHandle own_;  // the checkpointer's connection to the same file
  std::mutex mutex_;
  std::condition_variable wake_;  // the thread: a checkpoint is asked for, or stop
  std::condition_variable done_;  // a waiting writer: a checkpoint finished
  bool asked_ = false;
  bool stop_ = false;
  bool failed_ = false;             // checkpoints went back to the writer's commits
  std::uint64_t started_ = 0;       // checkpoints begun so far
  std::uint64_t finished_ = 0;      // and finished
  std::thread thread_;
};

}  // namespace weir::db::sqlite
