#include "cdc/replication_connection.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <cstdlib>

#include "db/postgres/driver.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/wire_buffer.hpp"
#include "weir/error.hpp"

namespace weir::cdc {

using db::postgres::load64;

namespace {

// Microseconds since PostgreSQL's epoch, as status updates carry the client's clock.
std::int64_t postgres_now() {
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return now.count() - kPostgresEpochMicros;
}

}  // namespace

ReplicationConnection::ReplicationConnection(const db::ConnectionConfig& config)
    : describe_(config.describe()), conn_(db::postgres::connect_replication(config)) {}

db::postgres::ResultHandle ReplicationConnection::run(const std::string& command) {
  return db::postgres::checked(PQexec(conn_.get(), command.c_str()), conn_.get(),
                               fmt::format("{} on {}", command.substr(0, command.find(' ', 8)), describe_));
}

SystemIdentity ReplicationConnection::identify_system() {
  auto r = run("IDENTIFY_SYSTEM");
  if (PQntuples(r.get()) != 1 || PQnfields(r.get()) < 4)
    throw Error(ErrorKind::connection, fmt::format("IDENTIFY_SYSTEM on {}: an unexpected answer", describe_));
  SystemIdentity identity{PQgetvalue(r.get(), 0, 0), std::atoi(PQgetvalue(r.get(), 0, 1)), 0,
                          PQgetvalue(r.get(), 0, 3)};
  identity.wal_position = parse_lsn(PQgetvalue(r.get(), 0, 2)).value_or(0);
  return identity;
}

Lsn ReplicationConnection::create_slot(std::string_view name) {
  auto r = run(fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput (SNAPSHOT 'nothing')", name));
  if (PQntuples(r.get()) != 1 || PQnfields(r.get()) < 2)
    throw Error(ErrorKind::connection, fmt::format("CREATE_REPLICATION_SLOT on {}: an unexpected answer", describe_));
  return parse_lsn(PQgetvalue(r.get(), 0, 1)).value_or(0);
}

ExportedSnapshot ReplicationConnection::create_slot_exporting_snapshot(std::string_view name) {
  auto r = run(fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput (SNAPSHOT 'export')", name));
  if (PQntuples(r.get()) != 1 || PQnfields(r.get()) < 3 || PQgetisnull(r.get(), 0, 2))
    throw Error(ErrorKind::connection, fmt::format("CREATE_REPLICATION_SLOT on {}: an unexpected answer", describe_));
  return {parse_lsn(PQgetvalue(r.get(), 0, 1)).value_or(0), PQgetvalue(r.get(), 0, 2)};
}

void ReplicationConnection::start(const StartOptions& options) {
  std::string command = fmt::format(
      "START_REPLICATION SLOT {} LOGICAL {} (proto_version '{}', publication_names '\"{}\"', messages '{}'{}{})",
      options.slot, format_lsn(options.start), options.protocol_version, options.publication,
      options.messages ? "true" : "false", options.streaming ? ", streaming 'on'" : "",
      options.binary ? ", binary 'true'" : "");
  db::postgres::ResultHandle r(PQexec(conn_.get(), command.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COPY_BOTH)
    db::postgres::throw_result_error(r.get(), conn_.get(), fmt::format("START_REPLICATION on {}", describe_));
}

// XLogData ('w': start, end, clock, payload) or a primary keepalive ('k': end, clock, reply).
bool ReplicationConnection::parse_copy_data(std::string_view message) {
  if (message.size() >= 25 && message[0] == 'w') {
    data_lsn_ = load64(message.data() + 1);
    data_ = message.substr(25);
    return true;
  }
  if (message.size() >= 18 && message[0] == 'k') {
    wal_end_ = load64(message.data() + 1);
    reply_requested_ = message[17] != 0;
    return false;
  }
  throw Error(ErrorKind::data, fmt::format("replication stream from {}: an unknown message '{}' of {} bytes",
                                           describe_, message.empty() ? '?' : message[0], message.size()));
}

ReplicationConnection::Received ReplicationConnection::receive(std::chrono::milliseconds timeout) {
  buffer_.reset();
  for (bool waited = false;; waited = true) {
    char* raw = nullptr;
    int length = PQgetCopyData(conn_.get(), &raw, 1);
    if (length > 0) {
      buffer_.reset(raw);
      return parse_copy_data({raw, static_cast<std::size_t>(length)}) ? Received::data : Received::keepalive;
    }
    if (length == -1) {  // the server ended the stream
      db::postgres::ResultHandle r(PQgetResult(conn_.get()));
      if (r && PQresultStatus(r.get()) == PGRES_FATAL_ERROR)
        db::postgres::throw_result_error(r.get(), conn_.get(), fmt::format("replication from {}", describe_));
      throw Error(ErrorKind::connection, fmt::format("replication from {}: the server ended the stream", describe_));
    }
    if (length == -2) db::postgres::throw_connection_error(conn_.get(), fmt::format("replication from {}", describe_));
    if (waited) return Received::nothing;
    pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return Received::nothing;
    if (!PQconsumeInput(conn_.get()))
      db::postgres::throw_connection_error(conn_.get(), fmt::format("replication from {}", describe_));
  }
}

void ReplicationConnection::send_status(Lsn flushed, bool reply) {
  db::postgres::WireBuffer out;
  out.put_u8('r');
  for (int i = 0; i < 3; ++i) out.put_i64(static_cast<std::int64_t>(flushed));  // written, flushed, applied
  out.put_i64(postgres_now());
  out.put_u8(reply ? 1 : 0);
  if (PQputCopyData(conn_.get(), out.data(), static_cast<int>(out.size())) != 1 || PQflush(conn_.get()) != 0)
    db::postgres::throw_connection_error(conn_.get(), fmt::format("replication to {}", describe_));
}

}  // namespace weir::cdc
