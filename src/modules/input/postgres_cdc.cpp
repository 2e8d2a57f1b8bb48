// postgres_cdc — streams the committed changes of chosen tables from PostgreSQL's logical
// replication (pgoutput), in commit order, whole transactions at a time.
//
// The module turns configuration into calls on the library layer in cdc/: the replication
// connection, the pgoutput decoder, the batcher that cuts the stream into batches with their
// positions. What it adds is the slot's life: checked (and created, with the publication)
// before streaming, confirmed to the server only up to the end of a transaction the output
// committed (Input::committed), and a loud stop when the slot cannot resume where the saved
// position says.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <mutex>

#include "cdc/binary_mode.hpp"
#include "cdc/cdc_admin.hpp"
#include "cdc/change_batcher.hpp"
#include "cdc/replication_connection.hpp"
#include "cdc/snapshot.hpp"
#include "cdc/schema_ddl.hpp"
#include "cdc/schema_policy.hpp"
#include "cdc/stream_position.hpp"
#include "cdc/streamed_transactions.hpp"
#include "modules/builtin.hpp"
#include "modules/input/postgres_cdc_options.hpp"
#include "modules/retry_option.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::modules {
namespace {

using cdc::Lsn;

constexpr std::size_t kBatchRows = 5000;
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kSealAfter = std::chrono::milliseconds(50);
// What `binary: auto` chooses where every column allows binary: bench/pg_cdc_decode.sh measures
// both forms.
constexpr bool kBinaryFaster = true;
constexpr std::string_view kDefaultHeartbeat = "SELECT pg_logical_emit_message(false, 'weir_heartbeat', '')";

class PostgresCdc final : public pipeline::Input {
 public:
  PostgresCdc(const config::Section& section, const pipeline::ModuleContext& context)
      : connection_config_(context.connection(section, "connection")),
        path_(section.path()),
        slot_(section.string("slot")),
        publication_(section.string("publication")),
        status_interval_(section.duration("status_interval")),
        heartbeat_(section.has("heartbeat") ? section.duration("heartbeat") : std::chrono::milliseconds(0)),
        heartbeat_query_(section.has("heartbeat_query") ? section.string("heartbeat_query") : kDefaultHeartbeat),
        binary_(section.string("binary")),
        retry_(read_retry_policy(section)),
        snapshot_initial_(section.string("snapshot") == "initial"),
        snapshot_jobs_(static_cast<std::size_t>(section.integer("snapshot_jobs"))),
        schema_policy_(cdc::read_schema_policy(section)) {
    if (section.has("heartbeat_query") && !section.has("heartbeat"))
      throw Error(ErrorKind::config, fmt::format("{}: a heartbeat_query runs only with `heartbeat:` (an interval) set",
                                                 section.path_of("heartbeat_query")));
    if (connection_config_.url.scheme != "postgres")
      throw Error(ErrorKind::config,
                  fmt::format("{}: connection `{}` is a {}:// database; postgres_cdc reads PostgreSQL's logical "
                              "replication and needs a postgres:// connection",
                              section.path_of("connection"), section.string("connection"), connection_config_.url.scheme));
    for (const std::string& name : section.string_list("tables")) {
      db::TableRef table = db::TableRef::parse(name);
      if (table.schema.empty()) table.schema = "public";
      filter_.tables.emplace(table.schema, table.name);
      tables_.push_back(std::move(table));
    }
    filter_.operations = postgres_cdc_operations(section);
  }

  void restore(std::string_view checkpoint) override {
    try {
      resume_ = cdc::decode_position(checkpoint);
      if (resume_->snapshot) forget_cut_off_snapshot();
      saved_ = checkpoint;
    } catch (Error& e) {
      throw in_stage(e);
    }
  }

  void open(const pipeline::RunOptions& options) override {
    stop_ = options.stop;
    once_ = options.once;
    try {
      prepare_server();
      confirmed_ = resume_ ? resume_->resume_lsn() : 0;
      confirmable_ = confirmed_;
      if (!snapshot_) start_streaming_retried();
    } catch (Error& e) {
      throw in_stage(e);
    }
  }

