#include "sync/range_feed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "db/common/exported_snapshot.hpp"
#include "db/common/row_cells.hpp"
#include "modules/input/keyset_cursor.hpp"
#include "query/remote_traits.hpp"
#include "sync/retrying_read.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::sync {
namespace {

// Ranges per reader at most: enough for readers of unevenly filled ranges to finish together.
constexpr std::size_t kRangesPerJob = 4;
// Rows handed on at a time (a page's query reads page_rows): with a reader each ahead of its
// writers by a page or so, memory stays near that of one reader whatever --jobs is.
constexpr std::size_t kPieceRows = 5000;
// How long next() waits for a piece before it looks at the stop token again.
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

// At least one lane and one reader.
RangeFeedOptions normalized(RangeFeedOptions options) {
  options.lanes = std::max<std::size_t>(options.lanes, 1);
  options.jobs = std::max<std::size_t>(options.jobs, 1);
  return options;
}

// A lane's queue holds a piece per reader and one more: more made no copy faster (1,000,000 rows
// MariaDB → PostgreSQL, 2 writers: 6 pieces 2.99–3.67 s at 85–107 MB, 2 pieces 2.92–3.12 s at 78–81 MB).
std::size_t lane_depth(const RangeFeedOptions& options) { return options.jobs + 1; }

}  // namespace

std::size_t most_key_ranges(std::size_t jobs, std::size_t lanes) { return kRangesPerJob * std::max(jobs, lanes); }

RangeFeed::RangeFeed(RangeFeedOptions options)
    : options_(normalized(std::move(options))),
      table_(fmt::format("table `{}`", options_.plan.source.ref.to_string())),
      lane_finished_(options_.lanes),
      // Per lane, its queue's pieces, the one its writer holds and the one a reader fills.
      free_(options_.lanes * (lane_depth(options_) + 2)) {
  for (std::size_t i = 0; i < options_.lanes; ++i)
    lanes_.push_back(std::make_unique<pipeline::BoundedQueue<Piece>>(lane_depth(options_)));
}

RangeFeed::~RangeFeed() {
  close_all();  // a reader waiting to hand on a piece gives up
  for (std::jthread& worker : workers_) worker.request_stop();
  workers_.clear();
}

void RangeFeed::set_ranges(KeyRanges ranges) {
  ranges_ = std::move(ranges);
  planned_ = true;
}

std::string RangeFeed::reading_from() const {
  return fmt::format("{}: reading from {}", table_, options_.source.describe());
}

void RangeFeed::close_all() noexcept {
  for (auto& lane : lanes_) lane->close();
}

void RangeFeed::open(const std::stop_token& stop) {
  std::call_once(opened_, [&] {
    stop_ = stop;
    try {
      std::string snapshot;
      auto first = lent_ ? std::move(lent_) : db::connect(options_.source);
      if (shares_snapshots(*first)) snapshot = db::export_snapshot(*first);
      else begin_own_snapshot(*first);
      const std::size_t most = most_key_ranges(options_.jobs, options_.lanes);
      if (options_.by_blocks) blocks_ = plan_block_ranges(*first, options_.plan.source.ref, most);
      else if (!planned_) ranges_ = plan_key_ranges(*first, options_.plan, options_.where, most);
      connections_.push_back(std::move(first));
      // The first reader's transaction holds the exported snapshot open while the others import it.
      const std::size_t readers = std::clamp<std::size_t>(options_.jobs, 1, std::max<std::size_t>(range_count(), 1));
      while (connections_.size() < readers) {
        auto sql = db::connect(options_.source);
        if (snapshot.empty()) begin_own_snapshot(*sql);
        else db::import_snapshot(*sql, snapshot);
        connections_.push_back(std::move(sql));
      }
      for (std::size_t i = 0; i < ranges_.size(); ++i) starts_.push_back(ranges_.resume_after(i));
      log::debug(fmt::format("{}: {} {} range(s), {} reader(s){}, {} writer(s)", table_, range_count(),
                             options_.by_blocks ? "block" : "key", connections_.size(),
                             snapshot.empty() ? "" : " in one exported snapshot", options_.lanes));
    } catch (Error& e) {
      open_failure_ = std::make_exception_ptr(e.add_context(reading_from()));
      close_all();
      return;
    }
    working_ = connections_.size();
    for (std::size_t reader = 0; reader < connections_.size(); ++reader)
      workers_.emplace_back([this, reader](std::stop_token token) { work(reader, token); });
  });
  if (open_failure_) std::rethrow_exception(open_failure_);
}

