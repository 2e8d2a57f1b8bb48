// The messages of PostgreSQL's logical replication output plugin, pgoutput, decoded from the
// bytes of one XLogData payload (protocol versions 1 and 2; PostgreSQL's documentation,
// "Logical Replication Message Formats").
//
// The decoder keeps one instance of each message kind and refills it, so the stream decodes
// without allocating once warm; a change's cells are views into the payload, valid until the
// next decode(). It tracks a v2 streamed block (Stream Start … Stream Stop), whose messages
// carry a transaction id first: the streamed transaction's, or one of its subtransactions'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/lsn.hpp"
#include "weir/change.hpp"

namespace weir::cdc {

using Oid = std::uint32_t;

// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01 (UTC).
inline constexpr std::int64_t kPostgresEpochMicros = 946'684'800'000'000;

struct BeginMessage {
  Lsn final_lsn = 0;             // the transaction's commit LSN
  std::int64_t commit_time = 0;  // microseconds since the Unix epoch
  std::uint32_t xid = 0;
};

struct CommitMessage {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // just after the commit record: where a restart may resume
  std::int64_t commit_time = 0;
};

struct OriginMessage {
  Lsn lsn = 0;
  std::string name;
};

struct RelationColumn {
  std::string name;
  Oid type = 0;
  std::int32_t type_modifier = -1;
  bool key = false;  // part of the replica identity
  bool operator==(const RelationColumn&) const = default;
};

struct RelationMessage {
  std::uint32_t id = 0;
  std::string schema;  // empty for pg_catalog
  std::string name;
  char replica_identity = 'd';  // d default, n nothing, f full, i index (pg_class.relreplident)
  std::vector<RelationColumn> columns;
};

struct TypeMessage {
  Oid oid = 0;
  std::string schema, name;
};

enum class CellKind : std::uint8_t { null, unchanged, text, binary };

struct Cell {
  CellKind kind = CellKind::null;
  std::string_view data;  // text or binary form; empty for null and unchanged
};

// Insert, Update or Delete of one row.
struct ChangeMessage {
  ChangeOp op = ChangeOp::insert;
  std::uint32_t relation = 0;
  // The old row an Update or Delete carries: 'K' its replica identity key, 'O' the whole row
  // (REPLICA IDENTITY FULL), 0 none (an Update that changed no key column).
  char old_kind = 0;
  std::vector<Cell> old_tuple;
  std::vector<Cell> new_tuple;
};

struct TruncateMessage {
  bool cascade = false;
  bool restart_identity = false;
  std::vector<std::uint32_t> relations;
};

// pg_logical_emit_message().
struct LogicalMessage {
  bool transactional = false;
  Lsn lsn = 0;
  std::string prefix;
  std::string content;
};

struct StreamStartMessage {
  std::uint32_t xid = 0;
  bool first_segment = false;
};

struct StreamCommitMessage {
  std::uint32_t xid = 0;
  CommitMessage commit;
};

struct StreamAbortMessage {
  std::uint32_t xid = 0;
  std::uint32_t subxid = 0;
};

enum class MessageKind {
  begin, commit, origin, relation, type, change, truncate, message,
  stream_start, stream_stop, stream_commit, stream_abort,
};

class PgOutputDecoder {
 public:
  // Decodes one pgoutput message; throws Error{data} naming the message and what is wrong
  // when the bytes are not one.
  MessageKind decode(std::string_view bytes);

  // The last message of each kind decoded.
  const BeginMessage& begin() const noexcept { return begin_; }
  const CommitMessage& commit() const noexcept { return commit_; }
  const OriginMessage& origin() const noexcept { return origin_; }
  const RelationMessage& relation() const noexcept { return relation_; }
  const TypeMessage& type() const noexcept { return type_; }
  const ChangeMessage& change() const noexcept { return change_; }
  const TruncateMessage& truncate() const noexcept { return truncate_; }
  const LogicalMessage& message() const noexcept { return message_; }
  const StreamStartMessage& stream_start() const noexcept { return stream_start_; }
  const StreamCommitMessage& stream_commit() const noexcept { return stream_commit_; }
  const StreamAbortMessage& stream_abort() const noexcept { return stream_abort_; }

  // Inside a streamed block: the (top-level) transaction streamed; 0 outside one.
  std::uint32_t streamed_xid() const noexcept { return in_stream_ ? stream_xid_ : 0; }
  // Inside a streamed block: the transaction id the last Relation, Type, change, Truncate or
  // Message carried — the streamed transaction's or a subtransaction's (a Stream Abort may
  // later discard that subtransaction alone).
  std::uint32_t message_xid() const noexcept { return in_stream_ ? message_xid_ : 0; }

 private:
  class Reader;
  void read_tuple(Reader& in, std::vector<Cell>& out);
  void read_streamed_xid(Reader& in);

  bool in_stream_ = false;
  std::uint32_t stream_xid_ = 0;
  std::uint32_t message_xid_ = 0;
  BeginMessage begin_;
  CommitMessage commit_;
  OriginMessage origin_;
  RelationMessage relation_;
  TypeMessage type_;
  ChangeMessage change_;
  TruncateMessage truncate_;
  LogicalMessage message_;
  StreamStartMessage stream_start_;
  StreamCommitMessage stream_commit_;
  StreamAbortMessage stream_abort_;
};

}  // namespace weir::cdc