  bool read(Batch& out) override {
    std::lock_guard lock(connection_mutex_);
    try {
      return next_batch(out);
    } catch (Error& e) {
      throw e.add_context(fmt::format("{}: slot `{}`", path_, slot_));
    }
  }

  State state() const noexcept override { return state_; }
  bool caught_up() const noexcept override { return caught_up_; }
  std::string checkpoint() const override { return checkpoint_; }

  // The output committed up to `checkpoint`: a whole transaction's end may now be confirmed.
  void committed(std::string_view checkpoint) override {
    if (checkpoint.empty()) return;
    cdc::StreamPosition position = cdc::decode_position(checkpoint);
    if (!position.end_lsn) return;  // part of a transaction: the server must send it again
    Lsn seen = confirmable_.load();
    while (seen < *position.end_lsn && !confirmable_.compare_exchange_weak(seen, *position.end_lsn)) {}
    if (finished_.load()) {  // read() will not run again: confirm from here
      std::lock_guard lock(connection_mutex_);
      if (replication_) send_status(false);
    }
  }

  pipeline::Identity identity() const override {
    return {{"connection", connection_config_.identity()}, {"slot", slot_}, {"publication", publication_}};
  }

 private:
  // `e` named by this stage's YAML path, once: a message may begin with an option's path already.
  Error& in_stage(Error& e) const {
    return std::string_view(e.what()).starts_with(path_) ? e : e.add_context(path_);
  }

  // What must hold before streaming: logical WAL, a role that may replicate, the tables, the
  // publication and the slot (created when missing), and a slot that can resume where the
  // saved position says.
  void prepare_server() {
    auto sql = db::connect(connection_config_);
    auto value = [&](std::string_view query, std::span<const Value> params = {}) {
      Batch rows;
      auto cursor = sql->query(query, params);
      cursor->next(rows, 1);
      return rows.empty() ? Value() : rows.at(0, 0);
    };
    std::string wal_level = value("SELECT current_setting('wal_level')").to_text();
    if (wal_level != "logical")
      throw Error(ErrorKind::config,
                  fmt::format("{} runs with wal_level = {}; change data capture needs wal_level = logical (set it in "
                              "postgresql.conf and restart the server)",
                              connection_config_.describe(), wal_level));
    if (!value("SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user").as_bool())
      throw Error(ErrorKind::config, fmt::format("role `{}` on {} may not replicate: ALTER ROLE {} REPLICATION",
                                                 connection_config_.url.user, connection_config_.describe(),
                                                 connection_config_.url.user));
    for (const db::TableRef& table : tables_) {
      Value qualified(table.to_string());
      if (value("SELECT to_regclass($1) IS NOT NULL", std::span(&qualified, 1)).as_bool()) continue;
      throw Error(ErrorKind::config, fmt::format("{}: table `{}` does not exist on {}", path_ + ".tables",
                                                 table.to_string(), connection_config_.describe()));
    }
    Value publication(publication_);
    if (value("SELECT count(*) FROM pg_publication WHERE pubname = $1", std::span(&publication, 1)).as_int() == 0)
      create_publication(*sql);
    else
      cdc::check_publication_covers(*sql, publication_, tables_, path_ + ".tables");
    binary_values_ = binary_wanted(*sql);
    std::unordered_map<cdc::Oid, std::string> names;
    Batch types;
    auto cursor = sql->query("SELECT oid::bigint, typname::text FROM pg_type");
    while (cursor->next(types, 4096))
      for (std::size_t r = 0; r < types.rows(); ++r)
        names.emplace(static_cast<cdc::Oid>(types.at(r, 0).as_int()), types.at(r, 1).as_text());
    batcher_.emplace(filter_, kBatchRows, resume_);
    batcher_->relations().set_type_names(std::move(names));
    batcher_->relations().set_policy(schema_policy_, filter_.tables);
    batcher_->relations().restore(saved_);
    batcher_->relations().set_existing_lookup([this](const std::string& schema, const std::string& table,
                                                     const std::string& column) {
      if (!catalog_connection_) catalog_connection_ = db::connect(connection_config_);
      return cdc::existing_value(*catalog_connection_, schema, table, column);
    });
    check_slot(*sql);
  }

