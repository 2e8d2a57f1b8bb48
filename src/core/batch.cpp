#include "weir/batch.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "weir/error.hpp"

namespace weir {

// One entry per row once a change was appended (rows before it are plain rows).
struct Batch::Changes {
  struct Row {
    ChangeOp op = ChangeOp::row;
    bool ends_transaction = false;
    bool has_position = false;
    std::uint32_t before = 0;  // 1 + the before image's index in before_cells; 0: none
  };
  std::vector<Row> rows;
  std::vector<ChangePosition> positions;  // per row, once any row has one
  std::vector<Value> before_cells;  // width cells per before image
  std::size_t before_images = 0;
  std::vector<std::uint64_t> unsent;  // words_per_row bits per row, once any cell is unsent

  std::size_t words_per_row(std::size_t width) const noexcept { return (width + 63) / 64; }
  void clear() noexcept {
    rows.clear();
    before_images = 0;
    positions.clear();
    unsent.clear();
  }
};

Batch::Batch() = default;
Batch::Batch(std::shared_ptr<const Schema> schema) { reset(std::move(schema)); }

Batch::Batch(const Batch& other)
    : schema_(other.schema_), cells_(other.cells_), width_(other.width_), rows_(other.rows_) {
  if (other.changes_) changes_ = std::make_unique<Changes>(*other.changes_);
}

Batch& Batch::operator=(const Batch& other) {
  if (this != &other) {
    Batch copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;
Batch::~Batch() = default;

void Batch::reset(std::shared_ptr<const Schema> schema) {
  std::size_t width = schema->size();
  if (width != width_) cells_.clear();
  schema_ = std::move(schema);
  width_ = width;
  clear();
}

void Batch::clear() noexcept {
  rows_ = 0;
  if (changes_) changes_->clear();
}

std::span<Value> Batch::append_row() {
  std::size_t needed = (rows_ + 1) * width_;
  if (cells_.size() < needed) {
    std::size_t grown = std::max(needed, cells_.size() * 2);
    if (needed <= cells_.capacity()) grown = std::min(grown, cells_.capacity());  // the room reserve() made
    cells_.resize(grown);
  }
  if (changes_ && !changes_->rows.empty()) changes_->rows.emplace_back();
  return row(rows_++);
}

void Batch::append_row(std::span<const Value> values) {
  if (values.size() != width_)
    throw Error(ErrorKind::internal, "row width does not match the batch's schema");
  bool aliases = !cells_.empty() && values.data() >= cells_.data() && values.data() < cells_.data() + cells_.size();
  if (aliases) {  // growing may move the source row: copy it first
    std::vector<Value> copy(values.begin(), values.end());
    std::ranges::move(copy, append_row().begin());
    return;
  }
  std::ranges::copy(values, append_row().begin());
}

bool Batch::has_change_rows() const noexcept { return !changes_->rows.empty(); }

Batch::Changes& Batch::changes() {
  if (!changes_) changes_ = std::make_unique<Changes>();
  // Rows appended before the first change are plain rows.
  if (changes_->rows.size() < rows_) changes_->rows.resize(rows_);
  return *changes_;
}

ChangeOp Batch::op(std::size_t row) const noexcept {
  if (!changes_ || row >= changes_->rows.size()) return ChangeOp::row;
  return changes_->rows[row].op;
}

std::span<Value> Batch::append_change(ChangeOp op) {
  Changes& c = changes();
  std::span<Value> cells = append_row();
  if (c.rows.size() < rows_) c.rows.emplace_back();
  c.rows[rows_ - 1].op = op;
  return cells;
}

std::span<Value> Batch::set_before(std::size_t row) {
  if (row >= rows_) throw Error(ErrorKind::internal, "before image for a row the batch does not have");
  Changes& c = changes();
  Changes::Row& r = c.rows[row];
  if (r.before == 0) {
    std::size_t index = c.before_images++;
    if (c.before_cells.size() < c.before_images * width_) c.before_cells.resize(c.before_images * width_);
    r.before = static_cast<std::uint32_t>(index + 1);
    // A recycled batch's old image may be here: a column the source lacks stays NULL.
    for (std::size_t col = 0; col < width_; ++col) c.before_cells[index * width_ + col].set_null();
  }
  return {c.before_cells.data() + (r.before - 1) * width_, width_};
}

std::span<const Value> Batch::before(std::size_t row) const noexcept {
  if (!changes_ || row >= changes_->rows.size() || changes_->rows[row].before == 0) return {};
  return {changes_->before_cells.data() + (changes_->rows[row].before - 1) * width_, width_};
}

void Batch::mark_unsent(std::size_t row, std::size_t col) {
  if (row >= rows_ || col >= width_) throw Error(ErrorKind::internal, "unsent cell outside the batch");
  Changes& c = changes();
  std::size_t words = c.words_per_row(width_);
  if (c.unsent.size() < rows_ * words) c.unsent.resize(rows_ * words, 0);
  c.unsent[row * words + col / 64] |= std::uint64_t{1} << (col % 64);
}

bool Batch::sent(std::size_t row, std::size_t col) const noexcept {
  if (!changes_ || changes_->unsent.empty()) return true;
  std::size_t words = changes_->words_per_row(width_);
  std::size_t word = row * words + col / 64;
  if (word >= changes_->unsent.size()) return true;
  return (changes_->unsent[word] & (std::uint64_t{1} << (col % 64))) == 0;
}

bool Batch::all_sent(std::size_t row) const noexcept {
  if (!changes_ || changes_->unsent.empty()) return true;
  std::size_t words = changes_->words_per_row(width_);
  for (std::size_t w = row * words; w < (row + 1) * words && w < changes_->unsent.size(); ++w)
    if (changes_->unsent[w] != 0) return false;
  return true;
}

void Batch::set_position(std::size_t row, const ChangePosition& position) {
  if (row >= rows_) throw Error(ErrorKind::internal, "a position for a row the batch does not have");
  Changes& c = changes();
  if (c.positions.size() < rows_) c.positions.resize(rows_);
  c.positions[row] = position;
  c.rows[row].has_position = true;
}

const ChangePosition* Batch::position(std::size_t row) const noexcept {
  if (!changes_ || row >= changes_->rows.size() || !changes_->rows[row].has_position) return nullptr;
  return &changes_->positions[row];
}

void Batch::end_transaction() {
  if (rows_ == 0) throw Error(ErrorKind::internal, "a transaction cannot end before the batch's first row");
  changes().rows[rows_ - 1].ends_transaction = true;
}

bool Batch::ends_transaction(std::size_t row) const noexcept {
  return changes_ && row < changes_->rows.size() && changes_->rows[row].ends_transaction;
}

void Batch::carry_change(const Batch& from, std::size_t from_row) {
  if (!from.has_changes() || rows_ == 0) return;
  std::size_t last = rows_ - 1;
  Changes& c = changes();
  c.rows[last].op = from.op(from_row);
  c.rows[last].ends_transaction = from.ends_transaction(from_row);
  if (const ChangePosition* p = from.position(from_row)) set_position(last, *p);
  std::span<const Value> before_image = from.before(from_row);
  bool same_shape = from.schema_ == schema_ || from.schema() == schema();
  for (std::size_t col = 0; col < width_; ++col) {
    std::optional<std::size_t> source_col =
        same_shape ? std::optional<std::size_t>(col) : from.schema().find(schema()[col].name);
    if (!source_col) continue;
    if (!before_image.empty()) set_before(last)[col] = before_image[*source_col];
    if (!from.sent(from_row, *source_col)) mark_unsent(last, col);
  }
}

const Value* Record::find(std::string_view column) const noexcept {
  auto i = schema().find(column);
  return i ? &(*this)[*i] : nullptr;
}

const Value& Record::get(std::string_view column) const {
  return (*this)[schema().index_of(column)];
}

std::string format_lsn(std::uint64_t lsn) { return fmt::format("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF'FFFFu); }

std::string to_string(const ChangePosition& position) {
  return fmt::format("{}:{}", format_lsn(position.commit_lsn), position.index);
}

std::string_view to_string(ChangeOp op) noexcept {
  switch (op) {
    case ChangeOp::row: return "row";
    case ChangeOp::insert: return "insert";
    case ChangeOp::update: return "update";
    case ChangeOp::remove: return "delete";
    case ChangeOp::truncate: return "truncate";
  }
  return "row";
}

}  // namespace weir
