#include "cdc/change_batcher.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "weir/error.hpp"

namespace weir::cdc {
namespace {

void check_width(const KnownRelation& table, std::size_t width) {
  if (width != table.relation.columns.size())
    throw Error(ErrorKind::data, fmt::format("pgoutput: a row of {}.{} with {} columns, its Relation message "
                                             "has {}",
                                             table.relation.schema, table.relation.name, width,
                                             table.relation.columns.size()));
}

// The cells of a tuple as the server sent them, read as they are taken.
struct SentTuple {
  const std::vector<Cell>& cells;
  std::size_t size() const noexcept { return cells.size(); }
  bool take(std::size_t col, const RelationColumn& column, Value& out) const { return read_cell(cells[col], column, out); }
};

// The cells of a tuple read already: each Value swapped into the batch (its buffer comes back).
struct ReadTuple {
  DecodedTuple& tuple;
  std::size_t size() const noexcept { return tuple.size(); }
  bool take(std::size_t col, const RelationColumn&, Value& out) const {
    std::swap(out, tuple.values[col]);
    return tuple.sent[col] != 0;
  }
};

}  // namespace

ChangeBatcher::ChangeBatcher(ChangeFilter filter, std::size_t max_rows, std::optional<StreamPosition> resume)
    : filter_(std::move(filter)), max_rows_(max_rows), resume_(resume), position_(resume), passed_on_(resume) {}

bool ChangeBatcher::wanted(const KnownRelation& table, ChangeOp op) const {
  if (std::find(filter_.operations.begin(), filter_.operations.end(), op) == filter_.operations.end()) return false;
  if (filter_.tables.empty()) return true;
  return filter_.tables.contains({table.relation.schema, table.relation.name});
}

void ChangeBatcher::feed(const PgOutputDecoder& decoder, MessageKind kind) {
  taking_ = nullptr;
  switch (kind) {
    case MessageKind::begin:
      transaction_ = decoder.begin();
      in_transaction_ = true;
      index_ = 0;
      delivered_ = 0;
      break;
    case MessageKind::relation: relations_.add(decoder.relation(), {transaction_.final_lsn, index_}); break;
    case MessageKind::type: relations_.add(decoder.type()); break;
    case MessageKind::change: add_change(decoder.change()); break;
    case MessageKind::truncate: add_truncate(decoder.truncate()); break;
    case MessageKind::commit: end_transaction(decoder.commit()); break;
    case MessageKind::message:
      if (in_transaction_) relations_.add(decoder.message(), {transaction_.final_lsn, index_});  // DDL capture
      break;
    case MessageKind::origin: break;
    case MessageKind::stream_start:
    case MessageKind::stream_stop:
    case MessageKind::stream_commit:
    case MessageKind::stream_abort:
      // StreamedTransactions takes these and hands a committed transaction on as one sent whole.
      throw Error(ErrorKind::internal, "pgoutput: a streamed transaction's message reached the batcher");
  }
  if (kind == MessageKind::relation || kind == MessageKind::message)
    for (auto& shape : relations_.take_new_shapes()) announced_.push_back(std::move(shape));
}

std::span<Value> ChangeBatcher::append(const KnownRelation& table, ChangeOp op) {
  if (!filling_.empty() && (filling_.schema_ptr() != table.schema || filling_.rows() >= max_rows_))
    pass_on(current_position());
  if (filling_.empty() && filling_.schema_ptr() != table.schema) filling_.reset(table.schema);
  if (!announced_.empty()) std::erase(announced_, table.schema);  // its rows carry it
  std::span<Value> cells = filling_.append_change(op);
  last_row_ = {.commit_lsn = transaction_.final_lsn, .index = index_, .end_lsn = std::nullopt};
  filling_.set_position(filling_.rows() - 1, {.commit_lsn = transaction_.final_lsn,
                                              .txid = transaction_.xid,
                                              .commit_time = transaction_.commit_time,
                                              .index = index_});
  ++delivered_;
  return cells;
}

void ChangeBatcher::feed(DecodedChange& change) {
  taking_ = nullptr;
  add_row(change.op, change.relation, change.old_kind, ReadTuple{change.old_tuple}, ReadTuple{change.new_tuple});
}

void ChangeBatcher::add_change(const ChangeMessage& change) {
  add_row(change.op, change.relation, change.old_kind, SentTuple{change.old_tuple}, SentTuple{change.new_tuple});
}

template <class Tuple>
void ChangeBatcher::add_row(ChangeOp op, std::uint32_t relation, char old_kind, const Tuple& old_tuple,
                            const Tuple& new_tuple) {
  if (!in_transaction_) throw Error(ErrorKind::data, "pgoutput: a change outside a transaction");
  std::uint64_t index = index_;
  const KnownRelation& table = relations_.at(relation);
  if ((resume_ && resume_->covers(transaction_.final_lsn, index)) || !wanted(table, op)) {
    ++index_;
    return;
  }
  taking_ = &table;
  const auto& columns = table.relation.columns;
  std::span<Value> cells = append(table, op);
  const std::size_t row = filling_.rows() - 1;
  const Tuple& after = op == ChangeOp::remove ? old_tuple : new_tuple;
  check_width(table, after.size());
  for (std::size_t col = 0; col < columns.size(); ++col)
    if (!after.take(col, columns[col], cells[col])) filling_.mark_unsent(row, col);
  if (op == ChangeOp::update) {
    std::span<Value> before = filling_.set_before(row);
    if (old_kind != 0) {
      check_width(table, old_tuple.size());
      for (std::size_t col = 0; col < columns.size(); ++col) old_tuple.take(col, columns[col], before[col]);
    } else {  // the key did not change: it is the new row's
      for (std::size_t col = 0; col < columns.size(); ++col)
        if (columns[col].key) before[col] = cells[col];
    }
  } else if (op == ChangeOp::remove) {
    std::ranges::copy(cells, filling_.set_before(row).begin());
  }
  taking_ = nullptr;
  ++index_;
}

std::string ChangeBatcher::where(Lsn message_lsn) const {
  if (!in_transaction_) return fmt::format("the message at LSN {}", format_lsn(message_lsn));
  const std::string table =
      taking_ ? fmt::format("table {}.{}, ", taking_->relation.schema, taking_->relation.name) : std::string();
  return fmt::format("{}source position {}:{} (transaction {})", table, format_lsn(transaction_.final_lsn), index_,
                     transaction_.xid);
}

void ChangeBatcher::add_truncate(const TruncateMessage& truncate) {
  if (!in_transaction_) throw Error(ErrorKind::data, "pgoutput: a truncate outside a transaction");
  for (std::uint32_t id : truncate.relations) {
    const KnownRelation& table = relations_.at(id);
    if ((!resume_ || !resume_->covers(transaction_.final_lsn, index_)) && wanted(table, ChangeOp::truncate))
      for (Value& cell : append(table, ChangeOp::truncate)) cell.set_null();
    ++index_;
  }
}

void ChangeBatcher::end_transaction(const CommitMessage& commit) {
  if (!in_transaction_) throw Error(ErrorKind::data, "pgoutput: a commit without its begin");
  if (commit.commit_lsn != transaction_.final_lsn)
    throw Error(ErrorKind::data, fmt::format("pgoutput: a commit at {} for the transaction begun for {}",
                                             format_lsn(commit.commit_lsn), format_lsn(transaction_.final_lsn)));
  if (delivered_ > 0) filling_.end_transaction();  // its last delivered change is the last row filled
  in_transaction_ = false;
  position_ = StreamPosition{.commit_lsn = commit.commit_lsn,
                             .index = index_ == 0 ? 0 : index_ - 1,
                             .end_lsn = commit.end_lsn};
  if (resume_ && !resume_->covers(commit.commit_lsn, index_)) resume_.reset();  // past it for good
  if (!announced_.empty()) announce_shapes();
}

// After the transaction's rows, each new shape none of them carried, as an empty batch whose
// checkpoint is the transaction's end.
void ChangeBatcher::announce_shapes() {
  if (!filling_.empty()) pass_on(*position_);
  for (const auto& schema : announced_) {
    relations_.history().delivered(schema.get());
    filling_.reset(schema);
    pass_on(*position_);
  }
  announced_.clear();
}

StreamPosition ChangeBatcher::current_position() const {
  if (in_transaction_ && delivered_ > 0) return last_row_;
  return position_.value_or(StreamPosition{});
}

void ChangeBatcher::pass_on(const StreamPosition& after) {
  Ready& ready = ready_.emplace_back();
  std::swap(ready.batch, filling_);
  ready.checkpoint = encode_checkpoint(after, relations_.history(), ready.batch);
  passed_on_ = after;
  if (!spare_.empty()) {
    std::swap(filling_, spare_.back());
    spare_.pop_back();
  }
  filling_.clear();
}

// Not while the open transaction's last change is in the batch: its end is marked there.
void ChangeBatcher::seal() {
  if (in_transaction_ && delivered_ > 0) return;
  if (!filling_.empty()) pass_on(current_position());
  else if (!in_transaction_ && position_ && position_ != passed_on_) pass_on(*position_);
}

void ChangeBatcher::idle_at(Lsn wal_end) {
  if (in_transaction_) return;
  if (!filling_.empty()) pass_on(current_position());  // the last transaction's rows go first
  if (position_ && position_->resume_lsn() >= wal_end) return;
  position_ = StreamPosition{.commit_lsn = wal_end, .index = 0, .end_lsn = wal_end};
}

void ChangeBatcher::restart() {
  filling_.clear();
  announced_.clear();
  in_transaction_ = false;
  index_ = 0;
  delivered_ = 0;
  resume_ = passed_on_;
  position_ = passed_on_;
}

bool ChangeBatcher::next(Batch& out, std::string& checkpoint) {
  if (ready_.empty()) return false;
  std::swap(out, ready_.front().batch);
  checkpoint = std::move(ready_.front().checkpoint);
  spare_.push_back(std::move(ready_.front().batch));
  ready_.pop_front();
  return true;
}

}  // namespace weir::cdc
