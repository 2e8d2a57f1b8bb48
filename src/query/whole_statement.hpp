// A statement whose tables all live on one connection, run there whole (aggregates, joins,
// subqueries, window functions and all), when the database's answer is SQLite's answer:
//
// - on a SQLite file: the same engine, when the tables hold only integers, floats, text and
//   bytes (the types the virtual tables pass on unchanged);
// - on PostgreSQL: each table is read through a derived table whose text columns compare in
//   byte order (`COLLATE "C"`, SQLite's BINARY) and uuids and json as text (no text literal is
//   compared with a boolean: SQLite holds them as 0 and 1);
//   every ORDER BY term without NULLS FIRST/LAST gets SQLite's (NULLs first ascending, last
//   descending); a date, time or timestamp literal must be in weir's canonical form for the
//   column it is compared with (SQLite compares such values as text); and the statement may
//   use only what means the same in both: comparisons, AND/OR/NOT, IN, BETWEEN, EXISTS, CASE,
//   IS [NOT] NULL, `||`, joins, GROUP BY, HAVING, ORDER BY, LIMIT/OFFSET, UNION/EXCEPT/
//   INTERSECT, WITH, window functions, and count, sum, min, max, coalesce, nullif, row_number,
//   rank, dense_rank, ntile, lag, lead, first_value, last_value. No arithmetic (SQLite's REAL
//   arithmetic on decimals and its integer overflow differ from PostgreSQL's), no LIKE (ASCII
//   case folding in SQLite), no CAST, no other function.
//
// MySQL/MariaDB never (collations fold case and trailing spaces for =, GROUP BY and DISTINCT).
// Anything else keeps the virtual-table path; the reason is kept for --explain.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/table_names.hpp"
#include "weir/db/dialect.hpp"
#include "weir/schema.hpp"

namespace weir::query {

struct WholeStatement {
  std::optional<std::string> sql;  // the statement for the remote, when it may run there
  std::string why_not;             // otherwise, why not
};

// `sql` (SQLite's SQL) naming the tables `names`, all of one connection of `dialect`;
// `columns[i]` are the columns of `names[i]`.
WholeStatement whole_statement(std::string_view sql, const std::vector<TableName>& names,
                               const std::vector<const std::vector<Column>*>& columns, const db::Dialect& dialect);

}  // namespace weir::query
