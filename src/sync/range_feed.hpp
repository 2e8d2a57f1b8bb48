// The readers of a full sync that reads a table in ranges: of its primary key (key_ranges.hpp)
// or, for a PostgreSQL table without one, of its blocks (block_ranges.hpp). `jobs` readers read
// the ranges at once and hand the rows on, in pieces, to the writer — the lane — each range
// belongs to: range i to lane i % lanes. Each lane is one pipeline (ranged_read.hpp is its
// input) with its own connection to the target and its own checkpoint, committed with its rows,
// so several writers fill one table at once and each resumes where its own commits reached.
// A reader keeps one range of each lane open and reads their pages in turn, so that one reader
// (one snapshot) keeps every writer busy.
//
// One consistent view of the table: on PostgreSQL the first reader exports its transaction's
// snapshot (pg_export_snapshot) and the others import it, so every reader sees the same rows,
// as pg_dump's parallel readers do. MySQL/MariaDB and SQLite cannot share a snapshot: each
// reader opens its own (START TRANSACTION WITH CONSISTENT SNAPSHOT; SQLite's read transaction),
// so each range is consistent in itself and, with more than one reader, the ranges are views of
// moments apart — a table written to during the sync may show a row moved between ranges in
// neither or in both (the second then fails on its key, or is replaced with --on-conflict
// replace).
//
// A value the source cannot read (db::read_row_cells: its neighbours are read) fails the
// sync in one line naming the table, the row by its key and the column — or, with
// --on-bad-value null, is NULL and reported (bad_values.hpp), and the range goes on after
// that row. A lost connection is retried (the `retry:` defaults) from the range's last row.
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "pipeline/bounded_queue.hpp"
#include "pipeline/free_list.hpp"
#include "sync/bad_values.hpp"
#include "sync/block_ranges.hpp"
#include "sync/key_ranges.hpp"
#include "sync/table_plan.hpp"

namespace weir::sync {

// How many key ranges a table is cut into at most, for `jobs` readers and `lanes` writers.
std::size_t most_key_ranges(std::size_t jobs, std::size_t lanes);

struct RangeFeedOptions {
  db::ConnectionConfig source;
  TablePlan plan;
  std::string where;
  std::size_t jobs = 1;   // readers
  std::size_t lanes = 1;  // writers: one pipeline each
  std::size_t page_rows = 20000;
  std::shared_ptr<BadValues> bad;
  // Block (ctid) ranges instead of key ranges (plan.by_blocks; one lane), and what their
  // checkpoint says of the target when this sync began (a restored checkpoint's says it of the
  // first run's).
  bool by_blocks = false;
  bool target_was_empty = false;
};

class RangeFeed {
 public:
  struct Piece {
    std::size_t range = 0;
    Batch rows;
    std::vector<Value> last_key;
  };

  explicit RangeFeed(RangeFeedOptions options);
  ~RangeFeed();
  RangeFeed(const RangeFeed&) = delete;
  RangeFeed& operator=(const RangeFeed&) = delete;

  const RangeFeedOptions& options() const noexcept { return options_; }
  std::size_t lane_of(std::size_t range) const noexcept { return range % options_.lanes; }
  // Before open(): the key ranges to read, as planned or as every lane's checkpoint left them
  // (ranged_read.hpp, sync.cpp); and, for block ranges, what the first run said of the target.
  void set_ranges(KeyRanges ranges);
  void set_target_was_empty(bool empty) noexcept { options_.target_was_empty = empty; }

  // A connection to the source that is open already (the one the sync was planned with): the
  // first reader takes it rather than connecting again.
  void lend_connection(std::unique_ptr<db::Connection> source) { lent_ = std::move(source); }
  // Connects the readers, each in its snapshot, and starts them; once, whichever lane asks
  // first (each lane opens on its own pipeline's thread).
  void open(const std::stop_token& stop);
  // The next piece of `lane`'s ranges: nullopt once none is left or the feed stops (a stop
  // request, or another lane left before its end: see stopped_early()). Rethrows what failed
  // a reader. Marks the piece's range as reached up to the piece's last row.
  std::optional<Piece> next(std::size_t lane);
  bool stopped_early() const noexcept { return abandoned_ || stop_.stop_requested(); }
  // The lane reads no more: when that is before its end (its writer failed), every reader and
  // lane stops, as the sync has failed.
  void close(std::size_t lane) noexcept;
  // The checkpoint of `lane`: every range's end, and how far the lane's own ranges reached.
  std::string checkpoint(std::size_t lane) const;
  // A batch a writer is done with, for a reader to fill again: its cells keep the room their
  // strings took, so a steady copy allocates next to nothing per row.
  void give_back(Batch batch);

 private:
  struct Open {  // a range a reader is in the middle of
    std::size_t range = 0;
    std::vector<Value> after;
  };

  void work(std::size_t reader, const std::stop_token& stop);
  bool stopping(const std::stop_token& stop) const noexcept {
    return stop.stop_requested() || stop_.stop_requested() || abandoned_;
  }
  // Reads the next page of `open` (retried on a new connection when the connection is lost);
  // false once the range holds no more rows or the feed stops.
  bool read_next_page(std::size_t reader, Open& open, const std::stop_token& stop);
  // Reads block range `range` in one query. A lost connection is not retried: the rows it
  // handed on cannot be told from the rest (the next run starts the table again).
  void read_blocks(db::Connection& sql, std::size_t range, const std::stop_token& stop);
  std::size_t range_count() const noexcept { return options_.by_blocks ? blocks_.size() : ranges_.size(); }
  bool read_page(db::Connection& sql, std::size_t range, std::vector<Value>& after, const std::stop_token& stop);
  bool hand_on(Piece piece);
  // A value the page could not read: the error, naming the row, or (--on-bad-value null) the
  // row reported and kept with its value NULL.
  void unreadable(Error& e, const Batch& rows) const;
  std::string reading_from() const;
  void close_all() noexcept;

  RangeFeedOptions options_;
  std::string table_;  // "table `public.orders`"
  KeyRanges ranges_;   // ends fixed before open(); `reached` moved by next() as pieces are handed on
  std::vector<BlockRange> blocks_;  // by_blocks: instead of ranges_
  bool planned_ = false;            // set_ranges() gave the ranges
  std::vector<std::vector<Value>> starts_;  // per range: where its reading began
  std::once_flag opened_;
  std::exception_ptr open_failure_;
  std::atomic<std::size_t> next_range_{0};
  std::vector<std::unique_ptr<pipeline::BoundedQueue<Piece>>> lanes_;
  std::vector<std::atomic<bool>> lane_finished_;
  std::atomic<bool> abandoned_{false};
  std::atomic<std::size_t> working_{0};
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
  std::stop_token stop_;
  std::unique_ptr<db::Connection> lent_;
  std::vector<std::unique_ptr<db::Connection>> connections_;
  // Given back, not yet taken again: as many as the lanes' queues hold and their writers keep.
  pipeline::FreeList<Batch> free_;
  std::vector<std::jthread> workers_;
};

}  // namespace weir::sync
