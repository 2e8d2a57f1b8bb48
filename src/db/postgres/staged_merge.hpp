// Upserts, updates and deletes in bulk through a stage: the batch is COPYed into a temporary
// table shaped like the target's columns plus the row's number in the batch, then one
// statement merges the stage into the target (INSERT … SELECT … ON CONFLICT, UPDATE … FROM,
// DELETE … USING). For large batches this costs the server less than one statement per row
// (bench/pg_merge.sh measures both).
//
// The stage is a temporary table, one per target and column list, made by the first staged
// write of a transaction and dropped at its end (ON COMMIT DROP; a rollback undoes its
// creation): a stage kept for the session would hold on to the column types of its time, go
// stale when the target is altered and stop the types from being dropped. Each batch empties
// it first with TRUNCATE (rows deleted instead would stay in the heap until the transaction
// ends, and every later merge of the transaction would scan them again).
#pragma once

#include <string>

#include "weir/db/connection.hpp"
#include "weir/db/dialect.hpp"

namespace weir::db::postgres {

struct StagedMerge {
  std::string prepare;      // creates the stage unless this transaction has, and empties it
  std::string copy_text;    // COPY stage (columns…, row number) FROM STDIN
  std::string copy_binary;  // the same in binary format
  // Moves the stage's rows into the target and returns one row of int8: the stage's rows
  // found (update: their key matched a row; delete: distinct keys deleted — a repeated key
  // deletes nothing more), inserted (insert_or_ignore: the others were there already) or,
  // for an upsert, two: the keys inserted and the keys updated (the others held the values
  // already or have nothing but the key to set, and were left as they were). See WriteCounts.
  std::string merge;
};

// The statements for `spec` (mode upsert, insert_or_ignore, update or remove; key columns checked by
// write_statement). When a key appears more than once in a batch, its last row wins, as
// when the rows are written one statement each in order.
StagedMerge staged_merge(const Dialect& dialect, const WriteSpec& spec);

}  // namespace weir::db::postgres
