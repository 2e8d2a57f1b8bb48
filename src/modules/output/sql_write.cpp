// sql_write — writes records into a table: insert, upsert, update or delete, in batches.
//
// Rows stream into one open transaction until `batch.rows` rows or `batch.interval` have
// passed, then commit together with the pipeline's checkpoint. The batch's rows are kept
// until then, so a failure costs a replay, never a row:
//   - a transient error (connection lost, deadlock) rolls back, reconnects and writes the
//     batch again, with backoff;
//   - a row the target rejects (constraint, bad value) rolls back, and the batch is written
//     again under savepoints in runs that shrink around the bad rows (write_isolating), which
//     go to the dead-letter table each with its own error; every good row commits. The first
//     such batch is logged once; later ones show in the progress lines' `rejected` count;
//   - anything else (unknown table, permission, a full disk) stops the pipeline with the error.
// Once the target committed, the batch is never written again: a checkpoint that cannot be
// saved elsewhere afterwards stops the pipeline too.
// `mode: replace` makes each run of the input one transaction on the target: its first
// statement deletes the table's rows, each batch is a savepoint within it (rejected rows are
// set aside under it as above), and it commits only once the input read every row of the run.
// A failed or interrupted run rolls back and the table keeps its old rows; a lost connection
// fails the run rather than replaying it, as earlier batches are no longer held.
// With `create_table: true` a missing table is created from the input's columns (types
// inferred from the first rows where the input cannot say).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>

#include "core/text.hpp"
#include "db/common/sql_writer.hpp"
#include "modules/builtin.hpp"
#include "modules/retry_option.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/retry.hpp"

namespace weir::modules {
namespace {

using config::Field;
using Clock = std::chrono::steady_clock;
// With `batch.rows` unset, how far a batch may grow past it while rows arrive quickly: a
// 1,000,000-row SQLite copy with 5000-row commits made 316 fdatasyncs, with 50,000-row ones 104
// (bench/sqlite_copy.sh); the rows are kept for a replay, so memory bounds the factor.
constexpr std::uint64_t kDefaultBatchGrowth = 10;
// The first run write_isolating tries: the whole chunk.
constexpr std::size_t kWholeChunk = std::numeric_limits<std::size_t>::max();

const config::Spec& batch_spec() {
  static const config::Spec s{
      "batch",
      "When to commit.",
      {
          Field{.name = "rows", .shapes = config::kInteger, .default_value = "5000",
                .description = "Commit after this many rows. Left unset, a batch that reaches 5000 rows "
                               "before `interval` has passed grows on until it has, up to 50000 rows: a "
                               "bulk copy commits (and waits for the disk) ten times less often.",
                .example = "10000", .minimum = 1, .maximum = 100'000'000},
          Field{.name = "interval", .shapes = config::kDuration, .default_value = "1s",
                .description = "Commit pending rows at least this often.", .example = "500ms"},
      }};
  return s;
}

const config::Spec& spec() {
  static const config::Spec s{
      "sql_write",
      "Writes records into a table with batched INSERT, upsert, UPDATE or DELETE, one transaction per batch.",
      {
          Field{.name = "connection", .required = true, .description = "Name of the connection to write to.",
                .example = "warehouse"},
          Field{.name = "table", .required = true,
                .description = "Target table, optionally schema-qualified; quoted by the database's rules.",
                .example = "orders_enriched"},
          Field{.name = "mode", .default_value = "insert",
                .choices = {"insert", "upsert", "update", "delete", "replace"},
                .description = "insert, upsert (insert or update on key), update (by key), delete (by key), or "
                               "replace: each run's rows replace the table's in one transaction, committed "
                               "only when the input read them all (not for an input with a cursor, which "
                               "reads only new rows).",
                .example = "upsert"},
          Field{.name = "key", .shapes = config::kStringList,
                .description = "Key columns (target names) for upsert, update and delete.", .example = "[id]"},
          Field{.name = "columns", .shapes = config::kString | config::kStringMap, .default_value = "all",
                .description = "`all` to write every input field to the column of the same name, or a map "
                               "of target column to input field.",
                .example = "{ id: id, total: amount }"},
          Field{.name = "batch", .shapes = config::kObject, .description = "When to commit.",
                .example = "{ rows: 5000, interval: 1s }", .nested = &batch_spec()},
          Field{.name = "create_table", .shapes = config::kBoolean, .default_value = "false",
                .description = "Create the table from the input's columns when it does not exist.",
                .example = "true"},
          retry_field(),
      }};
  return s;
}

constexpr std::string_view kBatchSavepoint = "weir_batch";  // a batch within a replacing run

db::WriteMode parse_mode(const std::string& mode) {
  if (mode == "upsert") return db::WriteMode::upsert;
  if (mode == "update") return db::WriteMode::update;
  if (mode == "delete") return db::WriteMode::remove;
  return db::WriteMode::insert;
}

// Errors that one row causes: the row is set aside and the others still commit.
bool is_row_error(const Error& e) { return is_constraint(e.kind()) || e.kind() == ErrorKind::data; }

// A column's type for CREATE TABLE: the input's, else the first non-null value's.
Type infer_type(const Batch& batch, std::size_t column) {
  if (Type t = batch.schema()[column].type; t != Type::null) return t;
  for (std::size_t r = 0; r < batch.rows(); ++r)
    if (!batch.at(r, column).is_null()) return batch.at(r, column).type();
  return Type::null;
}

class SqlWrite final : public pipeline::Output {
 public:
  SqlWrite(const config::Section& section, const pipeline::ModuleContext& context)
      : connection_config_(context.connection(section, "connection")),
        path_(section.path()),
        create_table_(section.boolean("create_table")),
        replace_(section.string("mode") == "replace"),
        retry_(read_retry_policy(section)) {
    spec_.table = db::TableRef::parse(section.string("table"));
    spec_.mode = parse_mode(section.string("mode"));
    spec_.key = section.string_list("key");
    if (spec_.mode != db::WriteMode::insert && !replace_ && spec_.key.empty())
      throw Error(ErrorKind::config, fmt::format("{}: mode {} needs `key`", section.path_of("key"),
                                                 section.string("mode")));
    for (const std::string& k : spec_.key) db::validate_identifier(k, "key column");
    if (section.node("columns").IsMap()) {
      for (auto& [target, source] : section.string_map("columns")) {
        db::validate_identifier(target, "column");
        mapping_.emplace_back(target, source);
      }
    } else if (section.string("columns") != "all") {
      throw Error(ErrorKind::config, fmt::format("{}: expected `all` or a map of column: field",
                                                 section.path_of("columns")));
    }
    config::Section batch(section.node("batch"), batch_spec(), section.path_of("batch"));
    batch_rows_ = static_cast<std::uint64_t>(batch.integer("rows"));  // at least 1: see batch_spec()
    batch_max_rows_ = batch.has("rows") ? batch_rows_ : batch_rows_ * kDefaultBatchGrowth;
    batch_interval_ = batch.duration("interval");
  }

