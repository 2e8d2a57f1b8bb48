// Turns decoded pgoutput messages into batches of changes for the pipeline.
//
// A batch holds one table's changes in one shape (a new batch starts when the table or its
// shape changes, or at `max_rows`), each row with its position (commit LSN, txid, commit time,
// index within the transaction) and the transaction's last delivered change marked
// (Batch::end_transaction). A transaction therefore reaches the output as one or more batches
// in commit order, and a large one is passed on batch by batch, never held whole.
//
// Each batch's checkpoint is the StreamPosition just after its last row: mid-transaction
// (commit LSN, index) or, once the transaction ended, its end LSN too. Transactions whose
// changes were all filtered out, and a keepalive's position when nothing is open (idle_at),
// move the position on with an empty batch, so the slot is confirmed past them.
//
// A table's new shape (a schema change) that no change of its transaction carried — DDL
// capture's message for a statement nothing followed, a Relation message before a change
// filtered out — is passed on at the transaction's end as an empty batch of that shape, so an
// output that keeps the table (sql_apply) alters it without waiting for the table's next change.
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cdc/decoded_change.hpp"
#include "cdc/pgoutput_decoder.hpp"
#include "cdc/relation_cache.hpp"
#include "cdc/stream_position.hpp"
#include "weir/batch.hpp"

namespace weir::cdc {

struct ChangeFilter {
  std::set<std::pair<std::string, std::string>> tables;  // (schema, name); empty: every table sent
  std::vector<ChangeOp> operations{ChangeOp::insert, ChangeOp::update, ChangeOp::remove, ChangeOp::truncate};
};

class ChangeBatcher {
 public:
  ChangeBatcher(ChangeFilter filter, std::size_t max_rows, std::optional<StreamPosition> resume);

  // Takes in the message `decoder` decoded last (of kind `kind`).
  void feed(const PgOutputDecoder& decoder, MessageKind kind);
  // Takes in a change whose cells were read already (its Values are taken: swapped out).
  void feed(DecodedChange& change);
  // Passes on the batch being filled (or an empty one moving the position on): called when
  // the stream has nothing more at hand, so nothing committed waits for more changes.
  void seal();
  // A keepalive's position, when no transaction is open: nothing before it is left to send.
  void idle_at(Lsn wal_end);
  // The stream broke and starts again where the server was last told (it resends from the
  // end of the last confirmed transaction): what was not passed on yet is dropped and comes
  // again, what was is skipped by its position.
  void restart();

  // The next batch ready, swapped into `out`, and its checkpoint; false when none is.
  bool next(Batch& out, std::string& checkpoint);
  bool has_ready() const noexcept { return !ready_.empty(); }
  bool in_transaction() const noexcept { return in_transaction_; }
  // Where a message that could not be taken in stands, for its error: the table and source
  // position (commit LSN:index) of the change being taken in and its transaction, or the
  // transaction's next position, or outside one `message_lsn` (where the server sent it).
  std::string where(Lsn message_lsn) const;
  RelationCache& relations() noexcept { return relations_; }

 private:
  struct Ready {
    Batch batch;
    std::string checkpoint;
  };
  bool wanted(const KnownRelation& table, ChangeOp op) const;
  // Starts a new batch when `schema` differs from the one being filled or it is full.
  std::span<Value> append(const KnownRelation& table, ChangeOp op);
  void add_change(const ChangeMessage& change);
  template <class Tuple>
  void add_row(ChangeOp op, std::uint32_t relation, char old_kind, const Tuple& old_tuple, const Tuple& new_tuple);
  void add_truncate(const TruncateMessage& truncate);
  void end_transaction(const CommitMessage& commit);
  void announce_shapes();
  void pass_on(const StreamPosition& after);
  StreamPosition current_position() const;

  ChangeFilter filter_;
  std::size_t max_rows_;
  std::optional<StreamPosition> resume_;
  RelationCache relations_;
  BeginMessage transaction_;
  bool in_transaction_ = false;
  std::uint64_t index_ = 0;         // of the next change in the open transaction
  const KnownRelation* taking_ = nullptr;  // the table of the change being taken in, while it is
  std::uint64_t delivered_ = 0;     // changes of the open transaction appended so far
  StreamPosition last_row_;         // the position of the last change appended
  std::optional<StreamPosition> position_;  // after the last whole transaction (or keepalive)
  std::optional<StreamPosition> passed_on_;  // the last checkpoint handed to next()
  Batch filling_;
  std::vector<std::shared_ptr<const Schema>> announced_;  // new shapes of the open transaction no change carried yet
  std::deque<Ready> ready_;
  std::vector<Batch> spare_;
};

}  // namespace weir::cdc
