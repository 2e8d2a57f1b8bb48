// One remote database of a cross-database statement: its connection, opened on first use, the
// snapshot all its tables are read in, and the streams of rows its scans read.
//
// PostgreSQL and MySQL stream one result per connection. A scan that starts while another
// scan's result is still streaming (the inner side of a join over one database) first reads
// the rest of that result into memory, so both stay correct on the one connection, and so in
// the one snapshot; that result then costs memory, in the rows it has left.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "query/pushdown.hpp"
#include "weir/db/driver.hpp"

namespace weir::query {

// The figures of one remote table, summed over the statement's scans.
struct TableStats {
  std::string name;  // as the statement names it: "pg.public.orders"
  std::uint64_t queries = 0;
  std::uint64_t rows = 0;
  std::chrono::nanoseconds time{0};
};

// The rows of one remote query.
class RowStream {
 public:
  // `context` names where rows come from in errors: "connection `pg`, running SELECT …".
  // `running`: the source's flag, cleared once the result is read or dropped.
  RowStream(std::unique_ptr<db::Cursor> cursor, TableStats& stats, std::string context,
            std::atomic<bool>* running = nullptr)
      : cursor_(std::move(cursor)), stats_(&stats), context_(std::move(context)), running_(running) {}
  ~RowStream();
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;
  // The next batch of rows into `out`; false at the end.
  bool next(Batch& out);
  // Reads the rest of the result into memory, freeing the connection.
  void drain();
  bool done() const noexcept { return done_; }

 private:
  bool fetch(Batch& out);
  std::unique_ptr<db::Cursor> cursor_;
  TableStats* stats_;
  std::string context_;
  std::deque<Batch> buffered_;
  bool done_ = false;
  std::atomic<bool>* running_;
};

// What --explain shows: each query sent, with its parameters.
struct SentQuery {
  std::string connection;
  std::string sql;
  std::vector<Value> params;
};

class RemoteSource {
 public:
  RemoteSource(std::string name, db::ConnectionConfig config) : name_(std::move(name)), config_(std::move(config)) {}
  ~RemoteSource();
  RemoteSource(const RemoteSource&) = delete;
  RemoteSource& operator=(const RemoteSource&) = delete;

  const std::string& name() const noexcept { return name_; }
  // The connection, in its snapshot transaction; connects on first use. Throws naming the connection.
  db::Connection& connection();
  // Runs `query` and returns its rows. A remote error names the connection and the SQL sent.
  std::shared_ptr<RowStream> open(const RemoteQuery& query, TableStats& stats);
  // Ends the snapshot transaction (the statement is done).
  void finish();
  // Every query sent so far, in order (only kept when `keep_log`).
  void keep_log(std::vector<SentQuery>* log) noexcept { log_ = log; }
  // Cancels the query running on the connection, if any; from any thread (Ctrl-C).
  void cancel() noexcept;
  // Whether a query sent here has not been read to its end; from any thread (the deadline).
  bool running() const noexcept { return running_.load(); }
  // Marks a query sent on connection() directly (a statement run whole) as running, or done.
  void set_running(bool running) noexcept { running_.store(running); }

 private:
  std::string name_;
  db::ConnectionConfig config_;
  std::unique_ptr<db::Connection> connection_;
  std::atomic<db::Connection*> cancellable_{nullptr};  // connection_, for cancel() from another thread
  std::weak_ptr<RowStream> streaming_;
  std::vector<SentQuery>* log_ = nullptr;
  bool in_snapshot_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace weir::query
