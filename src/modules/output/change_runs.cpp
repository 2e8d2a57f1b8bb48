#include "modules/output/change_runs.hpp"

#include <algorithm>

namespace weir::modules {
namespace {

// Whether an update moves its row to another key: its before image says where it was.
bool changes_key(const Batch& rows, std::size_t row, const TargetColumns& columns) {
  std::span<const Value> before = rows.before(row);
  if (before.empty()) return false;
  return std::ranges::any_of(columns.key, [&](std::size_t k) {
    const std::size_t c = columns.sources[k];
    return !(before[c] == rows.at(row, c));
  });
}

// Empty when every column was sent, as for most rows.
std::vector<bool> sent_columns(const Batch& rows, std::size_t row, const TargetColumns& columns) {
  std::vector<bool> sent;
  if (rows.all_sent(row)) return sent;
  sent.resize(columns.sources.size());
  for (std::size_t c = 0; c < sent.size(); ++c) sent[c] = rows.sent(row, columns.sources[c]);
  if (std::ranges::all_of(sent, [](bool s) { return s; })) sent.clear();  // unsent cells the target lacks
  return sent;
}

ChangeRun run_of(const Batch& rows, std::size_t row, const TargetColumns& columns, OnConflict on_conflict) {
  switch (rows.op(row)) {
    case ChangeOp::row:
    case ChangeOp::insert:
      return {on_conflict == OnConflict::insert ? RunKind::insert : RunKind::upsert, row, row + 1, {}};
    case ChangeOp::update: {
      std::vector<bool> sent = sent_columns(rows, row, columns);
      if (changes_key(rows, row, columns)) return {RunKind::rekey, row, row + 1, std::move(sent)};
      const bool upsert = sent.empty() && on_conflict == OnConflict::upsert;
      return {upsert ? RunKind::upsert : RunKind::update, row, row + 1, std::move(sent)};
    }
    case ChangeOp::remove:
      return {RunKind::remove, row, row + 1, {}};
    case ChangeOp::truncate:
      break;
  }
  return {RunKind::truncate, row, row + 1, {}};
}

}  // namespace

OnConflict parse_on_conflict(std::string_view text) {
  if (text == "insert") return OnConflict::insert;
  if (text == "update") return OnConflict::update;
  return OnConflict::upsert;
}

std::vector<ChangeRun> plan_runs(const Batch& rows, const TargetColumns& columns, OnConflict on_conflict) {
  std::vector<ChangeRun> runs;
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    ChangeRun next = run_of(rows, r, columns, on_conflict);
    ChangeRun* last = runs.empty() ? nullptr : &runs.back();
    if (last && last->kind == next.kind && last->kind != RunKind::truncate && last->written == next.written)
      last->end = r + 1;
    else
      runs.push_back(std::move(next));
  }
  return runs;
}

}  // namespace weir::modules
