// Reading one row of a result into its cells, as every driver's cursor does: a cell that cannot
// be read (a MySQL zero date, a number out of range) does not stop the row half-read. Its
// neighbours are read all the same, so that the caller — sql_poll, which knows the row's key
// columns — can name the row; then the first cell's error is thrown, naming its column, with
// the code kUnreadableValue. The row stays in the batch (its unreadable cells NULL) and the
// cursor stays on it: the next call to Cursor::next goes on with the row after it, so a reader
// that takes NULL for such a value (sql_poll's on_bad_value: null) loses no other row.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <span>
#include <string_view>

#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir::db {

// The code of the Error read_row_cells throws: a value of a row the cursor read, not a failed
// statement.
inline constexpr std::string_view kUnreadableValue = "weir:unreadable-value";

inline bool unreadable_value(const Error& e) noexcept { return e.code() == kUnreadableValue; }

// read(c, cells[c]) reads cell c; name(c) is its column's name.
template <class ReadCell, class ColumnName>
void read_row_cells(std::span<Value> cells, ReadCell&& read, ColumnName&& name) {
  std::optional<Error> unreadable;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    try {
      read(c, cells[c]);
    } catch (Error& e) {
      if (e.kind() != ErrorKind::data) throw;
      cells[c].set_null();
      if (!unreadable)
        unreadable.emplace(ErrorKind::data, fmt::format("column `{}`: {}", std::string_view(name(c)), e.what()),
                           std::string(kUnreadableValue));
    }
  }
  if (unreadable) throw *unreadable;
}

}  // namespace weir::db
