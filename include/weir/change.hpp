// weir::ChangeOp and weir::SourceTable — what a row of a batch stands for.
//
// A query's result is plain rows. A change stream (PostgreSQL logical decoding, a queue of
// change events) delivers changes: each row is an insert, update, delete or truncate of one
// source table, may carry the row as it was before, may leave cells out (PostgreSQL does
// not resend an unchanged TOASTed value: such a cell is neither NULL nor a value), and the
// source's transactions end somewhere in the stream. Batch records all of this beside its
// cells, only for batches that hold changes (see weir/batch.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weir {

enum class ChangeOp : std::uint8_t {
  row,       // a plain row: no change, e.g. a polled query's result
  insert,
  update,
  remove,    // a delete (`delete` is a keyword)
  truncate,  // every row of the source table went; the row's cells are not used
};

std::string_view to_string(ChangeOp op) noexcept;

// Where a change sits in its source's history: its transaction and its place in it. Together
// (commit_lsn, index) order every change of a stream and are its position for a restart.
struct ChangePosition {
  std::uint64_t commit_lsn = 0;   // where the source committed its transaction (PostgreSQL: an LSN)
  std::uint64_t txid = 0;         // the source's transaction id
  std::int64_t commit_time = 0;   // microseconds since the Unix epoch, UTC
  std::uint64_t index = 0;        // the change's place in its transaction, from 0
  bool operator==(const ChangePosition&) const = default;
};

// "16/B374D848": a 64-bit log position (PostgreSQL's LSN) as pg_lsn prints it, the high and
// low 32 bits in hexadecimal.
std::string format_lsn(std::uint64_t lsn);

// "16/B3748:3": the commit LSN as format_lsn() prints it, then the index; what a dead letter names.
std::string to_string(const ChangePosition& position);

// The table a batch's rows come from, as the source names it; empty when not one table.
struct SourceTable {
  std::string schema;  // empty where the database has none (SQLite)
  std::string name;
  bool empty() const noexcept { return name.empty(); }
  bool operator==(const SourceTable&) const = default;
};

}  // namespace weir
