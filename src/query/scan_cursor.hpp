// One scan of a remote table (an sqlite3_vtab_cursor of the `weir_remote` module): the rows it
// serves SQLite, from its remote query's stream or from a key cache (key_batches.hpp), and which
// of the current row's cells SQLite read, so a scan nested in this one can tell which column
// its join key comes from.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "query/pushdown.hpp"
#include "query/remote_source.hpp"

namespace weir::query {

struct RemoteTable;
class KeyCache;

struct ScanCursor {
  sqlite3_vtab_cursor base{};  // first: SQLite hands back a pointer to it
  RemoteTable* table = nullptr;
  const ScanPlan* plan = nullptr;
  std::shared_ptr<RowStream> stream;
  Batch batch;                         // the stream's current rows
  std::shared_ptr<const Batch> keyed;  // instead, a key cache's fetch holding the key's rows
  const KeyCache* keyed_from = nullptr;
  std::size_t row = 0;
  std::size_t end = 0;  // past the rows served: the batch's size, or the end of the key's rows
  sqlite3_int64 rowid = 0;
  std::vector<int> slot;              // column → position in the fetched row, -1: not fetched
  std::vector<std::uint64_t> read_at;  // column → the clock when SQLite last read it
  std::uint64_t row_began = 0;         // the clock when the current row became current
  bool eof = true;
  std::vector<TermArgument> arguments;  // xFilter's term values as the remote takes them (reused)

  const Batch& rows() const noexcept { return keyed ? *keyed : batch; }
  bool on_row() const noexcept { return !eof && row < end; }
};

}  // namespace weir::query
