#include "sync/ranged_read.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "db/common/exported_snapshot.hpp"
#include "db/common/row_cells.hpp"
#include "modules/input/keyset_cursor.hpp"
#include "weir/db/pool.hpp"
#include "query/remote_traits.hpp"
#include "sync/retrying_read.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::sync {
namespace {

// Ranges per reader at most: enough for readers of unevenly filled ranges to finish together.
constexpr std::size_t kRangesPerJob = 4;
// Rows handed on at a time (a page's query reads page_rows): with a reader each ahead of the
// writer by a piece or two, memory stays near that of one reader whatever --jobs is.
constexpr std::size_t kPieceRows = 5000;
// How long read() waits for a page before it looks at the stop token again.
constexpr auto kPollEvery = std::chrono::milliseconds(200);

bool shares_snapshots(const db::Connection& sql) { return sql.dialect().name() == "postgres"; }

// Where a reader that cannot share a snapshot opens its own (remote_traits.hpp: the statements
// weir query opens one with).
void begin_own_snapshot(db::Connection& sql) {
  for (std::string_view statement : query::traits_of(sql.dialect()).snapshot_begin) sql.execute_script(statement);
}

bool key_read(const Batch& rows, std::size_t row, const std::vector<std::string>& key) {
  return std::all_of(key.begin(), key.end(), [&](const std::string& column) {
    auto index = rows.schema().find(column);
    return index && !rows.at(row, *index).is_null();
  });
}

}  // namespace

RangedRead::RangedRead(RangedReadOptions options)
    : options_(std::move(options)),
      table_(fmt::format("table `{}`", options_.plan.source.ref.to_string())),
      ready_(std::max<std::size_t>(options_.jobs, 1) + 1) {}

RangedRead::~RangedRead() {
  ready_.close();  // a reader waiting to hand on a page gives up
  for (std::jthread& worker : workers_) worker.request_stop();
  workers_.clear();
}

void RangedRead::restore(std::string_view checkpoint) {
  if (options_.by_blocks) {
    // Nothing to resume: sync.cpp emptied the target; the first run's word on it stands.
    options_.target_was_empty = decode_block_checkpoint(checkpoint).value_or(false);
    return;
  }
  try {
    ranges_ = decode_key_ranges(checkpoint, options_.plan.key.size());
  } catch (Error& e) {
    throw e.add_context(table_);
  }
  restored_ = true;
}

std::string RangedRead::reading_from() const {
  return fmt::format("{}: reading from {}", table_, options_.source.describe());
}

void RangedRead::open(const pipeline::RunOptions& options) {
  stop_ = options.stop;
  std::string snapshot;
  try {
    auto first = db::connect(options_.source);
    if (shares_snapshots(*first)) snapshot = db::export_snapshot(*first);
    else begin_own_snapshot(*first);
    const std::size_t most = kRangesPerJob * options_.jobs;
    if (options_.by_blocks) blocks_ = plan_block_ranges(*first, options_.plan.source.ref, most);
    else if (!restored_) ranges_ = plan_key_ranges(*first, options_.plan, options_.where, most);
    connections_.push_back(std::move(first));
    // The first reader's transaction holds the exported snapshot open while the others import it.
    const std::size_t readers = std::clamp<std::size_t>(options_.jobs, 1, range_count());
    while (connections_.size() < readers) {
      auto sql = db::connect(options_.source);
      if (snapshot.empty()) begin_own_snapshot(*sql);
      else db::import_snapshot(*sql, snapshot);
      connections_.push_back(std::move(sql));
    }
  } catch (Error& e) {
    throw e.add_context(reading_from());
  }
  for (std::size_t i = 0; i < ranges_.size(); ++i) starts_.push_back(ranges_.resume_after(i));
  log::debug(fmt::format("{}: {} {} range(s), {} reader(s){}", table_, range_count(),
                         options_.by_blocks ? "block" : "key", connections_.size(),
                         snapshot.empty() ? "" : " in one exported snapshot"));
  working_ = connections_.size();
  for (std::size_t reader = 0; reader < connections_.size(); ++reader)
    workers_.emplace_back([this, reader](std::stop_token stop) { work(reader, stop); });
}

void RangedRead::work(std::size_t reader, const std::stop_token& stop) {
  try {
    for (std::size_t i; !stop.stop_requested() && !stop_.stop_requested() && (i = next_range_++) < range_count();) {
      if (options_.by_blocks) read_blocks(*connections_[reader], i, stop);
      else read_range(reader, i, stop);
    }
  } catch (...) {
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = std::current_exception();
    ready_.close();  // read() rethrows it
  }
  if (--working_ == 0) ready_.close();
}

