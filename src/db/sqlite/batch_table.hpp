// Rows of a weir Batch as a table SQLite reads in place, so that one statement inserts them:
//   INSERT INTO "t" ("id", …) SELECT c0, c1, … FROM weir_batch_2(?1)
// with ?1 bound by bind_rows(). SQLite asks for each cell as it builds the row (strings
// borrowed, not copied): a multi-row VALUES statement first copies every cell into a bound
// parameter and then into the row, which cost the writer of a 1,000,000-row copy about a tenth
// of its time. The table is an eponymous virtual table, one per batch width, registered on the
// connection when first asked for; its columns have no type, so the target's column affinity
// applies exactly as to bound values.
#pragma once

#include <cstddef>
#include <string>

#include "weir/batch.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace weir::db::sqlite {

struct BatchRows {
  const Batch* batch = nullptr;
  std::size_t first = 0;
  std::size_t count = 0;
};

// The name of the table of `width` columns (c0 … c<width-1>) on `db`, registering it first.
std::string register_batch_table(sqlite3* db, std::size_t width);
// Binds `rows` (which must outlive the statement's step) to parameter `index`.
void bind_rows(sqlite3_stmt* stmt, int index, const BatchRows& rows);

}  // namespace weir::db::sqlite
