// SQL text for writes and DDL, spelled by a Dialect. Identifiers are quoted here; values are
// never spliced: every statement takes placeholders, and param_columns says which column of
// the WriteSpec binds to each placeholder.
#pragma once

#include <string>
#include <vector>

#include "weir/db/connection.hpp"
#include "weir/db/dialect.hpp"

namespace weir::db {

struct WriteStatement {
  std::string sql;
  std::vector<std::size_t> param_columns;  // placeholder i binds spec.columns[param_columns[i]]
};

// INSERT / upsert / insert-or-ignore / UPDATE … WHERE key / DELETE … WHERE key for one row —
// or, for the modes that insert, for `rows` rows in one multi-row VALUES list (placeholders
// numbered row-major).
// Throws Error{config} when the mode needs a key that the columns lack.
WriteStatement write_statement(const Dialect& dialect, const WriteSpec& spec, std::size_t rows = 1);

// UPDATE … SET every column of `spec` WHERE its key columns equal the parameters after them:
// for a row whose key changes, the new values (key included) bound first, then the old key
// in `spec.key`'s order.
std::string rekey_sql(const Dialect& dialect, const WriteSpec& spec);

// Whether `mode` writes INSERT statements (insert, upsert, insert_or_ignore).
bool inserts_rows(WriteMode mode) noexcept;

// The columns of `spec` that are not key columns, in order: what an upsert or update sets.
std::vector<std::string> non_key_columns(const WriteSpec& spec);

// What one update or delete statement for `rows` rows (by key) did, from the rows it reported
// affected: a row counts once, as found or not, however many target rows share its key.
// (Inserts count what they inserted; upserts differ per database.)
WriteCounts statement_counts(WriteMode mode, std::size_t rows, std::uint64_t affected);

// Per row of `batch` (laid out as `spec.columns`): 1 when no later row has the same key
// (`spec.key`, values compared as keys are: 42 and 42.0 alike), i.e. the row its key ends with;
// with `first`, when no earlier row has it.
std::vector<char> last_rows_of_keys(const Batch& batch, const WriteSpec& spec, bool first = false);
std::size_t count_last_rows_of_keys(const Batch& batch, const WriteSpec& spec);

// Throws Error{internal} when `batch` does not have one cell per column of `spec`.
void check_batch_width(const Batch& batch, const WriteSpec& spec);

// DELETE of every row of `table`: transactional on every database (PostgreSQL's TRUNCATE is
// too but locks out readers; MySQL's commits at once), and readers keep seeing the old rows
// until the deleting transaction commits.
std::string delete_all_sql(const Dialect& dialect, const TableRef& table);

// CREATE TABLE IF NOT EXISTS with the dialect's column types (Dialect::column_type), the
// source's NOT NULLs, and `key` as primary key — or, without one, the source's primary key
// columns.
std::string create_table_sql(const Dialect& dialect, const TableRef& table, const Schema& schema,
                             const std::vector<std::string>& key);

// Runs `create_if_not_exists` (a CREATE … IF NOT EXISTS), once more when it fails: PostgreSQL
// answers two sessions creating the same table at once with a unique violation in its catalog
// for the one that lost (not a skip), or with "type … already exists" (42710), by which time
// the winner's table is committed — pipelines starting together on a new state store, or a
// sync's writers, do that.
void create_if_missing(Connection& connection, std::string_view create_if_not_exists);

}  // namespace weir::db