  void open(const pipeline::RunOptions& options, pipeline::CommitHooks& hooks, pipeline::DeadLetterSink& dead,
            std::function<void(std::unique_ptr<Batch>)> recycle) override {
    stop_ = options.stop;
    hooks_ = &hooks;
    dead_ = &dead;
    recycle_ = std::move(recycle);
    // A target restarting as the run starts is waited out as one restarting mid-run is.
    try {
      connection_ = retry(retry_, [&] { return db::connect(connection_config_); },
                          logged_retries(failed_write(), connection_config_.describe(), retry_, stop_));
    } catch (Error& e) {
      throw e.add_context(naming_connection(e, failed_write(), connection_config_.describe()));
    }
    hooks_->prepare_target(*connection_, connection_config_);
  }

  void write(pipeline::Chunk chunk) override {
    if (!chunk.checkpoint.empty() && chunk.checkpoint != checkpoint_) {
      checkpoint_ = std::move(chunk.checkpoint);
      checkpoint_unsaved_ = true;
    }
    if (chunk.batch->empty()) {
      recycle_(std::move(chunk.batch));
    } else {
      if (!writer_) prepare(*chunk.batch);
      pending_rows_ += chunk.batch->rows();
      pending_.push_back(std::move(chunk.batch));
      if (streaming_) stream(*pending_.back());
      if (batch_full()) commit_batch();
    }
    if (chunk.ends_run && replace_) commit_run();
  }

  void flush_if_due() override {
    if ((pending_rows_ || (checkpoint_unsaved_ && !replace_)) && Clock::now() - batch_started_ >= batch_interval_)
      commit_batch();
  }

