// How sql_apply cuts a batch of changes into runs that one statement kind applies: the rows of
// a run go to the target together through the database's bulk path (COPY, LOAD DATA, a staged
// merge, multi-row VALUES), and runs are applied in the batch's order, so the changes to one
// key keep their order.
//
// A run is a stretch of consecutive rows of one kind writing the same columns:
//   insert    inserts (and plain rows) with on_conflict: insert — a key already there is rejected
//   upsert    inserts otherwise, and updates sending every column with on_conflict: upsert
//             (a row missing in the target is inserted)
//   update    updates that keep their key, writing the columns the source sent: a cell it did not
//             send (an unchanged TOASTed value) is left out of the UPDATE, so the target keeps it
//   rekey     updates that change the key: found by the before image's key
//   remove    deletes, found by the before image's key (the row's own cells when it has none)
//   truncate  one row: every row of the table goes
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "weir/batch.hpp"

namespace weir::modules {

enum class OnConflict { insert, upsert, update };
OnConflict parse_on_conflict(std::string_view text);

enum class RunKind : std::uint8_t { insert, upsert, update, rekey, remove, truncate };

struct ChangeRun {
  RunKind kind;
  std::size_t begin, end;     // rows [begin, end) of the batch
  // Per target column, whether this run writes it (the cells the source sent); empty when it
  // writes them all (remove: the key; truncate: none).
  std::vector<bool> written;
  bool operator==(const ChangeRun&) const = default;
};

// The target's columns as the batch holds them.
struct TargetColumns {
  std::span<const std::size_t> sources;  // per target column: its column in the batch
  std::span<const std::size_t> key;      // the key's target columns
};

// The runs of `rows`, in order, covering every row.
std::vector<ChangeRun> plan_runs(const Batch& rows, const TargetColumns& columns, OnConflict on_conflict);

}  // namespace weir::modules
