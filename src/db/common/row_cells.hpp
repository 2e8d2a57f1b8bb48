// Reading one row of a result into its cells, as every driver's cursor does: a cell that cannot
// be read (a MySQL zero date, a number out of range) does not stop the row half-read. Its
// neighbours are read all the same, so that the caller — sql_poll, which knows the row's key
// columns — can name the row; then the first cell's error is thrown, naming its column.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <span>
#include <string_view>

#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir::db {

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
      if (!unreadable) unreadable = std::move(e.add_context(fmt::format("column `{}`", std::string_view(name(c)))));
    }
  }
  if (unreadable) throw *unreadable;
}

}  // namespace weir::db
