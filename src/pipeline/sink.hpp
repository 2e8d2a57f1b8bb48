// What an output module implements: a sink that takes rows, inside a transaction when it has
// them. Everything around it — batching, one transaction per batch, setting rejected rows
// aside, replaying after a transient error, dead letters, the checkpoint and the input's
// acknowledgement — is the commit engine's (commit_engine.hpp), the same for every output.
//
// The engine calls a sink from one thread, in this order per batch:
//   begin()  write()…  commit()          a batch that went through
//   begin()  write()…  rollback()        a failed attempt; then reset_writes() and a replay
// with savepoints inside the transaction while it isolates rejected rows. A sink without
// transactions (a file, a queue: transactional() false) delivers what write() returned: the
// engine then writes the checkpoint only after commit() (its flush) returned, and a replay may
// deliver rows twice — at least once, never lost.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/module.hpp"
#include "weir/batch.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline {

// Row `row` of `rows` as a JSON object, its fields named `names` (the batch's own column names
// when null).
std::string row_json(const Batch& rows, std::size_t row, const std::vector<std::string>* names = nullptr);

class Sink {
 public:
  virtual ~Sink() = default;

  // Whether begin() … commit() is atomic and rollback() and savepoints undo writes.
  virtual bool transactional() const noexcept { return true; }

  // Opens the way to the target, once (the engine retries); throws Error, retryable when
  // worth trying again (db::worth_rerunning).
  virtual void connect() = 0;
  // Drops the way to the target after a failure: a connection is closed, never reused.
  virtual void disconnect() noexcept = 0;
  // False once the sink must connect() again (closed, or known broken).
  virtual bool usable() const noexcept = 0;
  // At the end of the pipeline, everything committed: done with the target (a pooled sink
  // gives its connection back to the pool, healthy, rather than closing it).
  virtual void release() noexcept { disconnect(); }
  // Told before each attempt the engine makes again under its retry policy (a pooled sink
  // counts it in its pool's metrics).
  virtual void retrying() noexcept {}
  // The database the transaction runs on, for what commits in it with the rows (checkpoint,
  // dead letters): null for a sink that is not a database.
  virtual db::Connection* connection() noexcept { return nullptr; }
  virtual const db::ConnectionConfig* connection_config() const noexcept { return nullptr; }

  // Once, with the first rows, before any write: resolves columns, creates the target.
  virtual void prepare(const Batch& first) { (void)first; }
  // The rows as the target takes them (a column mapping applied); valid until the next call.
  virtual const Batch& shape(const Batch& rows) { return rows; }
  // Whether what is pending must commit before `rows` are written (between two source
  // transactions only): sql_apply altering its target for a schema change.
  virtual bool commits_before(const Batch& rows) { (void)rows; return false; }
  // Whether `empty`, a batch without rows, is still to be written: a change stream's table
  // in a new shape no change followed yet (sql_apply alters its target for it). Others only
  // move the checkpoint on.
  virtual bool takes_shape(const Batch& empty) { (void)empty; return false; }
  // Before the batch is written again: drops what a failed attempt left buffered.
  virtual void reset_writes() {}

  virtual void begin() {}
  // Writes every row and says what became of them; a rejected row throws an Error whose kind
  // is a constraint or data (the engine then isolates it); nothing is counted for a throw.
  virtual db::WriteCounts write(const Batch& rows) = 0;
  virtual void commit() {}
  virtual void rollback() noexcept {}
  virtual void savepoint(std::string_view name) { (void)name; }
  virtual void release_savepoint(std::string_view name) { (void)name; }
  virtual void rollback_to_savepoint(std::string_view name) { (void)name; }

  // mode: replace: inside the run's transaction, before its rows. A sink that cannot replace
  // throws Error{config}.
  virtual void empty_target() { throw Error(ErrorKind::config, "this output cannot replace its target's rows"); }
  // Whether the target exists (one created on the first rows does not before them).
  virtual bool exists() { return true; }

  // The target table `rows` go to, for messages; target() unless it differs by batch (sql_apply).
  virtual std::string target_of(const Batch& rows) const {
    (void)rows;
    return target();
  }

  // One rejected row as a JSON object, named as the target names its fields.
  virtual std::string record_json(const Batch& rows, std::size_t row) const { return row_json(rows, row); }
  // A row's key in the target, for messages: `id=17`, `region="eu", id=4`; empty when the sink
  // knows no key.
  virtual std::string row_key(const Batch& rows, std::size_t row) const {
    (void)rows;
    (void)row;
    return {};
  }

  // For messages: what it writes to ("pipelines.p.output.sql_write writing to `t`"), where
  // (a connection's describe(), password masked), and the target's bare name.
  virtual std::string describe() const = 0;
  virtual std::string location() const = 0;
  virtual std::string target() const = 0;

  // See Output::identity, Output::writes_stdout and Output::probe.
  virtual Identity identity() const { return {}; }
  virtual bool writes_stdout() const noexcept { return false; }
  virtual void probe(const Schema* input) { (void)input; }
};

}  // namespace weir::pipeline
