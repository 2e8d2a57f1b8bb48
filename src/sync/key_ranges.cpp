#include "sync/key_ranges.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/common/catalog_rows.hpp"
#include "pipeline/checkpoint.hpp"
#include "weir/error.hpp"

namespace weir::sync {
namespace {

std::string where_clause(const std::string& where) { return where.empty() ? "" : " WHERE (" + where + ")"; }

std::int64_t row_count(db::Connection& source, const TablePlan& plan, const std::string& where) {
  if (plan.source.row_estimate && *plan.source.row_estimate > 0 && where.empty()) return *plan.source.row_estimate;
  const db::Dialect& d = source.dialect();
  auto rows = db::fetch_rows(source, fmt::format("SELECT count(*) FROM {}{}", d.quote_table(plan.source.ref),
                                                 where_clause(where)));
  return rows.empty() ? 0 : std::stoll(rows.front()[0].to_text());
}

bool integer_key(const TablePlan& plan) {
  if (plan.key.size() != 1) return false;
  auto first = std::find_if(plan.source.columns.begin(), plan.source.columns.end(),
                            [&](const Column& c) { return c.name == plan.key[0]; });
  return first != plan.source.columns.end() && first->type == Type::int64;
}

// Ends at equal steps between the least and the greatest key.
std::vector<std::vector<Value>> integer_ends(db::Connection& source, const TablePlan& plan, const std::string& where,
                                             std::size_t ranges) {
  const db::Dialect& d = source.dialect();
  const std::string key = d.quote_identifier(plan.key[0]);
  auto rows = db::fetch_rows(source, fmt::format("SELECT min({0}), max({0}) FROM {1}{2}", key,
                                                 d.quote_table(plan.source.ref), where_clause(where)));
  if (rows.empty() || rows.front()[0].is_null()) return {};
  const std::int64_t least = rows.front()[0].as_int(), greatest = rows.front()[1].as_int();
  std::vector<std::vector<Value>> ends;
  // In long double: the span of an int64 key may exceed int64; an end need only lie between.
  const long double span = static_cast<long double>(greatest) - static_cast<long double>(least);
  for (std::size_t i = 1; i < ranges; ++i) {
    long double at = static_cast<long double>(least) + span * static_cast<long double>(i) / static_cast<long double>(ranges);
    std::int64_t end = at >= static_cast<long double>(greatest) ? greatest : static_cast<std::int64_t>(at);
    if (ends.empty() || ends.back()[0].as_int() < end) ends.push_back({Value(end)});
  }
  return ends;
}

// Ends at the keys of the rows at equal steps of the row count (an index-only scan each).
std::vector<std::vector<Value>> stepped_ends(db::Connection& source, const TablePlan& plan, const std::string& where,
                                             std::size_t ranges, std::int64_t rows) {
  const db::Dialect& d = source.dialect();
  const std::string key = d.quote_identifiers(plan.key);
  std::vector<std::vector<Value>> ends;
  for (std::size_t i = 1; i < ranges; ++i) {
    // A count weir computed, as an integer: no value of the user's goes into the statement.
    auto found = db::fetch_rows(source, fmt::format("SELECT {0} FROM {1}{2} ORDER BY {0} LIMIT 1 OFFSET {3}", key,
                                                    d.quote_table(plan.source.ref), where_clause(where),
                                                    rows * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(ranges)));
    if (found.empty()) break;
    ends.emplace_back(found.front().begin(), found.front().end());
  }
  return ends;
}

}  // namespace

KeyRanges plan_key_ranges(db::Connection& source, const TablePlan& plan, const std::string& where, std::size_t most) {
  const std::int64_t rows = row_count(source, plan, where);
  const auto wanted = static_cast<std::size_t>(
      std::clamp<std::int64_t>(rows / kRowsPerRange, 1, static_cast<std::int64_t>(std::max<std::size_t>(most, 1))));
  KeyRanges ranges;
  if (wanted > 1)
    ranges.ends = integer_key(plan) ? integer_ends(source, plan, where, wanted)
                                    : stepped_ends(source, plan, where, wanted, rows);
  ranges.ends.emplace_back();  // the last range: to the end
  ranges.reached.assign(ranges.ends.size(), {});
  return ranges;
}

// [ranges, key columns, then per range its end and its reached key, each `key columns` values
// (NULLs for none: a key column is never NULL)], then the number of lanes when more than one.
std::string encode_key_ranges(const KeyRanges& ranges, std::size_t key_columns, Lane lane) {
  std::vector<Value> flat{Value(static_cast<std::int64_t>(ranges.size())), Value(static_cast<std::int64_t>(key_columns))};
  auto put = [&](const std::vector<Value>* key) {
    for (std::size_t c = 0; c < key_columns; ++c) flat.push_back(!key || key->empty() ? Value() : (*key)[c]);
  };
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    put(&ranges.ends[i]);
    // Another lane's position is not read: that lane's thread moves it.
    put(lane.owns(i) ? &ranges.reached[i] : nullptr);
  }
  if (lane.lanes > 1) flat.emplace_back(static_cast<std::int64_t>(lane.lanes));
  return pipeline::encode_position(flat);
}

