#include "cdc/change_batcher.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/types.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

// A value in binary form (START_REPLICATION … binary 'true'), read as its text form would be.
void read_binary(const Cell& cell, const RelationColumn& column, Value& out) {
  if (auto codec = db::postgres::BinaryCodec::for_type(column.type)) return codec->decode(cell.data, out);
  throw Error(ErrorKind::data, fmt::format("pgoutput: column `{}` (type OID {}) came in binary form, which weir "
                                           "does not read for its type; set `binary: off` (or `auto`)",
                                           column.name, column.type));
}

// One cell of a tuple into `out`; false when the server left it out (unchanged TOAST).
bool read_cell(const Cell& cell, const RelationColumn& column, Value& out) {
  switch (cell.kind) {
    case CellKind::null: out.set_null(); return true;
    case CellKind::unchanged: out.set_null(); return false;
    case CellKind::text: db::postgres::read_text(cell.data, column.type, out); return true;
    case CellKind::binary: read_binary(cell, column, out); return true;
  }
  return false;
}

void check_width(const KnownRelation& table, const std::vector<Cell>& tuple) {
  if (tuple.size() != table.relation.columns.size())
    throw Error(ErrorKind::data, fmt::format("pgoutput: a row of {}.{} with {} columns, its Relation message "
                                             "has {}",
                                             table.relation.schema, table.relation.name, tuple.size(),
                                             table.relation.columns.size()));
}

}  // namespace

ChangeBatcher::ChangeBatcher(ChangeFilter filter, std::size_t max_rows, std::optional<StreamPosition> resume)
    : filter_(std::move(filter)), max_rows_(max_rows), resume_(resume), position_(resume), passed_on_(resume) {}

bool ChangeBatcher::wanted(const KnownRelation& table, ChangeOp op) const {
  if (std::find(filter_.operations.begin(), filter_.operations.end(), op) == filter_.operations.end()) return false;
  if (filter_.tables.empty()) return true;
  return filter_.tables.contains({table.relation.schema, table.relation.name});
}

void ChangeBatcher::feed(const PgOutputDecoder& decoder, MessageKind kind) {
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
}

std::span<Value> ChangeBatcher::append(const KnownRelation& table, ChangeOp op) {
  if (!filling_.empty() && (filling_.schema_ptr() != table.schema || filling_.rows() >= max_rows_))
    pass_on(current_position());
  if (filling_.empty() && filling_.schema_ptr() != table.schema) filling_.reset(table.schema);
  std::span<Value> cells = filling_.append_change(op);
  last_row_ = {.commit_lsn = transaction_.final_lsn, .index = index_, .end_lsn = std::nullopt};
  filling_.set_position(filling_.rows() - 1, {.commit_lsn = transaction_.final_lsn,
                                              .txid = transaction_.xid,
                                              .commit_time = transaction_.commit_time,
                                              .index = index_});
  ++delivered_;
  return cells;
}

void ChangeBatcher::add_change(const ChangeMessage& change) {
  if (!in_transaction_) throw Error(ErrorKind::data, "pgoutput: a change outside a transaction");
  std::uint64_t index = index_;
  const KnownRelation& table = relations_.at(change.relation);
  if ((resume_ && resume_->covers(transaction_.final_lsn, index)) || !wanted(table, change.op)) {
    ++index_;
    return;
  }
  const auto& columns = table.relation.columns;
  std::span<Value> cells = append(table, change.op);
  const std::size_t row = filling_.rows() - 1;
  const std::vector<Cell>& after = change.op == ChangeOp::remove ? change.old_tuple : change.new_tuple;
  check_width(table, after);
  for (std::size_t col = 0; col < columns.size(); ++col)
    if (!read_cell(after[col], columns[col], cells[col])) filling_.mark_unsent(row, col);
  if (change.op == ChangeOp::update) {
    std::span<Value> before = filling_.set_before(row);
    if (change.old_kind != 0) {
      check_width(table, change.old_tuple);
      for (std::size_t col = 0; col < columns.size(); ++col) read_cell(change.old_tuple[col], columns[col], before[col]);
    } else {  // the key did not change: it is the new row's
      for (std::size_t col = 0; col < columns.size(); ++col)
        if (columns[col].key) before[col] = cells[col];
    }
  } else if (change.op == ChangeOp::remove) {
    std::ranges::copy(cells, filling_.set_before(row).begin());
  }
  ++index_;
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
