// Values a sync cannot carry as they are: one the source cannot read (a MySQL zero date, a
// PostgreSQL infinite timestamp) and one the existing target column cannot hold (a number out
// of its range, more integer digits than its precision leaves, a text longer than its length —
// which MariaDB outside strict mode would clamp or cut without an error). By default the sync
// fails on the first, in one line naming the table, the row by its key and the column; with
// --on-bad-value null the value becomes NULL and each replacement is named in a warning the
// same way (the first kMaxNamed, then a count), and counted in the Report.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/module.hpp"
#include "sync/sync.hpp"
#include "sync/table_plan.hpp"

namespace weir::sync {

class BadValues {
 public:
  static constexpr std::uint64_t kMaxNamed = 100;

  BadValues(OnBadValue mode, std::string table) : mode_(mode), table_(std::move(table)) {}
  bool replaced_by_null() const noexcept { return mode_ == OnBadValue::null; }
  // `what` names the row and the `values` columns ("the row (id)=(5): column `d`: …"); any thread.
  void replaced(const std::string& what, std::uint64_t values = 1);
  std::uint64_t count() const noexcept { return count_.load(); }
  const std::string& table() const noexcept { return table_; }

 private:
  OnBadValue mode_;
  std::string table_;  // "table `public.orders`", as the sync's read errors say
  std::atomic<std::uint64_t> count_{0};
};

// "the row (id, at)=(5, 2024-01-01 00:00:00)": the row of `rows` by its `key` columns.
std::string row_named(const Batch& rows, std::size_t row, const std::vector<std::string>& key);

// Why `value` does not fit target column `column`; empty when it does (or weir cannot tell:
// the database then decides).
std::string misfit(const Value& value, const Column& column);

// A filter ahead of the target's writer checking every value against the existing target
// table's columns (`target`, described): a value that does not fit fails the sync or, with
// --on-bad-value null, becomes NULL. Null when no column of `target` limits what it holds.
std::unique_ptr<pipeline::Filter> target_fit_filter(const TablePlan& plan, const std::vector<Column>& target,
                                                    std::shared_ptr<BadValues> bad);

}  // namespace weir::sync
