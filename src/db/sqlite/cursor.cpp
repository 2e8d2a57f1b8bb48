#include "db/sqlite/cursor.hpp"

#include <sqlite3.h>

#include "db/common/row_cells.hpp"
#include "db/sqlite/types.hpp"

namespace weir::db::sqlite {
namespace {

// NOT NULL and primary key of a result column that is a table's column.
void describe_origin(sqlite3_stmt* s, int i, Column& c) {
  const char* table = sqlite3_column_table_name(s, i);
  const char* origin = sqlite3_column_origin_name(s, i);
  if (!table || !origin) return;
  int not_null = 0, primary_key = 0;
  if (sqlite3_table_column_metadata(sqlite3_db_handle(s), sqlite3_column_database_name(s, i), table, origin, nullptr,
                                    nullptr, &not_null, &primary_key, nullptr) != SQLITE_OK)
    return;
  c.nullable = !not_null;
  c.primary_key = primary_key;
}

}  // namespace

// The first step runs here, before the columns are read: it is what re-prepares a cached
// statement whose table changed, and only then do the column names and types match the rows.
SqliteCursor::SqliteCursor(Statement stmt) : stmt_(std::move(stmt)) {
  pending_row_ = stmt_.step();
  done_ = !pending_row_;
  sqlite3_stmt* s = stmt_.get();
  int n = sqlite3_column_count(s);
  std::vector<Column> columns;
  columns.reserve(n);
  for (int i = 0; i < n; ++i) {
    const char* declared = sqlite3_column_decltype(s, i);
    Column c;
    c.name = sqlite3_column_name(s, i);
    describe_declared(declared ? declared : "", c);
    describe_origin(s, i, c);
    logical_.push_back(c.type);
    columns.push_back(std::move(c));
  }
  schema_ = std::make_shared<const Schema>(std::move(columns));
}

bool SqliteCursor::next(Batch& out, std::size_t max_rows) {
  if (out.schema_ptr() != schema_) out.reset(schema_);
  else out.clear();
  if (done_) return false;
  out.reserve(max_rows);
  sqlite3_stmt* s = stmt_.live();
  const int width = static_cast<int>(logical_.size());
  while (out.rows() < max_rows) {
    if (pending_row_) {
      pending_row_ = false;
    } else if (!stmt_.step()) {
      done_ = true;
      break;
    }
    db::read_row_cells(
        out.append_row().first(static_cast<std::size_t>(width)),
        [&](std::size_t c, Value& cell) { read_cell(sqlite3_column_value(s, static_cast<int>(c)), logical_[c], cell); },
        [&](std::size_t c) -> const std::string& { return (*schema_)[c].name; });
  }
  return !out.empty();
}

}  // namespace weir::db::sqlite
