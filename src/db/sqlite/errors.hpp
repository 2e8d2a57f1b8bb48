// Mapping SQLite result codes to weir::Error kinds and retryability.
#pragma once

#include <string_view>

struct sqlite3;

namespace weir::db::sqlite {

// Throws the weir::Error for result code `rc` on `db` (which may be null), prefixed by
// `context` ("preparing statement", "opening /x.db").
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

// Calls throw_error when rc is neither SQLITE_OK, SQLITE_ROW nor SQLITE_DONE.
inline void check(sqlite3* db, int rc, std::string_view context) {
  if (rc != 0 && rc != 100 && rc != 101) throw_error(db, rc, context);
}

}  // namespace weir::db::sqlite