  // The end of the pipeline: everything pending commits — except a replacing run that did
  // not reach its end (commit_run() never saw it end), which rolls back.
  void flush() override {
    if (replace_) abandon_unfinished_run();
    else commit_batch();
  }

  db::WriteCounts write_counts() const override {
    std::lock_guard lock(counts_mutex_);
    return committed_;
  }
  std::uint64_t rows_rejected() const noexcept override { return rejected_; }

  pipeline::Identity identity() const override {
    return {{"connection", connection_config_.identity()}, {"table", spec_.table.to_string()}};
  }
  std::optional<std::string> replacing_option() const override {
    if (!replace_) return std::nullopt;
    return path_ + ".mode";
  }

  void probe(const Schema* input) override {
    auto connection = db::connect(connection_config_);
    auto table = connection->describe_table(spec_.table);
    std::string where = fmt::format("{}: table `{}` on {}", path_, spec_.table.to_string(), connection_config_.describe());
    std::vector<std::string> wanted;
    for (const auto& [target, source] : mapping_) {
      wanted.push_back(target);
      if (input) source_index(*input, target, source);
    }
    if (!table) {
      if (create_table_) return;
      throw Error(ErrorKind::config, fmt::format("{} does not exist (set create_table: true to create it)", where));
    }
    if (mapping_.empty() && input)
      for (const Column& c : input->columns()) wanted.push_back(c.name);
    wanted.insert(wanted.end(), spec_.key.begin(), spec_.key.end());
    for (const std::string& column : wanted) {
      bool found = false;
      for (const auto& c : table->columns) found = found || c.name == column;
      if (!found) throw Error(ErrorKind::config, fmt::format("{} has no column `{}`", where, column));
    }
  }

 private:
  // Commits the pending rows (mode: replace: settles them within the run's transaction).
  void commit_batch() {
    bool open = replace_ ? batch_open_ : connection_->in_transaction() || checkpoint_unsaved_;
    if (pending_.empty() && !open) return;
    if (!streaming_ || !commit_streamed()) replay_and_commit();
    // Outside the replays: what fails from here on must not write the committed batch again.
    if (!replace_) hooks_->after_commit(checkpoint_);
  }

  // Commits the rows streamed into the open batch; false when they must be replayed.
  bool commit_streamed() {
    try {
      open_batch();
      commit();
      return true;
    } catch (const Error& e) {
      set_aside_after(e);
      return false;
    }
  }

  // Starts the batch's transaction — for mode: replace, the batch's savepoint, in the run's
  // transaction, which starts by emptying the table.
  void open_batch() {
    if (replace_ ? batch_open_ : connection_->in_transaction()) return;
    if (!connection_->in_transaction()) {
      connection_->begin();
      if (replace_) connection_->execute(db::delete_all_sql(connection_->dialect(), spec_.table));
    }
    if (replace_) {
      connection_->savepoint(kBatchSavepoint);
      batch_open_ = true;
    }
    batch_started_ = Clock::now();
  }

  // mode: replace, at the end of the input's run: commits the run's rows with its dead
  // letters and checkpoint. A run without rows empties the table.
  void commit_run() {
    commit_batch();
    try {
      if (!connection_->in_transaction()) {
        if (!writer_ && !connection_->describe_table(spec_.table)) return;  // nothing to replace
        open_batch();
        commit();
      }
      hooks_->before_commit(*connection_, connection_config_, checkpoint_);
      connection_->commit();
    } catch (Error& e) {
      rollback_quietly();
      throw note_if_full(e).add_context(fmt::format("{} replacing the rows of `{}` (rolled back: it keeps its old rows)",
                                                    path_, spec_.table.to_string()));
    }
    hooks_->after_commit(checkpoint_);  // committed: its failure names the state store, not the rollback
    checkpoint_unsaved_ = false;
    add_committed(std::exchange(run_counts_, {}));
    rejected_ += std::exchange(run_rejected_, 0);
  }

  // mode: replace, at the end of the pipeline: a run still open did not read all its rows
  // (stopped, or its input failed), so it rolls back.
  void abandon_unfinished_run() {
    if (!connection_ || !connection_->in_transaction()) return;
    rollback_quietly();
    log::warn(fmt::format("{}: the run ended before reading all its rows; rolled back, `{}` keeps its old rows",
                          path_, spec_.table.to_string()));
  }