  bool binary_wanted(db::Connection& sql) const {
    if (binary_ == "off" || (binary_ == "auto" && !kBinaryFaster)) return false;
    if (auto column = cdc::column_without_binary_reader(sql, publication_)) {
      log::info(fmt::format("{}: values stream as text: weir reads column {} in text form only", path_, *column));
      return false;
    }
    log::info(fmt::format("{}: values stream in binary form", path_));
    return true;
  }

  void create_publication(db::Connection& sql) {
    std::string target = cdc::create_marked_publication(sql, publication_, tables_);
    log::info(fmt::format("{}: created publication `{}` for {}", path_, publication_, target));
  }

  [[noreturn]] void slot_lost(std::string_view what) const {
    throw Error(ErrorKind::config,
                fmt::format("replication slot `{}` {}, but the saved position says changes up to {} were delivered "
                            "from it: the changes since cannot be read. Run again with --reset to start over from "
                            "the slot's position (changes in between are lost to the target)",
                            slot_, what, cdc::format_lsn(std::max(confirmed_, resume_ ? resume_->resume_lsn() : 0))));
  }

  bool slot_invalidated() const {
    Value slot(slot_);
    Batch rows;
    auto sql = db::connect(connection_config_);
    auto cursor = sql->query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND wal_status = 'lost'",
                             std::span(&slot, 1));
    return cursor->next(rows, 1) && !rows.empty();
  }

  void check_slot(db::Connection& sql) {
    Value slot(slot_);
    Batch rows;
    auto cursor = sql.query("SELECT plugin::text, confirmed_flush_lsn::text, coalesce(wal_status, ''), "
                            "database::text = current_database() FROM pg_replication_slots WHERE slot_name = $1",
                            std::span(&slot, 1));
    if (!cursor->next(rows, 1) || rows.empty()) {
      if (resume_) slot_lost("does not exist");
      return create_slot();
    }
    if (rows.at(0, 0).to_text() != "pgoutput")
      throw Error(ErrorKind::config, fmt::format("replication slot `{}` uses the plugin {}, not pgoutput: choose "
                                                 "another slot name",
                                                 slot_, rows.at(0, 0).to_text()));
    if (!rows.at(0, 3).as_bool())
      throw Error(ErrorKind::config, fmt::format("replication slot `{}` belongs to another database than {}", slot_,
                                                 connection_config_.describe()));
    if (snapshot_initial_ && !resume_) {
      cursor.reset();
      cdc::drop_slot_for_snapshot(sql, slot_);
      log::warn(fmt::format("{}: replication slot `{}` dropped to be created again with a snapshot ({})", path_, slot_,
                            snapshot_cut_off_ ? "the last run's snapshot did not finish" : "no position is saved"));
      return create_slot();
    }
    if (rows.at(0, 2).to_text() == "lost") {
      if (resume_) slot_lost("was invalidated (the server removed WAL it still needed: max_slot_wal_keep_size)");
      throw Error(ErrorKind::config, fmt::format("replication slot `{}` was invalidated (the server removed WAL it "
                                                 "still needed): drop it (SELECT pg_drop_replication_slot('{}')) "
                                                 "and run again",
                                                 slot_, slot_));
    }
    auto confirmed = cdc::parse_lsn(rows.at(0, 1).to_text());
    if (resume_ && confirmed && *confirmed > resume_->resume_lsn())
      slot_lost(fmt::format("has moved on to {}", cdc::format_lsn(*confirmed)));
  }

