#include "db/common/sql_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "core/value_order.hpp"

#include "weir/error.hpp"

namespace weir::db {
namespace {

std::size_t column_index(const WriteSpec& spec, const std::string& name) {
  auto it = std::find(spec.columns.begin(), spec.columns.end(), name);
  if (it == spec.columns.end())
    throw Error(ErrorKind::config, fmt::format("key column `{}` is not among the columns written to `{}`",
                                               name, spec.table.to_string()));
  return static_cast<std::size_t>(it - spec.columns.begin());
}

bool is_key(const WriteSpec& spec, const std::string& column) {
  return std::find(spec.key.begin(), spec.key.end(), column) != spec.key.end();
}

// "a" = $3 AND "b" = $4, appending the bound columns to `params`.
std::string key_predicate(const Dialect& d, const WriteSpec& spec, std::vector<std::size_t>& params) {
  std::string out;
  for (const std::string& k : spec.key) {
    if (!out.empty()) out += " AND ";
    params.push_back(column_index(spec, k));
    out += d.quote_identifier(k) + " = " + d.placeholder(params.size());
  }
  return out;
}

WriteStatement insert_statement(const Dialect& d, const WriteSpec& spec, std::size_t rows) {
  WriteStatement st;
  std::string tuples;
  for (std::size_t i = 0; i < spec.columns.size(); ++i) st.param_columns.push_back(i);
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    tuples += r ? ", (" : "(";
    for (std::size_t i = 0; i < spec.columns.size(); ++i) tuples += (i ? ", " : "") + d.placeholder(++n);
    tuples += ')';
  }
  st.sql = fmt::format("INSERT INTO {} ({}) VALUES {}", d.quote_table(spec.table), d.quote_identifiers(spec.columns),
                       tuples);
  for (const std::string& k : spec.key) column_index(spec, k);
  if (spec.mode == WriteMode::upsert) st.sql += d.upsert_clause(spec.table, spec.key, non_key_columns(spec));
  if (spec.mode == WriteMode::insert_or_ignore) st.sql += d.ignore_clause(spec.key, spec.columns);
  return st;
}

}  // namespace

WriteStatement write_statement(const Dialect& d, const WriteSpec& spec, std::size_t rows) {
  if (spec.columns.empty())
    throw Error(ErrorKind::config, fmt::format("no columns to write to `{}`", spec.table.to_string()));
  if (spec.mode != WriteMode::insert && spec.mode != WriteMode::insert_or_ignore && spec.key.empty())
    throw Error(ErrorKind::config,
                fmt::format("writing to `{}` in this mode needs a key", spec.table.to_string()));
  if (inserts_rows(spec.mode)) return insert_statement(d, spec, rows);

  WriteStatement st;
  if (spec.mode == WriteMode::remove) {
    std::string where = key_predicate(d, spec, st.param_columns);
    st.sql = fmt::format("DELETE FROM {} WHERE {}", d.quote_table(spec.table), where);
    return st;
  }
  std::string sets;
  for (std::size_t i = 0; i < spec.columns.size(); ++i) {
    if (is_key(spec, spec.columns[i])) continue;
    if (!sets.empty()) sets += ", ";
    st.param_columns.push_back(i);
    sets += d.quote_identifier(spec.columns[i]) + " = " + d.placeholder(st.param_columns.size());
  }
  if (sets.empty())
    throw Error(ErrorKind::config,
                fmt::format("update of `{}` has no non-key column to set", spec.table.to_string()));
  std::string where = key_predicate(d, spec, st.param_columns);
  st.sql = fmt::format("UPDATE {} SET {} WHERE {}", d.quote_table(spec.table), sets, where);
  return st;
}

std::string rekey_sql(const Dialect& d, const WriteSpec& spec) {
  if (spec.columns.empty() || spec.key.empty())
    throw Error(ErrorKind::config, fmt::format("changing a key of `{}` needs its columns and key", spec.table.to_string()));
  std::string sets, where;
  std::size_t n = 0;
  for (const std::string& c : spec.columns)
    sets += fmt::format("{}{} = {}", sets.empty() ? "" : ", ", d.quote_identifier(c), d.placeholder(++n));
  for (const std::string& k : spec.key)
    where += fmt::format("{}{} = {}", where.empty() ? "" : " AND ", d.quote_identifier(k), d.placeholder(++n));
  return fmt::format("UPDATE {} SET {} WHERE {}", d.quote_table(spec.table), sets, where);
}