  // Each commit waits for the disk (fsync): with `rows` unset, rows arriving faster than
  // `rows` per `interval` (a bulk copy) fill larger transactions, up to batch_max_rows_.
  bool batch_full() const {
    if (pending_rows_ >= batch_max_rows_) return true;
    return pending_rows_ >= batch_rows_ && Clock::now() - batch_started_ >= batch_interval_;
  }

  // The fast path: rows go to the target as they arrive, into the batch's transaction.
  void stream(const Batch& batch) {
    try {
      open_batch();
      pending_counts_ += writer_->write(identity_ ? batch : project(batch));
    } catch (const Error& e) {
      set_aside_after(e);
    }
  }

  // After a failed write or commit: roll back and leave the batch to replay_and_commit(), or
  // stop the pipeline when no replay can help.
  void set_aside_after(const Error& e) {
    bool row_error = is_row_error(e);
    // A replacing run's earlier batches are in its transaction only: only the batch's own
    // savepoint can be rolled back and written again.
    bool batch_only = replace_ && row_error && batch_open_;
    if (batch_only) connection_->rollback_to_savepoint(kBatchSavepoint);
    else rollback_quietly();
    pending_counts_ = {};
    bool replayable = replace_ ? batch_only : row_error || worth_rerunning_idempotent(e);
    if (!replayable) {
      Error stop(e);
      throw note_if_full(stop).add_context(failed_write());
    }
    if (!row_error) {
      log::warn(fmt::format("{}: {}; writing the batch again", path_, e.what()));
    } else if (!rejections_logged_) {
      // A rerun into a table that holds the rows rejects every batch: one line says what
      // happens, the progress lines and the summary count the rows.
      rejections_logged_ = true;
      log::warn(fmt::format("{}: the target rejected a row ({}); writing the batch again around the rejected rows, "
                            "which go to the dead letters with their errors (this and later batches' rejections "
                            "are counted in the progress lines and the summary)",
                            path_, e.what()));
    } else {
      log::debug(fmt::format("{}: {}; writing the batch again around the rejected rows", path_, e.what()));
    }
    streaming_ = false;
    if (batch_started_ == Clock::time_point{}) batch_started_ = Clock::now();
  }

  // Writes the kept rows again in a fresh transaction, setting rejected rows aside, and
  // commits; transient failures start it over after a backoff.
  void replay_and_commit() {
    try {
      if (replace_) return replay_once();  // the batch's savepoint was rolled back, not the run
      // The whole transaction was rolled back, so a replay is safe even when the connection
      // dropped while the rows were on the wire.
      retry_if(retry_, worth_rerunning_idempotent, [&] { replay_once(); },
               logged_retries(failed_write(), connection_config_.describe(), retry_, stop_));
    } catch (Error& e) {
      throw e.add_context(naming_connection(e, failed_write(), connection_config_.describe()));
    }
  }

  void replay_once() {
    std::vector<pipeline::DeadLetter> letters;
    rejected_in_batch_ = 0;
    pending_counts_ = {};
    try {
      if (!replace_ && (!connection_ || connection_->broken())) reconnect();
      writer_ = connection_->bulk_writer(spec_);
      if (!replace_) connection_->begin();
      std::size_t run = kWholeChunk;
      for (const auto& batch : pending_) {
        const Batch& rows = identity_ ? *batch : project(*batch);
        write_isolating(rows, run, letters);
      }
      // A replay after a failed commit finds the same rows again: the sink already holds
      // the letters the earlier attempt gave it.
      for (std::size_t i = letters_in_sink_; i < letters.size(); ++i) dead_->add(std::move(letters[i]));
      letters_in_sink_ = std::max(letters_in_sink_, letters.size());
      rejected_in_batch_ = letters.size();
      commit();
    } catch (Error& e) {
      rollback_quietly();
      if (!replace_ && worth_rerunning_idempotent(e)) disconnect();  // whatever state it is in, start afresh
      note_if_full(e);
      throw;
    }
  }

  // A full target is not retried (ErrorKind::storage): the message says what helps.
  Error& note_if_full(Error& e) const {
    if (e.kind() == ErrorKind::storage)
      e.add_context(fmt::format("{} is full: free space and run again; nothing of the failed batch was committed",
                                connection_config_.describe()));
    return e;
  }

