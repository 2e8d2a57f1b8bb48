// weir::db::Connection, Cursor, BulkWriter, Transaction — the driver boundary.
//
// Everything above db/ (CLI, pipelines, sync) talks to databases only through these
// interfaces; a driver implements them once. A Connection is used by one thread at a time;
// cancel() is the exception and may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/batch.hpp"
#include "weir/error.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/dialect.hpp"
#include "weir/value.hpp"

namespace weir::db {

// What a connection lends out (cursors, bulk writers) may be left alive after the connection
// on an error path that drops the connection first. Each holds a Tether to the connection it
// came from and checks it before touching the connection: a lender that is gone is an
// Error{internal} naming `what`, never a use of freed memory.
class Tether {
 public:
  explicit Tether(std::weak_ptr<const void> lender) noexcept : lender_(std::move(lender)) {}
  bool held() const noexcept { return !lender_.expired(); }
  void check(std::string_view what) const {
    if (!held()) throw Error(ErrorKind::internal, std::string(what) + " was used after its connection was closed");
  }

 private:
  std::weak_ptr<const void> lender_;
};

// A streaming result. Rows are fetched as next() asks for them: memory stays bounded by
// max_rows whatever the result's size. Destroying a cursor before the end discards the rest.
// PostgreSQL and MySQL stream one result per connection: another statement on the connection
// discards the rest of an open cursor's rows, and its next() then throws (ErrorKind::internal)
// rather than report an end the result never reached. SQLite keeps several cursors open.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual const std::shared_ptr<const Schema>& schema() const noexcept = 0;
  // Replaces the contents of `out` with up to `max_rows` next rows (out takes this cursor's
  // schema). Returns false, with `out` empty, once the result is exhausted.
  virtual bool next(Batch& out, std::size_t max_rows) = 0;
};

enum class WriteMode { insert, upsert, update, remove, insert_or_ignore };

struct WriteSpec {
  TableRef table;
  std::vector<std::string> columns;  // target columns, in the order of the batches' cells
  WriteMode mode = WriteMode::insert;
  std::vector<std::string> key;      // for upsert, update and remove; insert_or_ignore: the conflict's (else any)
};

// What a write did, each row given to the writer counted exactly once, so the fields add up
// to the rows given:
//   insert  inserted
//   upsert  inserted (a new key), updated (a key already there holding other values, or an
//           earlier row of the same batch), unchanged (the row already held these values, or
//           there is nothing but the key to set: left as it was, no trigger fired), upserted
//           (inserted or updated, by a writer that cannot tell which: none of weir's drivers)
//   insert_or_ignore  inserted, unchanged (a row with the key was already there: left alone)
//   update  updated, unchanged (MySQL/MariaDB say when a row already held these values),
//           not_found (no row has the key)
//   delete  deleted (rows of the key were deleted), not_found (none was there: also a key
//           deleted by an earlier row of the same batch)
// and an output that leaves rows out by its configuration counts them skipped (sql_apply: a
// change of a table not among its `tables`).
struct WriteCounts {
  std::uint64_t inserted = 0;
  std::uint64_t updated = 0;
  std::uint64_t deleted = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t upserted = 0;
  std::uint64_t not_found = 0;
  std::uint64_t skipped = 0;

  // The rows that reached the target: all but those not found or skipped.
  std::uint64_t written() const noexcept { return inserted + updated + deleted + unchanged + upserted; }
  WriteCounts& operator+=(const WriteCounts& other) noexcept;
  bool operator==(const WriteCounts&) const = default;
};

// Writes batches into one table by the fastest path the driver has (prepared statement
// reuse, multi-row VALUES, COPY, LOAD DATA). It does not open a transaction: the caller
// decides the unit of commit.
class BulkWriter {
 public:
  virtual ~BulkWriter() = default;
  // Writes every row of `batch` (its width must equal the spec's column count) and returns
  // what became of them. Nothing is counted for a write that throws, which may have written
  // some of its rows: roll back (to a savepoint taken before it) before going on.
  virtual WriteCounts write(const Batch& batch) = 0;
  // Flushes what is buffered; returns the counts of every write since the writer was made.
  virtual WriteCounts finish() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;

  virtual const Dialect& dialect() const noexcept = 0;

  // Runs a statement that returns rows. `params` bind to the placeholders in order.
  virtual std::unique_ptr<Cursor> query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs a statement whose rows are few enough to hold at once (a page: its LIMIT bounds it).
  // A driver may then fetch them in one piece rather than row by row, which costs less.
  virtual std::unique_ptr<Cursor> query_page(std::string_view sql, std::span<const Value> params = {}) {
    return query(sql, params);
  }
  // Runs a statement; returns the number of rows it changed.
  virtual std::uint64_t execute(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs several ';'-separated statements without parameters (DDL scripts, seed data).
  virtual void execute_script(std::string_view sql) = 0;

  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual bool in_transaction() const noexcept = 0;
  // With true, lets the commits of later transactions return before they are durable: a power
  // loss may then undo the last ones, each whole, never part of one (SQLite in WAL mode, unless
  // its URL sets `synchronous`); with false, they wait for the disk again. Drivers whose commits
  // are as durable as the server is set up ignore it.
  virtual void defer_durability(bool defer) { (void)defer; }
  // Returns once every transaction committed so far is durable; throws if that failed.
  virtual void make_durable() {}
  void savepoint(std::string_view name);
  void release_savepoint(std::string_view name);
  void rollback_to_savepoint(std::string_view name);

  virtual std::unique_ptr<BulkWriter> bulk_writer(const WriteSpec& spec) = 0;

  virtual std::vector<TableRef> list_tables() = 0;
  // nullopt when the table does not exist.
  virtual std::optional<TableInfo> describe_table(const TableRef& table) = 0;

  // Round-trips to the server (or checks the file); throws on failure.
  virtual void ping() = 0;
  // True when the connection is known to be unusable (the server closed it), judged without
  // a round trip. A pool drops such connections instead of handing them out again.
  virtual bool broken() const noexcept { return false; }
  // Asks the running statement to stop; safe from another thread. It then throws
  // Error{cancelled}.
  virtual void cancel() noexcept = 0;

  // For what this connection lends out: held while the connection exists.
  Tether tether() const noexcept { return Tether(alive_); }

 private:
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

// Commits on commit(); rolls back if destroyed before that (on exceptions).
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection* connection_;
  bool open_ = true;
};

}  // namespace weir::db
