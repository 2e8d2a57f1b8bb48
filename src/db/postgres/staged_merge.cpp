#include "db/postgres/staged_merge.hpp"

#include <fmt/format.h>

#include <functional>

#include "db/common/sql_writer.hpp"

namespace weir::db::postgres {
namespace {

// One stage per target and column list, so two writers on one session never share one.
std::string stage_name(const Dialect& d, const WriteSpec& spec) {
  std::string identity = d.quote_table(spec.table);
  for (const std::string& c : spec.columns) identity += '\0' + c;
  return fmt::format("weir_stage_{:016x}", std::hash<std::string>{}(identity));
}

// The batch's own order, which decides between rows of one key. (Not ctid: COPY may put a
// later row into free space of an earlier page.)
constexpr std::string_view kRowNumber = "weir_row_number";

// The stage's rows, one per key: the last of the batch.
std::string last_row_per_key(const Dialect& d, const WriteSpec& spec, const std::string& stage) {
  return fmt::format("SELECT DISTINCT ON ({0}) {1} FROM {2} ORDER BY {0}, {3} DESC", d.quote_identifiers(spec.key),
                     d.quote_identifiers(spec.columns), stage, kRowNumber);
}

std::string key_match(const Dialect& d, const WriteSpec& spec, std::string_view rows) {
  std::string out;
  for (const std::string& k : spec.key) {
    std::string q = d.quote_identifier(k);
    out += (out.empty() ? "" : " AND ") + fmt::format("weir_target.{0} = {1}.{0}", q, rows);
  }
  return out;
}

// weir_target."a", weir_target."b"
std::string prefixed(const Dialect& d, const std::vector<std::string>& columns, std::string_view table) {
  std::string out;
  for (const std::string& c : columns) out += fmt::format("{}{}.{}", out.empty() ? "" : ", ", table, d.quote_identifier(c));
  return out;
}

}  // namespace

StagedMerge staged_merge(const Dialect& d, const WriteSpec& spec) {
  const std::string stage = stage_name(d, spec);
  const std::string target = d.quote_table(spec.table);
  StagedMerge m;
  m.prepare = fmt::format(
      "CREATE TEMP TABLE IF NOT EXISTS {0} ON COMMIT DROP AS SELECT {1}, 0::int8 AS {2} FROM {3} WITH NO DATA; "
      "TRUNCATE {0}",
      stage, d.quote_identifiers(spec.columns), kRowNumber, target);
  m.copy_text = fmt::format("COPY {} ({}, {}) FROM STDIN", stage, d.quote_identifiers(spec.columns), kRowNumber);
  m.copy_binary = m.copy_text + " (FORMAT binary)";
  const std::vector<std::string> updates = non_key_columns(spec);
  const std::string keys = d.quote_identifiers(spec.key);
  switch (spec.mode) {
    case WriteMode::upsert:
      // xmax is 0 on a row version just inserted; ON CONFLICT DO UPDATE locks the row it
      // updates, which sets it. A row the clause's WHERE left as it was returns nothing.
      m.merge = fmt::format(
          "WITH weir_merged AS (INSERT INTO {} ({}) {}{} RETURNING (xmax = 0) AS weir_inserted) "
          "SELECT count(*) FILTER (WHERE weir_inserted), count(*) FILTER (WHERE NOT weir_inserted) FROM weir_merged",
          target, d.quote_identifiers(spec.columns), last_row_per_key(d, spec, stage),
          d.upsert_clause(spec.table, spec.key, updates));
      break;
    case WriteMode::insert_or_ignore:
      // In the batch's order: of two rows with one key, the first is inserted.
      m.merge = fmt::format(
          "WITH weir_merged AS (INSERT INTO {0} ({1}) SELECT {1} FROM {2} ORDER BY {3}{4} RETURNING 1) "
          "SELECT count(*) FROM weir_merged",
          target, d.quote_identifiers(spec.columns), stage, kRowNumber, d.ignore_clause(spec.key, spec.columns));
      break;
    case WriteMode::update: {
      std::string sets;
      for (const std::string& c : updates) {
        std::string q = d.quote_identifier(c);
        sets += (sets.empty() ? "" : ", ") + fmt::format("{0} = weir_last.{0}", q);
      }
      // Every row of the stage whose key was updated counts, as when each row is a statement.
      m.merge = fmt::format(
          "WITH weir_updated AS (UPDATE {} AS weir_target SET {} FROM ({}) AS weir_last WHERE {} "
          "RETURNING {}) SELECT count(*) FROM {} AS weir_stage WHERE EXISTS (SELECT FROM weir_updated AS "
          "weir_target WHERE {})",
          target, sets, last_row_per_key(d, spec, stage), key_match(d, spec, "weir_last"),
          prefixed(d, spec.key, "weir_target"), stage, key_match(d, spec, "weir_stage"));
      break;
    }
    case WriteMode::remove:
      m.merge = fmt::format(
          "WITH weir_deleted AS (DELETE FROM {} AS weir_target USING {} AS weir_stage WHERE {} RETURNING {}) "
          "SELECT count(*) FROM (SELECT DISTINCT {} FROM weir_deleted) AS weir_keys",
          target, stage, key_match(d, spec, "weir_stage"), prefixed(d, spec.key, "weir_target"), keys);
      break;
    case WriteMode::insert:
      break;
  }
  return m;
}

}  // namespace weir::db::postgres