bool inserts_rows(WriteMode mode) noexcept {
  return mode == WriteMode::insert || mode == WriteMode::upsert || mode == WriteMode::insert_or_ignore;
}

std::vector<std::string> non_key_columns(const WriteSpec& spec) {
  std::vector<std::string> out;
  for (const std::string& c : spec.columns)
    if (!is_key(spec, c)) out.push_back(c);
  return out;
}

WriteCounts statement_counts(WriteMode mode, std::size_t rows, std::uint64_t affected) {
  WriteCounts counts;
  const std::uint64_t found = std::min<std::uint64_t>(affected, rows);
  switch (mode) {
    case WriteMode::insert:
    case WriteMode::upsert:
    case WriteMode::insert_or_ignore:
      throw Error(ErrorKind::internal, "statement_counts: inserts and upserts are counted by each driver");
    case WriteMode::update: counts.updated = found; break;
    case WriteMode::remove: counts.deleted = found; break;
  }
  counts.not_found = rows - found;
  return counts;
}

std::vector<char> last_rows_of_keys(const Batch& batch, const WriteSpec& spec, bool first) {
  std::vector<std::size_t> key_columns;
  for (const std::string& k : spec.key) key_columns.push_back(column_index(spec, k));
  std::vector<char> last(batch.rows(), 0);
  std::unordered_set<std::string> seen;
  seen.reserve(batch.rows());
  std::string key;
  for (std::size_t i = 0; i < batch.rows(); ++i) {
    const std::size_t r = first ? i : batch.rows() - 1 - i;
    key.clear();
    for (std::size_t c : key_columns) (key += canonical_key(batch.at(r, c))) += '\0';
    last[r] = seen.insert(key).second;
  }
  return last;
}

std::size_t count_last_rows_of_keys(const Batch& batch, const WriteSpec& spec) {
  std::vector<char> last = last_rows_of_keys(batch, spec);
  return static_cast<std::size_t>(std::count(last.begin(), last.end(), 1));
}

void check_batch_width(const Batch& batch, const WriteSpec& spec) {
  if (batch.width() != spec.columns.size())
    throw Error(ErrorKind::internal, fmt::format("batch has {} columns, writer for `{}` expects {}", batch.width(),
                                                 spec.table.to_string(), spec.columns.size()));
}

std::string delete_all_sql(const Dialect& d, const TableRef& table) {
  return "DELETE FROM " + d.quote_table(table);
}

std::string create_table_sql(const Dialect& d, const TableRef& table, const Schema& schema,
                             const std::vector<std::string>& key) {
  std::vector<std::string> primary_key = key;
  if (primary_key.empty())
    for (const Column& c : schema)
      if (c.primary_key) primary_key.push_back(c.name);
  std::string cols;
  for (Column c : schema) {
    c.primary_key = std::find(primary_key.begin(), primary_key.end(), c.name) != primary_key.end();
    if (!cols.empty()) cols += ",\n  ";
    cols += d.quote_identifier(c.name) + " " + d.column_type(c);
    if (!c.nullable || c.primary_key) cols += " NOT NULL";
  }
  if (!primary_key.empty()) cols += ",\n  PRIMARY KEY (" + d.quote_identifiers(primary_key) + ")";
  return fmt::format("CREATE TABLE IF NOT EXISTS {} (\n  {}\n){}", d.quote_table(table), cols, d.table_options());
}

void create_if_missing(Connection& connection, std::string_view create_if_not_exists) {
  try {
    connection.execute(create_if_not_exists);
  } catch (const Error& e) {
    // The loser's catalog row collides (a unique violation), or it finds the winner's type or
    // table committed already (duplicate_object, duplicate_table): either way it exists now.
    const bool made_meanwhile = e.kind() == ErrorKind::unique || e.code() == "42710" || e.code() == "42P07";
    if (!made_meanwhile) throw;
    connection.execute(create_if_not_exists);
  }
}

}  // namespace weir::db
