// A PostgreSQL table without a primary key cut into ranges of its heap blocks (ctid ranges),
// for a full sync read by several readers at once over one exported snapshot, as
// postgres_cdc's initial snapshot reads its tables (cdc/snapshot.cpp).
//
// Range i holds the rows whose ctid lies in blocks [first, end): `ctid >= '(first,0)'::tid AND
// ctid < '(end,0)'::tid`; the first range has no lower bound and the last none above (the
// table may hold more blocks than its size said when the ranges were cut). In one snapshot a
// row's ctid does not move, so each row is read once, duplicates included.
//
// Not resumed range by range: the target's rows cannot be told apart (no key names them), and
// a row updated between two runs has another ctid. The checkpoint says only that a sync of the
// table began and whether the target held no row then; a sync stopped midway and run again
// empties the target and copies the table again (sync.cpp, restart_unkeyed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/table_plan.hpp"
#include "weir/db/connection.hpp"

namespace weir::sync {

struct BlockRange {
  std::uint64_t first = 0;  // 0: from the table's first block
  std::uint64_t end = 0;    // 0: to the table's end
};

// Heap blocks a range holds at least (8 kB each: 2 MB, a query each), as postgres_cdc's.
inline constexpr std::uint64_t kBlocksPerRange = 256;

// Whether `dialect`'s tables can be read in block ranges (PostgreSQL's ctid).
bool has_block_ranges(const db::Dialect& dialect);

// Cuts `table` into at most `most` ranges of about equal blocks, its size read on `source` (in
// the snapshot the readers share). A view, a partitioned or a foreign table has no blocks of
// its own: one range, read whole.
std::vector<BlockRange> plan_block_ranges(db::Connection& source, const db::TableRef& table, std::size_t most);

// The SELECT of the plan's columns of the rows of `range` (and `where`).
std::string block_range_sql(const db::Dialect& dialect, const TablePlan& plan, const std::string& where,
                            const BlockRange& range);

// The checkpoint of a sync read in block ranges: it began, and whether the target held no row
// then. Decoding gives nullopt for a text that is not one.
std::string encode_block_checkpoint(bool target_was_empty);
std::optional<bool> decode_block_checkpoint(std::string_view text);

}  // namespace weir::sync
