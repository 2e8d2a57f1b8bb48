#include "db/sqlite/bulk_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "db/sqlite/batch_table.hpp"
#include "db/sqlite/errors.hpp"
#include "db/sqlite/types.hpp"
#include "weir/error.hpp"

namespace weir::db::sqlite {
namespace {
constexpr std::size_t kMaxChunkRows = 64;
constexpr std::size_t kMaxParameters = 32766;  // SQLITE_MAX_VARIABLE_NUMBER since 3.32

// INSERT OR FAIL INTO "t" ("a", "b") SELECT c0, c1 FROM weir_batch_2(?1): a batch's rows in one
// statement. OR FAIL: a rejected row stops the statement without undoing the rows before it,
// which the caller rolls back (to its savepoint) after any failed write, as it must on
// PostgreSQL. So SQLite keeps no statement journal: with the default one (ABORT), each page an
// earlier statement of the transaction had dirtied was copied into it when the page cache
// spilled, and into a temporary file past 64 KiB — four pages of five of a 1,000,000-row copy.
std::string insert_rows_sql(const Dialect& d, const WriteSpec& spec, const std::string& batch_table) {
  std::string cells;
  for (std::size_t c = 0; c < spec.columns.size(); ++c) cells += fmt::format("{}c{}", c ? ", " : "", c);
  return fmt::format("INSERT OR FAIL INTO {} ({}) SELECT {} FROM {}(?1)", d.quote_table(spec.table),
                     d.quote_identifiers(spec.columns), cells, batch_table);
}

// An upsert that may update, its DO UPDATE … WHERE <differs> turned into WHERE
// weir_conflict(<differs>): SQLite evaluates that condition once for each row whose key is
// there (already, or from an earlier row of the statement), so the connection's counter
// (SqliteConnection::conflict_counter) tells the rows it inserted from the others.
WriteStatement counting_conflicts(WriteStatement st, const Dialect& d, const WriteSpec& spec) {
  const std::string where = " WHERE " + d.differs(non_key_columns(spec), d.quote_table(spec.table), "excluded");
  if (!st.sql.ends_with(where))
    throw Error(ErrorKind::internal, "the SQLite upsert does not end with the condition that counts its conflicts");
  st.sql.replace(st.sql.size() - where.size(), where.size(), " WHERE weir_conflict(" + where.substr(7) + ")");
  return st;
}

WriteStatement upsert_counting(const Dialect& d, const WriteSpec& spec, bool counting, std::size_t rows = 1) {
  WriteStatement st = write_statement(d, spec, rows);
  return counting ? counting_conflicts(std::move(st), d, spec) : st;
}

// Resets a statement on every way out: one left in its failed state refuses the next batch's
// bindings (SQLITE_MISUSE), and the writer must stay usable after a failed write().
struct ResetOnExit {
  sqlite3_stmt* s;
  ~ResetOnExit() { sqlite3_reset(s); }
};
}  // namespace

SqliteBulkWriter::SqliteBulkWriter(SqliteConnection& connection, const WriteSpec& spec)
    : spec_(spec),
      updates_on_conflict_(spec.mode == WriteMode::upsert && !non_key_columns(spec).empty()),
      conflicts_(updates_on_conflict_ ? connection.conflict_counter() : nullptr),
      single_(upsert_counting(connection.dialect(), spec, updates_on_conflict_)),
      single_stmt_(connection.prepare(single_.sql)) {
  if (spec.mode == WriteMode::insert) {
    const std::string table = connection.batch_table(spec.columns.size());
    rows_stmt_.emplace(connection.prepare(insert_rows_sql(connection.dialect(), spec, table)));
  } else if (spec.mode == WriteMode::upsert || spec.mode == WriteMode::insert_or_ignore) {
    chunk_rows_ = std::max<std::size_t>(1, std::min(kMaxChunkRows, kMaxParameters / spec.columns.size()));
  }
  if (chunk_rows_ > 1) {
    chunk_ = upsert_counting(connection.dialect(), spec, updates_on_conflict_, chunk_rows_);
    chunk_stmt_.emplace(connection.prepare(chunk_->sql));
  }
  if (std::optional<TableInfo> table = connection.describe_table(spec.table)) {
    scale_limits_ = scale_limits(table->columns, spec.columns);
    for (const std::string& name : spec.columns) {
      auto column = std::find_if(table->columns.begin(), table->columns.end(),
                                 [&](const Column& c) { return c.name == name; });
      numeric_affinity_.push_back(column != table->columns.end() && numeric_affinity(column->native_type));
    }
  }
}

void SqliteBulkWriter::check_numeric_affinity(const Batch& batch) const {
  for (std::size_t c = 0; c < numeric_affinity_.size() && c < batch.width(); ++c) {
    if (!numeric_affinity_[c]) continue;
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      const Value& v = batch.at(r, c);
      std::string_view text = v.type() == Type::decimal ? std::string_view(v.get<Decimal>().text)
                              : v.type() == Type::text  ? std::string_view(v.as_text())
                                                        : std::string_view();
      if (text.empty()) continue;
      if (std::optional<std::string> stored = numeric_affinity_change(text))
        throw Error(ErrorKind::data,
                    fmt::format("column `{}`, row {} of the batch: {} would be stored as the REAL {} (the column's "
                                "NUMERIC affinity); a DECIMAL_TEXT column keeps decimals exact",
                                spec_.columns[c], r + 1, text, *stored));
    }
  }
}