KeyRanges decode_key_ranges(std::string_view text, std::size_t key_columns, std::size_t* lanes) {
  std::vector<Value> flat = pipeline::decode_position(text);
  auto count = [&](std::size_t i) { return flat.size() > i && flat[i].get_if<std::int64_t>() ? flat[i].as_int() : -1; };
  const std::int64_t n = count(0);
  const std::size_t plain = n < 1 ? 0 : 2 + 2 * static_cast<std::size_t>(n) * key_columns;
  const std::int64_t lane_count = flat.size() == plain + 1 ? count(plain) : 1;
  if (n < 1 || count(1) != static_cast<std::int64_t>(key_columns) || lane_count < 1 ||
      (flat.size() != plain && flat.size() != plain + 1))
    throw Error(ErrorKind::config, "the stored checkpoint is not one of key ranges over this table's primary key; "
                                   "start again with --reset");
  if (lanes) *lanes = static_cast<std::size_t>(lane_count);
  KeyRanges ranges;
  std::size_t at = 2;
  auto take = [&] {
    std::vector<Value> key(flat.begin() + static_cast<std::ptrdiff_t>(at),
                           flat.begin() + static_cast<std::ptrdiff_t>(at + key_columns));
    at += key_columns;
    if (std::all_of(key.begin(), key.end(), [](const Value& v) { return v.is_null(); })) key.clear();
    return key;
  };
  for (std::int64_t i = 0; i < n; ++i) {
    ranges.ends.push_back(take());
    ranges.reached.push_back(take());
  }
  return ranges;
}

KeyRanges merge_lane_checkpoints(const std::vector<std::optional<std::string>>& lanes, std::size_t key_columns) {
  auto disagree = [] {
    return Error(ErrorKind::config, "the stored checkpoints of this sync's writers do not agree on its key ranges; "
                                    "start again with --reset");
  };
  std::optional<KeyRanges> merged;
  for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
    if (!lanes[lane]) continue;
    std::size_t stored_lanes = 1;
    KeyRanges own = decode_key_ranges(*lanes[lane], key_columns, &stored_lanes);
    if (stored_lanes != lanes.size()) throw disagree();
    if (!merged) {
      merged = own;
      merged->reached.assign(own.size(), {});
    }
    if (own.ends != merged->ends) throw disagree();
    const Lane of{lane, lanes.size()};
    for (std::size_t i = 0; i < own.size(); ++i)
      if (of.owns(i)) merged->reached[i] = std::move(own.reached[i]);
  }
  if (!merged) throw Error(ErrorKind::internal, "merge_lane_checkpoints: no lane stored a checkpoint");
  return *merged;
}

}  // namespace weir::sync