  // With `snapshot: initial` and no saved position, the slot comes with a snapshot that is
  // copied before the stream starts (cdc/snapshot.hpp).
  void create_slot() {
    if (snapshot_initial_ && !resume_) {
      snapshot_ = std::make_unique<cdc::InitialSnapshot>(
          cdc::SnapshotOptions{connection_config_, slot_, publication_, filter_, snapshot_jobs_, kBatchRows, path_},
          batcher_->relations());
      return;
    }
    cdc::ReplicationConnection(connection_config_).create_slot(slot_);
    log::info(fmt::format("{}: created replication slot `{}`", path_, slot_));
  }

  // A snapshot checkpoint: the last run was copying the tables when it stopped. Its rows came
  // from a snapshot that died with it, so the copy starts over (see docs/cdc.md).
  void forget_cut_off_snapshot() {
    if (!snapshot_initial_)
      throw Error(ErrorKind::config, "the saved position is of an initial snapshot that did not finish: set "
                                     "`snapshot: initial` to copy the tables again, or run with --reset to stream "
                                     "from the slot's position without them");
    resume_.reset();
    snapshot_cut_off_ = true;
  }

  // The snapshot's rows, then an empty batch whose checkpoint is the stream's start: saved only
  // once every row before it is committed, so a crash before it copies the tables again.
  bool copy_snapshot(Batch& out) {
    while (!stop_.stop_requested()) {
      if (snapshot_->next(out, kPoll)) {
        checkpoint_ = cdc::encode_position(
            {.commit_lsn = snapshot_->consistent_point(), .index = 0, .end_lsn = std::nullopt, .snapshot = true});
        return true;
      }
      if (!snapshot_->done()) continue;
      const Lsn start = snapshot_->consistent_point();
      snapshot_.reset();
      checkpoint_ = cdc::encode_position({.commit_lsn = start, .index = 0, .end_lsn = start});
      start_streaming();
      return true;
    }
    return finish(State::interrupted);
  }

  // Starts the stream where the server was last told weir stands (the saved position at first).
  void start_streaming() {
    replication_.emplace(connection_config_);
    cdc::SystemIdentity system = replication_->identify_system();
    if (caught_up_at_ == 0) caught_up_at_ = system.wal_position;
    try {
      replication_->start({.slot = slot_, .publication = publication_, .start = confirmed_, .binary = binary_values_});
    } catch (const Error& e) {
      // Gone or invalidated since the run began (dropped while its walsender was ended, or
      // past max_slot_wal_keep_size): as fatal as at the start, never retried as a lost connection.
      if (e.code() == "42704") slot_lost("does not exist");
      if (e.code() == "55000" && slot_invalidated())
        slot_lost("was invalidated (the server removed WAL it still needed: max_slot_wal_keep_size)");
      throw;
    }
    last_status_ = std::chrono::steady_clock::now();
    log::info(fmt::format("{}: streaming from slot `{}` (system {}, WAL at {})", path_, slot_, system.system_id,
                          cdc::format_lsn(system.wal_position)));
  }

  void send_status(bool reply) {
    confirmed_ = std::max(confirmed_, confirmable_.load());
    replication_->send_status(confirmed_, reply);
    last_status_ = std::chrono::steady_clock::now();
  }

  bool next_batch(Batch& out) {
    caught_up_ = false;
    if (snapshot_) return copy_snapshot(out);
    for (;;) {
      // Just after a keepalive, the stream is first asked whether it has more at hand: when it
      // has not, what is ready goes on marked as caught up.
      const bool settling = keepalive_seen_ && !done_ && !stop_.stop_requested();
      if (!settling && batcher_->next(out, checkpoint_)) return passed_on(out);
      if (!settling && std::exchange(mark_, false) && unmarked_rows_) return caught_up_marker(out);
      if (stop_.stop_requested() || done_) return finish(stop_.stop_requested() ? State::interrupted : State::run_ended);
      try {
        step();
      } catch (Error& e) {
        // A change that cannot be decoded or applied names where it stands in the stream.
        if (e.kind() == ErrorKind::data)
          throw e.add_context(batcher_->where(replication_ ? replication_->data_lsn() : 0));
        if (e.kind() != ErrorKind::connection || stop_.stop_requested()) throw;
        reconnect(e);
      }
    }
  }