WriteCounts SqliteBulkWriter::write(const Batch& batch) {
  check_batch_width(batch, spec_);
  check_scales(batch, scale_limits_, spec_.columns);
  check_numeric_affinity(batch);
  WriteCounts counts;
  // A single row (the rows around a rejected one are written one at a time) goes through the
  // plain VALUES statement: INSERT … SELECT opens a statement journal that one row does not need.
  if (rows_stmt_ && batch.rows() > 1) {
    sqlite3_stmt* s = rows_stmt_->live();
    const BatchRows rows{&batch, 0, batch.rows()};
    bind_rows(s, 1, rows);
    step(s, 0, batch.rows(), counts);
    counts_ += counts;
    return counts;
  }
  std::size_t r = 0;
  if (chunk_stmt_)
    for (; r + chunk_rows_ <= batch.rows(); r += chunk_rows_) run(*chunk_stmt_, *chunk_, batch, r, chunk_rows_, counts);
  for (; r < batch.rows(); ++r) run(single_stmt_, single_, batch, r, 1, counts);
  counts_ += counts;
  return counts;
}

void SqliteBulkWriter::run(Statement& stmt, const WriteStatement& shape, const Batch& batch, std::size_t first,
                           std::size_t rows, WriteCounts& counts) {
  sqlite3_stmt* s = stmt.live();
  const auto& params = shape.param_columns;
  int index = 1;
  for (std::size_t r = first; r < first + rows; ++r) {
    std::span<const Value> row = batch.row(r);
    for (std::size_t column : params) bind_value(s, index++, row[column], true);
  }
  step(s, first, rows, counts);
}

void SqliteBulkWriter::step(sqlite3_stmt* s, std::size_t first, std::size_t rows, WriteCounts& counts) {
  sqlite3* db = sqlite3_db_handle(s);
  ResetOnExit reset{s};
  const std::uint64_t conflicts_before = conflicts_ ? *conflicts_ : 0;
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    // `reset` runs as this unwinds: a rethrow here would double the cost of each rejected
    // row, which a batch of rejected rows pays once per row.
    std::string where = rows == 1 ? fmt::format("row {}", first + 1) : fmt::format("rows {}–{}", first + 1, first + rows);
    throw_error(db, rc, fmt::format("writing {} of the batch to `{}`", where, spec_.table.to_string()));
  }
  const auto changes = static_cast<std::uint64_t>(sqlite3_changes(db));
  switch (spec_.mode) {
    case WriteMode::insert: counts.inserted += changes; break;
    // changes() counts an upserted row once, inserted or updated alike; a conflict the
    // clause's WHERE leaves alone (the row holds the values already) or with nothing to set
    // (DO NOTHING) changes nothing. The rows that met no conflict were inserted.
    case WriteMode::upsert: {
      const std::uint64_t conflicts = conflicts_ ? std::min<std::uint64_t>(*conflicts_ - conflicts_before, rows) : 0;
      const std::uint64_t inserted = std::min<std::uint64_t>(rows - conflicts, changes);
      counts.inserted += inserted;
      counts.updated += changes - inserted;
      counts.unchanged += rows - changes;
      break;
    }
    case WriteMode::insert_or_ignore:
      counts.inserted += changes;
      counts.unchanged += rows - changes;
      break;
    default: counts += statement_counts(spec_.mode, rows, changes);
  }
}

}  // namespace weir::db::sqlite
