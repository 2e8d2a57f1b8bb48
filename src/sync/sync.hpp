// weir sync: copies one table from a source database into a target (another connection, or
// the embedded store `local`), whole or incrementally, resumable after a crash.
//
// A sync is a pipeline made without a file: a full sync of a table with a primary key reads
// it in key ranges, --jobs readers at once over one snapshot where the database can share one,
// handing them to several writers (range_feed.hpp), and one of a PostgreSQL table without a key in block (ctid) ranges the
// same way; otherwise sql_poll reads the source in pages ordered by the --cursor columns
// (incremental) or in one pass (no key elsewhere, --truncate). sql_write writes them through
// the commit engine with the target's bulk path, and the pipelines' state store — its table
// weir_state in the target database — keeps the position, committed in the same transaction
// as each batch's rows, so a crash neither loses nor repeats a row. A full sync stopped midway
// resumes after the last committed key — each key range after its last committed row — and
// forgets its position once it reached the end; an incremental one keeps it for the next run.
// A table without a key cannot be resumed (its rows cannot be told apart): read in block
// ranges, a rerun after a stop empties the target and copies it again, saying so.
// Before anything is written the plan (table_plan.hpp) checks the table, columns, cursor,
// --where and that every column's type can be carried exactly, and creates a missing target.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "weir/db/catalog.hpp"
#include "weir/db/driver.hpp"

namespace weir::sync {

enum class Mode { full, incremental };
// What a full sync does with a row whose key the target already holds.
enum class OnConflict { fail, replace, skip };
// What a value the source cannot read (a MySQL zero date) or the existing target column cannot
// hold (a number out of its range) becomes (bad_values.hpp).
enum class OnBadValue { fail, null };

// How far a running sync is, every Request::progress_every.
struct Progress {
  std::string source;  // as Report::source
  std::string target;
  std::uint64_t rows_read = 0;
  std::uint64_t rows_written = 0;
  double rows_per_second = 0;                 // since the last report
  std::optional<std::int64_t> row_estimate{};  // the source catalog's estimate of the table's rows
  std::optional<std::int64_t> size_bytes{};    // the source table's size on disk
};

struct Request {
  db::ConnectionConfig source;
  db::TableRef source_table;
  db::ConnectionConfig target;
  db::TableRef target_table;  // empty name: the source table's
  Mode mode = Mode::full;
  std::vector<std::string> cursor;  // incremental: the columns the rows are read in order of
  std::string where;                // a condition on the source's rows, SQL in its dialect
  OnConflict on_conflict = OnConflict::fail;
  bool truncate = false;  // full: the target's rows are replaced, in one transaction
  bool verify = false;    // compare row count and checksum on both sides at the end
  bool reset = false;     // forget the position kept for this source and target first
  bool with_indexes = false;  // build the source's secondary indexes and unique constraints after the load
  OnBadValue on_bad_value = OnBadValue::fail;
  // A full sync of a table with a primary key: how many readers read its key ranges at once;
  // of a PostgreSQL table without one, its block (ctid) ranges.
  int jobs = 1;
  // A full sync of a table with a primary key: how many writers fill the target table at once,
  // each with its own connection and checkpoint (range_feed.hpp); 0: two into PostgreSQL, one
  // elsewhere. Always one into SQLite, and for block ranges.
  int writers = 0;
  std::chrono::milliseconds progress_every{0};
  // Given, called every progress_every (from another thread); else a log line is printed.
  std::function<void(const Progress&)> on_progress;
  std::stop_token stop;
};

// Both sides' row count and checksum (an order-independent hash of every row's values).
struct Verification {
  std::uint64_t source_rows = 0;
  std::uint64_t target_rows = 0;
  std::uint64_t source_checksum = 0;
  std::uint64_t target_checksum = 0;
  bool matches() const noexcept { return source_rows == target_rows && source_checksum == target_checksum; }
};

struct Report {
  std::string source;  // "shop.public.orders"
  std::string target;
  std::uint64_t rows_read = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t rows_skipped = 0;  // full with --on-conflict skip: rows whose key was there
  bool created = false;            // the target table was created
  bool resumed = false;            // a full sync went on from where a stopped one ended
  bool interrupted = false;        // stopped before every row was read
  int indexes_built = 0;           // --with-indexes
  std::uint64_t values_nulled = 0; // --on-bad-value null: values written as NULL, each named in a warning
  std::optional<Verification> verification;
  double seconds = 0;
  std::string error;          // empty when the sync finished
  bool config_error = false;  // the error is the input's to fix (exit 2)
};

// Runs the sync. Throws Error{config} for a request found wrong before anything was written
// (unknown table or column, invalid --where, a type that cannot be carried); what fails later
// is in Report::error.
Report run(const Request& request);

// Throws Error{config} when `target` is read_only, before anything reaches a server.
void refuse_read_only(const db::ConnectionConfig& target);

}  // namespace weir::sync