  // The server restarted or the network failed: streaming starts again on a new connection,
  // with backoff (`retry:`), from the last transaction end the server was told of.
  void reconnect(const Error& lost) {
    log::warn(fmt::format("{}: slot `{}`: {}; connecting again", path_, slot_, lost.what()));
    replication_.reset();
    decoder_ = cdc::PgOutputDecoder();
    streams_.clear();
    batcher_->restart();
    keepalive_seen_ = mark_ = false;
    start_streaming_retried();
  }

  // 55006: the walsender of a broken connection, or of a run killed a moment ago, still holds
  // the slot until the server notices (a walsender busy decoding a large transaction notices
  // only when it next writes to its client, or at wal_sender_timeout).
  void start_streaming_retried() {
    auto transient = [](const Error& e) {
      return e.kind() == ErrorKind::connection || e.code() == "55006" ||
             db::worth_rerunning(e, false, db::Idempotent::yes);
    };
    retry_if(retry_, transient, [&] { start_streaming(); },
             logged_retries(fmt::format("{}: slot `{}`", path_, slot_), connection_config_.describe(), retry_, stop_));
  }

  // The last batch ready is marked caught up when the stream had nothing more at hand as it was
  // sealed (Input::caught_up: the output commits it at once).
  bool passed_on(const Batch& out) {
    caught_up_ = mark_ && !batcher_->has_ready();
    if (caught_up_) mark_ = false;
    if (!out.empty() || caught_up_) unmarked_rows_ = !caught_up_;
    return true;
  }

  // Caught up with nothing new to pass on, after rows that went on unmarked (a full batch, a
  // busy stream's seal): an empty batch saying so, which the runner folds into the chunk it
  // queued last when that one still waits.
  bool caught_up_marker(Batch& out) {
    out.clear();
    caught_up_ = true;
    unmarked_rows_ = false;
    return true;
  }

  // One message of the stream taken in (or a timeout), and the server told how far weir is.
  void step() {
    if (confirmable_.load() > confirmed_ ||
        std::chrono::steady_clock::now() - last_status_ >= status_interval_)
      send_status(false);
    // A committed streamed transaction goes to the output before the stream is read on.
    if (streams_.replaying()) return streams_.replay_next(*batcher_);
    auto received = replication_->receive(std::chrono::milliseconds(0));
    // A keepalive with nothing after it: the server has sent all the WAL there is (it sends one
    // as it starts waiting for more), so what is ready is everything for now.
    if (received == cdc::ReplicationConnection::Received::nothing && std::exchange(keepalive_seen_, false))
      return seal(true);
    if (received == cdc::ReplicationConnection::Received::nothing) received = replication_->receive(kPoll);
    switch (received) {
      case cdc::ReplicationConnection::Received::data: {
        keepalive_seen_ = false;
        cdc::MessageKind kind = decoder_.decode(replication_->data());
        if (!streams_.take(decoder_, kind, replication_->data())) batcher_->feed(decoder_, kind);
        // A stream that never catches up (a transaction begins before any keepalive): the
        // transactions committed before it go on kSealAfter after the last seal instead of
        // waiting for a full batch (the one just begun has no change yet to hold them back).
        if (kind == cdc::MessageKind::begin && std::chrono::steady_clock::now() - last_seal_ >= kSealAfter) seal(false);
        break;
      }
      case cdc::ReplicationConnection::Received::keepalive:
        if (replication_->reply_requested()) send_status(false);
        if (!streams_.open()) batcher_->idle_at(replication_->wal_end());
        seal(false);
        keepalive_seen_ = true;
        // --once: done when the server has sent everything up to where WAL stood at the start.
        // A streamed transaction still open then is left to the next run, which reads it again.
        if (once_ && !batcher_->in_transaction() && replication_->wal_end() >= caught_up_at_) done_ = true;
        break;
      case cdc::ReplicationConnection::Received::nothing:
        seal(true);  // quiet for kPoll
        if (once_) send_status(true);  // asks for a keepalive: how far the server has sent
        beat_if_due();
        break;
    }
  }