// Each reader keeps up to one open range per lane and reads a page of each in turn; a range
// read to its end makes way for the next range nobody has taken.
void RangeFeed::work(std::size_t reader, const std::stop_token& stop) {
  try {
    std::vector<Open> open;
    auto take = [&] {
      if (std::size_t i = next_range_++; i < range_count()) open.push_back({i, options_.by_blocks ? std::vector<Value>{} : starts_[i]});
    };
    for (std::size_t i = 0; i < options_.lanes; ++i) take();
    for (std::size_t turn = 0; !open.empty() && !stopping(stop);) {
      turn %= open.size();
      bool more = false;
      if (options_.by_blocks) read_blocks(*connections_[reader], open[turn].range, stop);
      else more = read_next_page(reader, open[turn], stop);
      if (more) {
        ++turn;
        continue;
      }
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(turn));
      take();
    }
  } catch (...) {
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = std::current_exception();
    close_all();  // next() rethrows it
  }
  if (--working_ == 0) close_all();
}

// A lost connection (a server restart) is retried under the default `retry:` policy on a new
// one, from the range's last row handed on: that reader's snapshot is then its own (the
// exported one went with its exporter's session).
bool RangeFeed::read_next_page(std::size_t reader, Open& open, const std::stop_token& stop) {
  std::unique_ptr<db::Connection>& sql = connections_[reader];
  return retrying_read(
      reading_from(), options_.source,
      [&] {
        if (!sql) {
          sql = db::connect(options_.source);
          begin_own_snapshot(*sql);
        }
        try {
          return read_page(*sql, open.range, open.after, stop);
        } catch (const Error& e) {
          if (e.kind() == ErrorKind::connection) sql.reset();
          throw;
        }
      },
      stop_);
}

void RangeFeed::read_blocks(db::Connection& sql, std::size_t range, const std::stop_token& stop) {
  std::unique_ptr<db::Cursor> result;
  try {
    result = sql.query(block_range_sql(sql.dialect(), options_.plan, options_.where, blocks_[range]));
    for (;;) {
      Batch rows = free_.take();
      if (!result->next(rows, kPieceRows)) return;
      if (!hand_on(Piece{range, std::move(rows), {}})) return;
      if (stopping(stop)) return;
    }
  } catch (Error& e) {
    throw e.add_context(reading_from());
  }
}

void RangeFeed::give_back(Batch batch) { free_.give(std::move(batch)); }

bool RangeFeed::hand_on(Piece piece) {
  const std::size_t lane = lane_of(piece.range);
  return lanes_[lane]->push(std::move(piece));
}

bool RangeFeed::read_page(db::Connection& sql, std::size_t range, std::vector<Value>& after,
                          const std::stop_token& stop) {
  modules::KeysetCursor cursor(options_.plan.key, {}, {.horizon = false});
  cursor.restore(after);
  const modules::KeysetCursor::RunBounds bounds{.horizon = {}, .hold = ranges_.ends[range], .through_hold = true};
  auto page = cursor.page(options_.plan.query, sql.dialect(), options_.page_rows, bounds);
  std::unique_ptr<db::Cursor> result;
  try {
    result = sql.query_page(page.sql, page.params);
  } catch (Error& e) {
    throw e.add_context(reading_from());
  }
  std::size_t rows_in_page = 0;
  for (;;) {
    Batch rows = free_.take();
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
    if (!hand_on(Piece{range, std::move(rows), after})) return false;
    if (cut_short) return true;
    if (stopping(stop)) return false;
  }
  return rows_in_page >= options_.page_rows;
}

void RangeFeed::unreadable(Error& e, const Batch& rows) const {
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

std::optional<RangeFeed::Piece> RangeFeed::next(std::size_t lane) {
  for (;;) {
    if (stop_.stop_requested()) return std::nullopt;
    std::optional<Piece> piece = lanes_[lane]->pop(kPollEvery);
    {
      std::lock_guard lock(failure_mutex_);
      if (failure_) std::rethrow_exception(failure_);
    }
    if (piece) {
      if (!options_.by_blocks) ranges_.reached[piece->range] = piece->last_key;
      return piece;
    }
    if (lanes_[lane]->drained()) {
      lane_finished_[lane] = !stopped_early();
      return std::nullopt;
    }
  }
}

void RangeFeed::close(std::size_t lane) noexcept {
  if (lane_finished_[lane]) return;
  abandoned_ = true;
  close_all();
}

std::string RangeFeed::checkpoint(std::size_t lane) const {
  if (options_.by_blocks) return encode_block_checkpoint(options_.target_was_empty);
  return encode_key_ranges(ranges_, options_.plan.key.size(), {.lane = lane, .lanes = options_.lanes});
}

}  // namespace weir::sync