  // Writes `rows` in runs under a savepoint, each rejected row becoming a dead letter. A run
  // that succeeds doubles the next one; a rejected run is rolled back and halved, down to the
  // one bad row. So a batch with a few bad rows costs a few dozen writes, and one where every
  // row is bad one single-row write per row: the savepoint stays set across rejected rows,
  // and the writer stays usable after a failed write (BulkWriter's contract). `run` carries
  // the size reached over to the batch's next chunk.
  void write_isolating(const Batch& rows, std::size_t& run, std::vector<pipeline::DeadLetter>& letters) {
    bool savepoint_set = false;
    for (std::size_t at = 0; at < rows.rows();) {
      const std::size_t n = std::min(run, rows.rows() - at);
      if (!savepoint_set) connection_->savepoint("weir_rows");
      savepoint_set = true;
      try {
        pending_counts_ += writer_->write(slice_of(rows, at, at + n));
      } catch (const Error& e) {
        if (!is_row_error(e)) throw;
        connection_->rollback_to_savepoint("weir_rows");
        if (n == 1) letters.push_back(letter_for(rows, at++, e));
        run = std::max<std::size_t>(1, n / 2);
        continue;
      }
      connection_->release_savepoint("weir_rows");
      savepoint_set = false;
      at += n;
      run = n < kWholeChunk / 2 ? n * 2 : kWholeChunk;
    }
    if (savepoint_set) connection_->release_savepoint("weir_rows");
  }

  const Batch& slice_of(const Batch& rows, std::size_t begin, std::size_t end) {
    if (begin == 0 && end == rows.rows()) return rows;
    slice_.reset(rows.schema_ptr());
    for (std::size_t r = begin; r < end; ++r) slice_.append_row(rows.row(r));
    return slice_;
  }

  pipeline::DeadLetter letter_for(const Batch& rows, std::size_t row, const Error& e) const {
    std::string json = "{";
    for (std::size_t c = 0; c < rows.width(); ++c) {
      if (c) json += ',';
      append_json_string(json, spec_.columns[c]);  // the target's names: what was rejected
      json += ':';
      rows.at(row, c).append_json(json);
    }
    json += '}';
    return {path_, e.kind(), e.what(), std::move(json)};
  }

  // Commits the open transaction with the checkpoint and dead letters, then hands the kept
  // batches back. The caller persists what lives elsewhere (after_commit) once it returns.
  void commit() {
    if (replace_) {  // commit_run() commits the run, its letters and checkpoint
      connection_->release_savepoint(kBatchSavepoint);
      batch_open_ = false;
      run_counts_ += pending_counts_;
      run_rejected_ += rejected_in_batch_;
    } else {
      hooks_->before_commit(*connection_, connection_config_, checkpoint_);
      connection_->commit();
      checkpoint_unsaved_ = false;
      add_committed(pending_counts_);
      rejected_ += rejected_in_batch_;
    }
    pending_counts_ = {};
    rejected_in_batch_ = 0;
    letters_in_sink_ = 0;
    pending_rows_ = 0;
    for (auto& batch : pending_) recycle_(std::move(batch));
    pending_.clear();
    streaming_ = true;
    batch_started_ = {};
  }

  std::string failed_write() const {
    return fmt::format("{} writing to `{}`{}", path_, spec_.table.to_string(),
                       replace_ ? " (mode: replace: the run is rolled back, the table keeps its old rows)" : "");
  }

  void add_committed(const db::WriteCounts& counts) {
    std::lock_guard lock(counts_mutex_);
    committed_ += counts;
  }

  void reconnect() {
    disconnect();
    connection_ = db::connect(connection_config_);
  }

  // The writer first: it holds statements of the connection.
  void disconnect() noexcept {
    writer_.reset();
    connection_.reset();
  }

  void rollback_quietly() noexcept {
    batch_open_ = false;
    run_counts_ = {};
    run_rejected_ = 0;
    try {
      if (connection_ && connection_->in_transaction()) connection_->rollback();
    } catch (...) {
    }
  }