  void seal(bool caught_up) {
    batcher_->seal();
    last_seal_ = std::chrono::steady_clock::now();
    if (caught_up) mark_ = true;
  }

  // A heartbeat failing is logged, never fatal: the stream itself is fine.
  void beat_if_due() {
    auto now = std::chrono::steady_clock::now();
    if (heartbeat_.count() == 0 || batcher_->in_transaction() || now - last_heartbeat_ < heartbeat_) return;
    last_heartbeat_ = now;
    try {
      if (!heartbeat_connection_) heartbeat_connection_ = db::connect(connection_config_);
      heartbeat_connection_->execute(heartbeat_query_, {});
    } catch (const Error& e) {
      heartbeat_connection_.reset();
      log::warn(fmt::format("{}.heartbeat_query: {}", path_, e.what()));
    }
  }

  bool finish(State state) {
    state_ = state;
    finished_ = true;
    if (replication_) send_status(false);
    return false;
  }

  db::ConnectionConfig connection_config_;
  std::string path_;
  std::string slot_;
  std::string publication_;
  std::chrono::milliseconds status_interval_;
  std::chrono::milliseconds heartbeat_;
  std::string heartbeat_query_;
  std::string binary_;
  bool binary_values_ = false;
  RetryPolicy retry_;
  bool snapshot_initial_;
  std::size_t snapshot_jobs_;
  bool snapshot_cut_off_ = false;
  std::unique_ptr<cdc::InitialSnapshot> snapshot_;
  cdc::SchemaPolicy schema_policy_;
  std::string saved_;  // the checkpoint restored: its position and table shapes
  std::unique_ptr<db::Connection> catalog_connection_;  // asked what an added column's old rows hold
  std::unique_ptr<db::Connection> heartbeat_connection_;
  std::chrono::steady_clock::time_point last_heartbeat_;
  std::vector<db::TableRef> tables_;
  cdc::ChangeFilter filter_;
  std::optional<cdc::StreamPosition> resume_;
  std::stop_token stop_;
  bool once_ = false;
  bool done_ = false;
  State state_ = State::reading;

  std::mutex connection_mutex_;  // read() and, once it ended, committed() use the connection
  std::optional<cdc::ReplicationConnection> replication_;
  cdc::PgOutputDecoder decoder_;
  cdc::StreamedTransactions streams_;
  std::optional<cdc::ChangeBatcher> batcher_;
  std::string checkpoint_;
  Lsn caught_up_at_ = 0;
  Lsn confirmed_ = 0;                  // sent to the server
  std::atomic<Lsn> confirmable_{0};   // the end of the last transaction the output committed
  std::atomic<bool> finished_{false};
  std::chrono::steady_clock::time_point last_status_;
  std::chrono::steady_clock::time_point last_seal_;
  bool keepalive_seen_ = false;  // the last message was a keepalive: is the stream caught up?
  bool mark_ = false;            // sealed with nothing more at hand: the last batch ready is marked
  bool caught_up_ = false;       // what caught_up() says of the batch read() returned last
  bool unmarked_rows_ = false;   // rows went on since the last batch marked caught up
};

std::unique_ptr<pipeline::Input> make(const config::Section& section, const pipeline::ModuleContext& context) {
  return std::make_unique<PostgresCdc>(section, context);
}

}  // namespace

pipeline::InputModule postgres_cdc_module() { return {"postgres_cdc", &postgres_cdc_spec, &make}; }

}  // namespace weir::modules
