// weir::Batch — rows that flow between stages; weir::Record — one row of a batch.
//
// A Batch is a schema plus row-major cells. It is the unit of work of cursors, bulk writers
// and pipeline queues. clear() keeps the cells' buffers, so a batch recycled through a
// cursor's next() reaches a steady state without allocation.
//
// A batch of changes (weir/change.hpp) also says per row what it is (insert, update …),
// holds before images, marks cells the source did not send and where a source transaction
// ends. That record is made on the first append_change() only: a batch of plain rows carries
// one null pointer and each of its appends tests it once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "weir/change.hpp"
#include "weir/schema.hpp"
#include "weir/value.hpp"

namespace weir {

class Record;

class Batch {
 public:
  Batch();
  explicit Batch(std::shared_ptr<const Schema> schema);
  Batch(const Batch& other);
  Batch& operator=(const Batch& other);
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;
  ~Batch();

  // Sets the schema and drops all rows (buffers are kept when the width is unchanged).
  void reset(std::shared_ptr<const Schema> schema);
  void clear() noexcept;
  // Makes room for up to `rows` rows (at most 16384 at once) so filling them rarely moves cells.
  // Only the room: cells are made as rows are appended.
  void reserve(std::size_t rows) { cells_.reserve(std::min<std::size_t>(rows, 16384) * width_); }

  const Schema& schema() const noexcept { return *schema_; }
  const std::shared_ptr<const Schema>& schema_ptr() const noexcept { return schema_; }
  std::size_t rows() const noexcept { return rows_; }
  std::size_t width() const noexcept { return width_; }
  bool empty() const noexcept { return rows_ == 0; }

  Value& at(std::size_t row, std::size_t col) { return cells_[row * width_ + col]; }
  const Value& at(std::size_t row, std::size_t col) const { return cells_[row * width_ + col]; }
  std::span<Value> row(std::size_t r) { return {cells_.data() + r * width_, width_}; }
  std::span<const Value> row(std::size_t r) const { return {cells_.data() + r * width_, width_}; }
  Record record(std::size_t r) const;

  // Adds a row and returns its cells. They hold whatever a previous use left there: the
  // caller assigns every cell.
  std::span<Value> append_row();
  // Adds a row copied from `values` (its size must equal width()).
  void append_row(std::span<const Value> values);

  // --- changes (see the file comment); every row of a plain batch is ChangeOp::row ---
  bool has_changes() const noexcept { return changes_ != nullptr && has_change_rows(); }
  ChangeOp op(std::size_t row) const noexcept;
  // Adds a row that is a change of kind `op` and returns its cells (assign every one).
  std::span<Value> append_change(ChangeOp op);
  // The row as it was before the change, to assign (width() cells); made on first call.
  std::span<Value> set_before(std::size_t row);
  // The before image of `row`; empty when the source sent none.
  std::span<const Value> before(std::size_t row) const noexcept;
  // The source left cell (row, col) out (an unchanged TOASTed value): it is neither NULL nor
  // a value, and an output must keep what the target holds there.
  void mark_unsent(std::size_t row, std::size_t col);
  bool sent(std::size_t row, std::size_t col) const noexcept;
  bool all_sent(std::size_t row) const noexcept;
  // Where change `row` sits in its source (weir/change.hpp); null when the source said nothing.
  void set_position(std::size_t row, const ChangePosition& position);
  const ChangePosition* position(std::size_t row) const noexcept;
  // The last row added ends a source transaction.
  void end_transaction();
  bool ends_transaction(std::size_t row) const noexcept;
  // For filters that build rows from another batch's: gives this batch's last row what
  // `from`'s row `from_row` says (op, position, transaction end; before image and unsent cells by
  // column name). Does nothing when `from` has no changes.
  void carry_change(const Batch& from, std::size_t from_row);

 private:
  struct Changes;
  bool has_change_rows() const noexcept;
  Changes& changes();

  std::shared_ptr<const Schema> schema_ = std::make_shared<const Schema>();
  std::vector<Value> cells_;
  std::size_t width_ = 0;
  std::size_t rows_ = 0;
  std::unique_ptr<Changes> changes_;
};

// A view of one row of a Batch; valid while the batch is unchanged.
class Record {
 public:
  Record(const Batch& batch, std::size_t row) : batch_(&batch), row_(row) {}

  const Schema& schema() const noexcept { return batch_->schema(); }
  std::size_t size() const noexcept { return batch_->width(); }
  const Value& operator[](std::size_t col) const { return batch_->at(row_, col); }
  // The value of the named column, or nullptr when there is no such column.
  const Value* find(std::string_view column) const noexcept;
  // The value of the named column; throws Error{config} when there is none.
  const Value& get(std::string_view column) const;

 private:
  const Batch* batch_;
  std::size_t row_;
};

inline Record Batch::record(std::size_t r) const { return Record(*this, r); }

}  // namespace weir
