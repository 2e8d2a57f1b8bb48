// A PostgreSQL replication connection (the walsender protocol over libpq, replication=database):
// the commands around a logical slot, the COPY BOTH stream START_REPLICATION opens, and the
// standby status updates that tell the server how far the slot may advance.
//
// Used from one thread at a time (libpq's rule).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <memory>

#include "cdc/lsn.hpp"
#include "cdc/pgoutput_decoder.hpp"
#include "db/postgres/connection.hpp"
#include "weir/db/driver.hpp"

namespace weir::cdc {

struct SystemIdentity {
  std::string system_id;
  int timeline = 0;
  Lsn wal_position = 0;
  std::string database;
};

// A slot created with an exported snapshot: the database as it stood at the slot's consistent
// point, which ordinary connections import (SET TRANSACTION SNAPSHOT) while the connection
// that created the slot runs no other command and stays open.
struct ExportedSnapshot {
  Lsn consistent_point = 0;
  std::string name;
};

struct StartOptions {
  std::string slot;
  std::string publication;
  Lsn start = 0;  // 0: where the slot stands
  // 2 with `streaming`: a transaction larger than the server's logical_decoding_work_mem comes
  // in chunks while in progress (StreamedTransactions) instead of the server spilling it.
  int protocol_version = 2;
  bool streaming = true;
  bool binary = false;   // values in their binary send form (types with one) instead of text
  bool messages = true;  // pg_logical_emit_message() in the stream
};

class ReplicationConnection {
 public:
  // Logs in (db::postgres::connect_replication); `describe` names the connection in messages.
  explicit ReplicationConnection(const db::ConnectionConfig& config);

  SystemIdentity identify_system();
  // Creates a logical slot for pgoutput (`name` a valid slot name); returns its consistent point.
  Lsn create_slot(std::string_view name);
  // The same, exporting a snapshot (cdc/snapshot.hpp reads the tables' rows from it).
  ExportedSnapshot create_slot_exporting_snapshot(std::string_view name);

  void start(const StartOptions& options);

  // What receive() got.
  enum class Received { nothing, data, keepalive };
  // Waits up to `timeout` for the next message of the stream: XLogData (its payload in data(),
  // the LSN of the change it carries in data_lsn()) or a keepalive (wal_end(),
  // reply_requested()). Throws Error{connection} when the stream ends or breaks.
  Received receive(std::chrono::milliseconds timeout);
  std::string_view data() const noexcept { return data_; }
  Lsn data_lsn() const noexcept { return data_lsn_; }
  Lsn wal_end() const noexcept { return wal_end_; }
  bool reply_requested() const noexcept { return reply_requested_; }

  // A standby status update: everything up to `flushed` is durable on our side and the slot
  // may move there; `reply`: ask the server to answer with a keepalive.
  void send_status(Lsn flushed, bool reply = false);

 private:
  // Walsender commands take no parameters: names are checked by the caller (slot names are
  // [a-z0-9_]), never values from the stream.
  db::postgres::ResultHandle run(const std::string& command);
  bool parse_copy_data(std::string_view message);

  struct Freer {
    void operator()(char* p) const noexcept { PQfreemem(p); }
  };
  std::string describe_;
  db::postgres::ConnHandle conn_;
  std::unique_ptr<char, Freer> buffer_;  // the last PQgetCopyData buffer
  std::string_view data_;
  Lsn data_lsn_ = 0, wal_end_ = 0;
  bool reply_requested_ = false;
};

}  // namespace weir::cdc