// A lost connection (a server restart) is retried under the default `retry:` policy on a new
// one, from the range's last row handed on: that reader's snapshot is then its own (the
// exported one went with its exporter's session).
void RangedRead::read_range(std::size_t reader, std::size_t range, const std::stop_token& stop) {
  std::vector<Value> after = starts_[range];
  std::unique_ptr<db::Connection>& sql = connections_[reader];
  retrying_read(
      reading_from(), options_.source,
      [&] {
        if (!sql) {
          sql = db::connect(options_.source);
          begin_own_snapshot(*sql);
        }
        try {
          while (!stop.stop_requested() && !stop_.stop_requested() && read_page(*sql, range, after, stop)) {
          }
        } catch (const Error& e) {
          if (e.kind() == ErrorKind::connection) sql.reset();
          throw;
        }
      },
      stop_);
}

void RangedRead::read_blocks(db::Connection& sql, std::size_t range, const std::stop_token& stop) {
  std::unique_ptr<db::Cursor> result;
  try {
    result = sql.query(block_range_sql(sql.dialect(), options_.plan, options_.where, blocks_[range]));
    for (;;) {
      Batch rows;
      if (!result->next(rows, kPieceRows)) return;
      if (!ready_.push(Piece{range, std::move(rows), {}})) return;
      if (stop.stop_requested() || stop_.stop_requested()) return;
    }
  } catch (Error& e) {
    throw e.add_context(reading_from());
  }
}

bool RangedRead::read_page(db::Connection& sql, std::size_t range, std::vector<Value>& after,
                           const std::stop_token& stop) {
  modules::KeysetCursor cursor(options_.plan.key, {}, {.horizon = false});
  cursor.restore(after);
  const modules::KeysetCursor::RunBounds bounds{.horizon = {}, .hold = ranges_.ends[range], .through_hold = true};
  auto page = cursor.page(options_.plan.query, sql.dialect(), options_.page_rows, bounds);
  std::unique_ptr<db::Cursor> result;
  try {
    result = sql.query(page.sql, page.params);
  } catch (Error& e) {
    throw e.add_context(reading_from());
  }
  std::size_t rows_in_page = 0;
  for (;;) {
    Batch rows;
    bool cut_short = false;
    try {
      if (!result->next(rows, std::min(kPieceRows, options_.page_rows))) break;
    } catch (Error& e) {
      if (e.kind() != ErrorKind::data || rows.empty()) throw e.add_context(reading_from());
      unreadable(e, rows);
      cut_short = true;  // the cursor's result ends at the error: the next page starts after this row
    }
    rows_in_page += rows.rows();
    cursor.advance(rows);
    after = cursor.position();
    if (!ready_.push(Piece{range, std::move(rows), after})) return false;
    if (cut_short) return true;
    if (stop.stop_requested() || stop_.stop_requested()) return false;
  }
  return rows_in_page >= options_.page_rows;
}

void RangedRead::unreadable(Error& e, const Batch& rows) const {
  const std::size_t last = rows.rows() - 1;  // every other cell of it read (db::read_row_cells)
  const bool named = key_read(rows, last, options_.plan.key);
  if (named && options_.bad && options_.bad->replaced_by_null()) {
    options_.bad->replaced(fmt::format("{}: {}", row_named(rows, last, options_.plan.key), e.what()),
                           std::max<std::size_t>(db::unreadable_values(e), 1));
    return;
  }
  if (named) e.add_context(row_named(rows, last, options_.plan.key));
  throw e.add_context(reading_from());
}

bool RangedRead::read(Batch& out) {
  for (;;) {
    if (stop_.stop_requested()) {
      state_ = State::interrupted;
      return false;
    }
    std::optional<Piece> piece = ready_.pop(kPollEvery);
    {
      std::lock_guard lock(failure_mutex_);
      if (failure_) std::rethrow_exception(failure_);
    }
    if (!piece) {
      if (!ready_.drained()) continue;
      state_ = State::run_ended;
      out.clear();
      return false;
    }
    if (!options_.by_blocks) ranges_.reached[piece->range] = std::move(piece->last_key);
    out = std::move(piece->rows);
    return true;
  }
}

std::string RangedRead::checkpoint() const {
  if (options_.by_blocks) return encode_block_checkpoint(options_.target_was_empty);
  return encode_key_ranges(ranges_, options_.plan.key.size());
}

pipeline::Identity RangedRead::identity() const {
  if (options_.by_blocks)
    return {{"connection", options_.source.identity()}, {"query", options_.plan.query}, {"block ranges", "ctid"}};
  return {{"connection", options_.source.identity()},
          {"query", options_.plan.query},
          {"key ranges", fmt::format("{}", fmt::join(options_.plan.key, ","))}};
}

std::string RangedRead::position_of(const Batch& rows, std::size_t row) const {
  std::string out = "{";
  for (const std::string& column : options_.plan.key) {
    auto index = rows.schema().find(column);
    if (out.size() > 1) out += ',';
    append_json_string(out, column);
    out += ':';
    if (index) rows.at(row, *index).append_json(out);
    else out += "null";
  }
  return out + "}";
}

}  // namespace weir::sync
