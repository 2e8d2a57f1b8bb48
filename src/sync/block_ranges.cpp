#include "sync/block_ranges.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/common/catalog_rows.hpp"
#include "pipeline/checkpoint.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

// The table's heap blocks as its relation size says (0 for a relation without storage).
constexpr std::string_view kBlocksSql =
    "SELECT pg_relation_size($1::text::regclass) / current_setting('block_size')::bigint";

constexpr std::string_view kCheckpointMark = "block ranges";

}  // namespace

bool has_block_ranges(const db::Dialect& dialect) { return dialect.name() == "postgres"; }

std::vector<BlockRange> plan_block_ranges(db::Connection& source, const db::TableRef& table, std::size_t most) {
  const Value name(source.dialect().quote_table(table));
  auto rows = db::fetch_rows(source, kBlocksSql, std::span<const Value>(&name, 1));
  const std::int64_t counted = rows.empty() || rows.front()[0].is_null() ? 0 : rows.front()[0].as_int();
  const auto blocks = static_cast<std::uint64_t>(std::max<std::int64_t>(counted, 0));
  const std::uint64_t n =
      std::clamp<std::uint64_t>(blocks / kBlocksPerRange, 1, std::max<std::uint64_t>(most, 1));
  std::vector<BlockRange> ranges;
  for (std::uint64_t i = 0; i < n; ++i) ranges.push_back({blocks * i / n, i + 1 == n ? 0 : blocks * (i + 1) / n});
  return ranges;
}

std::string block_range_sql(const db::Dialect& dialect, const TablePlan& plan, const std::string& where,
                            const BlockRange& range) {
  std::vector<std::string> conditions;
  // Block numbers weir computed, as integers: no value of the user's goes into the statement.
  if (range.first > 0) conditions.push_back(fmt::format("ctid >= '({},0)'::tid", range.first));
  if (range.end > 0) conditions.push_back(fmt::format("ctid < '({},0)'::tid", range.end));
  if (!where.empty()) conditions.push_back("(" + where + ")");
  std::string sql = select_all(dialect, plan.source.ref, plan.source.columns, "");
  for (std::size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  return sql;
}

std::string encode_block_checkpoint(bool target_was_empty) {
  const std::vector<Value> flat{Value(std::string(kCheckpointMark)), Value(target_was_empty)};
  return pipeline::encode_position(flat);
}

std::optional<bool> decode_block_checkpoint(std::string_view text) {
  try {
    std::vector<Value> flat = pipeline::decode_position(text);
    if (flat.size() != 2 || flat[0].is_null() || flat[0].to_text() != kCheckpointMark || !flat[1].get_if<bool>())
      return std::nullopt;
    return flat[1].as_bool();
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace weir::sync
