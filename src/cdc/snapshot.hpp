// The initial snapshot of postgres_cdc (`snapshot: initial`): the rows the streamed tables held
// when the slot was created, passed on as inserts before the stream starts.
//
// How the seam stays exact: CREATE_REPLICATION_SLOT … (SNAPSHOT 'export') returns the slot's
// consistent point and exports a snapshot of the database as of that point. A transaction
// committed before it is in the snapshot and never in the stream; one committed after is in
// the stream and not in the snapshot. So the rows read from the snapshot, then the stream from
// the consistent point, hold every change once.
//
// How it is read: the snapshot lives only while the replication connection that exported it
// stays open and runs nothing else. Every worker connection imports it first (SET TRANSACTION
// SNAPSHOT in a REPEATABLE READ, READ ONLY transaction that then lives for the whole copy),
// and only then may the replication connection go. Each table is cut into ranges of its heap
// blocks (ctid ranges, TID range scans: no key needed) that `jobs` workers take in turn; each
// range is read with COPY (…) TO STDOUT (FORMAT binary) where the columns allow it.
//
// What the output gets: first one `truncate` change per table, so a target that took part of
// an interrupted copy (or the rows of an earlier one, after --reset) starts empty, then the
// rows, in batches of one table each, every batch ending a source "transaction" so the output
// commits at its own batch size. Each row's position is the consistent point, transaction id
// 0 (which no PostgreSQL transaction has: it tells a snapshot row from a streamed insert), the
// time the slot was created, index 0.
//
// Not thread-safe as a whole: construction and next() on the input's thread; the workers are
// its own threads, joined by the destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "cdc/change_batcher.hpp"
#include "cdc/relation_cache.hpp"
#include "cdc/replication_connection.hpp"
#include "pipeline/bounded_queue.hpp"
#include "weir/batch.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"

namespace weir::cdc {

struct SnapshotOptions {
  db::ConnectionConfig connection;
  std::string slot;
  std::string publication;
  ChangeFilter filter;  // its tables (all the publication's when empty); operations do not apply
  std::size_t jobs = 2;
  std::size_t batch_rows = 5000;
  std::string path;  // the input's YAML path, for log lines
};

class InitialSnapshot {
 public:
  // Creates slot `options.slot` exporting a snapshot (the caller dropped any slot of that name),
  // imports the snapshot on the workers' connections, describes the tables in `relations` (as
  // the stream's Relation messages will, so both share one Schema per table) and starts the
  // workers. Throws Error naming the slot or table when any of it fails.
  InitialSnapshot(const SnapshotOptions& options, RelationCache& relations);
  ~InitialSnapshot();
  InitialSnapshot(const InitialSnapshot&) = delete;
  InitialSnapshot& operator=(const InitialSnapshot&) = delete;

  // The next batch, waiting up to `timeout` for one; false with `out` empty when none came
  // (done() then says whether all were read). Rethrows the error a worker stopped with.
  bool next(Batch& out, std::chrono::milliseconds timeout);
  bool done() const;
  Lsn consistent_point() const noexcept { return consistent_point_; }
  std::uint64_t rows_read() const noexcept { return rows_read_.load(); }

 private:
  struct Table {
    std::string select;  // SELECT the columns FROM the table
    std::shared_ptr<const Schema> schema;
    std::uint64_t blocks = 0;
    bool filtered = false;  // `select` has the publication's row filter as its WHERE
  };
  struct Range {
    std::size_t table = 0;
    std::uint64_t first = 0, end = 0;  // heap blocks [first, end); end 0: to the table's end
  };

  std::unique_ptr<db::Connection> import(const std::string& snapshot) const;
  void describe_tables(db::Connection& sql, RelationCache& relations);
  void plan_ranges();
  void queue_truncates();
  void work(db::Connection& sql, std::stop_token stop);
  void read_range(db::Connection& sql, const Range& range, const std::stop_token& stop);
  std::string range_sql(const Range& range) const;

  SnapshotOptions options_;
  Lsn consistent_point_ = 0;
  ChangePosition position_;
  std::vector<Table> tables_;
  std::vector<Range> ranges_;
  std::atomic<std::size_t> next_range_{0};
  std::vector<std::unique_ptr<db::Connection>> connections_;
  std::vector<Batch> truncates_;
  pipeline::BoundedQueue<Batch> ready_;
  std::atomic<std::size_t> working_{0};
  std::atomic<std::uint64_t> rows_read_{0};
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
  std::chrono::steady_clock::time_point started_;
  bool logged_ = false;
  std::vector<std::jthread> workers_;
};

// Drops replication slot `slot` when it exists and no process reads it, so that it can be
// created again with a snapshot; returns whether there was one. Throws Error{connection}
// naming the reader while one does.
bool drop_slot_for_snapshot(db::Connection& sql, const std::string& slot);

}  // namespace weir::cdc
