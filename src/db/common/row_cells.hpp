// Reading one row of a result into its cells, as every driver's cursor does: a cell that cannot
// be read (a MySQL zero date, a number out of range) does not stop the row half-read. Its
// neighbours are read all the same, so that the caller — sql_poll, which knows the row's key
// columns — can name the row; then one error is thrown naming each such cell's column and why
// ("column `d`: …; column `at`: …"), its code saying how many (unreadable_values). The row
// stays in the batch (its unreadable cells NULL) and the cursor stays on it: the next call to
// Cursor::next goes on with the row after it, so a reader that takes NULL for such a value
// (sql_poll's on_bad_value: null) loses no other row.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <span>
#include <string>
#include <string_view>

#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir::db {

// The code of the Error read_row_cells throws — values of a row the cursor read, not a failed
// statement — followed by ":N" when N values of the row were unreadable.
inline constexpr std::string_view kUnreadableValue = "weir:unreadable-value";

// How many values of its row `e` names as unreadable: 0 for any other error.
inline std::size_t unreadable_values(const Error& e) noexcept {
  std::string_view code = e.code();
  if (!code.starts_with(kUnreadableValue)) return 0;
  code.remove_prefix(kUnreadableValue.size());
  std::size_t n = 1;
  if (code.size() > 1) std::from_chars(code.data() + 1, code.data() + code.size(), n);
  return n;
}

inline bool unreadable_value(const Error& e) noexcept { return unreadable_values(e) > 0; }

// read(c, cells[c]) reads cell c; name(c) is its column's name.
template <class ReadCell, class ColumnName>
void read_row_cells(std::span<Value> cells, ReadCell&& read, ColumnName&& name) {
  std::string why;
  std::size_t unreadable = 0;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    try {
      read(c, cells[c]);
    } catch (Error& e) {
      if (e.kind() != ErrorKind::data) throw;
      cells[c].set_null();
      why += fmt::format("{}column `{}`: {}", unreadable++ == 0 ? "" : "; ", std::string_view(name(c)), e.what());
    }
  }
  if (unreadable == 1) throw Error(ErrorKind::data, why, std::string(kUnreadableValue));
  if (unreadable > 1) throw Error(ErrorKind::data, why, fmt::format("{}:{}", kUnreadableValue, unreadable));
}

}  // namespace weir::db
