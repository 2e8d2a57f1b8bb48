// The input of a full sync of a table with a primary key: the key ranges of key_ranges.hpp,
// read by `jobs` readers at once, each range in key order in pages (keyset, as sql_poll reads),
// the pages handed to the one writer as they come. A PostgreSQL table without one is read the
// same way in the ctid ranges of block_ranges.hpp, one query per range, none resumed.
//
// One consistent view of the table: on PostgreSQL the first reader exports its transaction's
// snapshot (pg_export_snapshot) and the others import it, so every reader sees the same rows,
// as pg_dump's parallel readers do. MySQL/MariaDB and SQLite cannot share a snapshot: each
// reader opens its own (START TRANSACTION WITH CONSISTENT SNAPSHOT; SQLite's read transaction),
// so each range is consistent in itself and the ranges are views of moments apart — a table
// written to during the sync may show a row moved between ranges in neither or in both (the
// second then fails on its key, or is replaced with --on-conflict replace).
//
// The checkpoint is every range's end and the key of its last row handed on (key_ranges.hpp):
// committed with each batch of rows, so a sync cut off anywhere (kill -9) resumes each range
// after its last committed row, never reading again what a finished range held.
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
#include <thread>
#include <vector>

#include "pipeline/bounded_queue.hpp"
#include "pipeline/module.hpp"
#include "sync/bad_values.hpp"
#include "sync/block_ranges.hpp"
#include "sync/key_ranges.hpp"
#include "sync/table_plan.hpp"

namespace weir::sync {

struct RangedReadOptions {
  db::ConnectionConfig source;
  TablePlan plan;
  std::string where;
  std::size_t jobs = 1;
  std::size_t page_rows = 20000;
  std::shared_ptr<BadValues> bad;
  // Block (ctid) ranges instead of key ranges (plan.by_blocks), and what their checkpoint says
  // of the target when this sync began (a restored checkpoint's says it of the first run's).
  bool by_blocks = false;
  bool target_was_empty = false;
};

class RangedRead final : public pipeline::Input {
 public:
  explicit RangedRead(RangedReadOptions options);
  ~RangedRead() override;
  RangedRead(const RangedRead&) = delete;
  RangedRead& operator=(const RangedRead&) = delete;

  void restore(std::string_view checkpoint) override;
  // Connects the readers, each in its snapshot, cuts the table into ranges (unless a
  // checkpoint gave them) and starts reading.
  void open(const pipeline::RunOptions& options) override;
  bool read(Batch& out) override;
  State state() const noexcept override { return state_; }
  std::string checkpoint() const override;
  bool source_forgets_committed() const noexcept override { return false; }
  pipeline::Identity identity() const override;
  std::string position_of(const Batch& rows, std::size_t row) const override;

 private:
  struct Piece {
    std::size_t range = 0;
    Batch rows;
    std::vector<Value> last_key;
  };

  std::vector<std::unique_ptr<db::Connection>> connect_readers(std::size_t count);
  void work(std::size_t reader, const std::stop_token& stop);
  void read_range(std::size_t reader, std::size_t range, const std::stop_token& stop);
  // Reads block range `range` in one query. A lost connection is not retried: the rows it
  // handed on cannot be told from the rest (the next run starts the table again).
  void read_blocks(db::Connection& sql, std::size_t range, const std::stop_token& stop);
  std::size_t range_count() const noexcept { return options_.by_blocks ? blocks_.size() : ranges_.size(); }
  // Reads one page of `range` after `after`; false once the range holds no more rows.
  bool read_page(db::Connection& sql, std::size_t range, std::vector<Value>& after, const std::stop_token& stop);
  // A value the page could not read: the error, naming the row, or (--on-bad-value null) the
  // row reported and kept with its value NULL.
  void unreadable(Error& e, const Batch& rows) const;
  std::string reading_from() const;

  RangedReadOptions options_;
  std::string table_;  // "table `public.orders`"
  KeyRanges ranges_;   // ends fixed at open(); `reached` moved by read() as pages are handed on
  std::vector<BlockRange> blocks_;  // by_blocks: instead of ranges_
  bool restored_ = false;
  std::vector<std::vector<Value>> starts_;  // per range: where its reading began
  std::atomic<std::size_t> next_range_{0};
  pipeline::BoundedQueue<Piece> ready_;
  std::atomic<std::size_t> working_{0};
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
  std::stop_token stop_;
  State state_ = State::reading;
  std::vector<std::unique_ptr<db::Connection>> connections_;
  std::vector<std::jthread> workers_;
};

}  // namespace weir::sync
