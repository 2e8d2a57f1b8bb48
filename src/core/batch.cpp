#include "weir/batch.hpp"

#include <algorithm>

#include "weir/error.hpp"

namespace weir {

void Batch::reset(std::shared_ptr<const Schema> schema) {
  std::size_t width = schema->size();
  if (width != width_) cells_.clear();
  schema_ = std::move(schema);
  width_ = width;
  rows_ = 0;
}

std::span<Value> Batch::append_row() {
  std::size_t needed = (rows_ + 1) * width_;
  if (cells_.size() < needed) cells_.resize(std::max(needed, cells_.size() * 2));
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

const Value* Record::find(std::string_view column) const noexcept {
  auto i = schema().find(column);
  return i ? &(*this)[*i] : nullptr;
}

const Value& Record::get(std::string_view column) const {
  return (*this)[schema().index_of(column)];
}

}  // namespace weir