  // Resolves the column mapping against the first batch's schema, creates the table if
  // asked, and makes the bulk writer.
  void prepare(const Batch& first) {
    const Schema& input = first.schema();
    std::vector<Column> columns;
    if (mapping_.empty()) {
      for (std::size_t i = 0; i < input.size(); ++i) {
        db::validate_identifier(input[i].name, "column");
        sources_.push_back(i);
      }
    } else {
      for (const auto& [target, source] : mapping_) sources_.push_back(source_index(input, target, source));
    }
    identity_ = sources_.size() == input.size();
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      identity_ = identity_ && sources_[i] == i;
      Column c = input[sources_[i]];
      c.name = mapping_.empty() ? c.name : mapping_[i].first;
      c.type = infer_type(first, sources_[i]);
      spec_.columns.push_back(c.name);
      columns.push_back(std::move(c));
    }
    // The source's primary key is kept only whole: a part of it need not be unique.
    auto key_columns = [](const std::vector<Column>& cs) {
      return std::count_if(cs.begin(), cs.end(), [](const Column& c) { return c.primary_key; });
    };
    if (key_columns(columns) != key_columns(input.columns()))
      for (Column& c : columns) c.primary_key = false;
    projected_schema_ = std::make_shared<const Schema>(std::move(columns));
    if (create_table_ && !connection_->describe_table(spec_.table))
      connection_->execute(db::create_table_sql(connection_->dialect(), spec_.table, *projected_schema_, spec_.key));
    writer_ = connection_->bulk_writer(spec_);
  }

  // Where the input field that `columns.<target>` maps from sits; throws Error{config} naming
  // the YAML path and the closest field.
  std::size_t source_index(const Schema& input, const std::string& target, const std::string& source) const {
    if (auto index = input.find(source)) return *index;
    std::vector<std::string_view> names;
    for (const Column& c : input.columns()) names.push_back(c.name);
    throw Error(ErrorKind::config, fmt::format("{}.columns.{}: the input has no field `{}`{}", path_, target, source,
                                               did_you_mean(source, names)));
  }

  const Batch& project(const Batch& batch) {
    scratch_.reset(projected_schema_);
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      std::span<Value> row = scratch_.append_row();
      for (std::size_t c = 0; c < sources_.size(); ++c) row[c] = batch.at(r, sources_[c]);
    }
    return scratch_;
  }

  db::ConnectionConfig connection_config_;
  std::string path_;
  bool create_table_;
  bool replace_;                // mode: replace (written as inserts, one transaction per run)
  RetryPolicy retry_;
  std::stop_token stop_;  // this run's (RunOptions::stop): ends the waits between retries
  db::WriteSpec spec_;
  std::vector<std::pair<std::string, std::string>> mapping_;  // target column → input field
  std::vector<std::size_t> sources_;                          // input index per target column
  bool identity_ = false;
  std::shared_ptr<const Schema> projected_schema_;
  Batch scratch_;
  std::uint64_t batch_rows_ = 5000;
  std::uint64_t batch_max_rows_ = 5000;  // batch_rows_ when set, else the most it grows to
  std::chrono::milliseconds batch_interval_{1000};
  pipeline::CommitHooks* hooks_ = nullptr;
  pipeline::DeadLetterSink* dead_ = nullptr;
  std::function<void(std::unique_ptr<Batch>)> recycle_;
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<db::BulkWriter> writer_;
  Clock::time_point batch_started_{};
  std::vector<std::unique_ptr<Batch>> pending_;  // this transaction's rows, kept for a replay
  std::uint64_t pending_rows_ = 0;
  std::string checkpoint_;                       // the input position after the pending rows
  bool checkpoint_unsaved_ = false;
  bool streaming_ = true;                        // false once the batch must be replayed
  std::size_t rejected_in_batch_ = 0;             // rows of the pending ones set aside
  std::size_t letters_in_sink_ = 0;               // of those, already handed to the sink
  bool batch_open_ = false;                       // mode: replace: the batch's savepoint is set
  db::WriteCounts run_counts_;                     // mode: replace: settled, not yet committed
  std::uint64_t run_rejected_ = 0;                // likewise
  bool rejections_logged_ = false;                 // the first rejected batch was logged
  Batch slice_;
  db::WriteCounts pending_counts_;               // what the pending rows did, once committed
  mutable std::mutex counts_mutex_;              // the progress thread reads committed_
  db::WriteCounts committed_;
  std::atomic<std::uint64_t> rejected_{0};
};

std::unique_ptr<pipeline::Output> make(const config::Section& section, const pipeline::ModuleContext& context) {
  return std::make_unique<SqlWrite>(section, context);
}

}  // namespace

pipeline::OutputModule sql_write_module() { return {"sql_write", &spec, &make}; }

}  // namespace weir::modules
