// The contract between the pipeline runtime and its modules (inputs, filters, outputs).
//
// A module is a name, a config Spec and a factory. Factories run while the whole file is
// validated, before anything runs: they check what they can (connection names, option
// combinations) and throw Error{config}. open() is where connections are made.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config_spec.hpp"
#include "db/connections.hpp"
#include "weir/batch.hpp"
#include "weir/change.hpp"
#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {

// What a module may use while it is built and run.
class ModuleContext {
 public:
  // `unreadable`: connections defined in the file whose settings failed to read; their own
  // error is reported once, so references to them do not repeat it. `pools`: the run's
  // connection pools (a context of its own when null).
  ModuleContext(const db::Connections& connections, std::string pipeline, std::vector<std::string> unreadable = {},
                std::shared_ptr<db::Pools> pools = nullptr)
      : connections_(&connections),
        pipeline_(std::move(pipeline)),
        unreadable_(std::move(unreadable)),
        pools_(pools ? std::move(pools) : std::make_shared<db::Pools>()) {}

  const std::string& pipeline() const noexcept { return pipeline_; }
  // Relative file paths in the project file are relative to its folder (set by the loader).
  void set_base_dir(std::filesystem::path dir) { base_dir_ = std::move(dir); }
  std::string resolve_path(const std::string& path) const {
    return base_dir_.empty() ? path : (base_dir_ / path).lexically_normal().string();
  }
  // The connection named by option `field` of `section`; throws Error{config} naming the
  // YAML path and the closest configured name when there is none, or one with code
  // config::kReportedElsewhere when the connection is defined but failed to read.
  const db::ConnectionConfig& connection(const config::Section& section, std::string_view field) const;
  // The run's pool of `config`, the only way a module reaches its database: claimed once per
  // module that holds a lease of it (see db::Pools::claim). Connects only when leased from.
  std::shared_ptr<db::Pool> pool(const db::ConnectionConfig& config) const { return pools_->claim(config); }

 private:
  const db::Connections* connections_;
  std::string pipeline_;
  std::vector<std::string> unreadable_;
  std::shared_ptr<db::Pools> pools_;
  std::filesystem::path base_dir_;
};

// What a checkpoint depends on, as (part, value) pairs: an input's connection, query and
// cursor, an output's connection and table. A checkpoint is only used again by a pipeline
// whose parts are unchanged (state_store.hpp). Values carry no password.
using Identity = std::vector<std::pair<std::string, std::string>>;

// How this run goes, as the command line asked.
struct RunOptions {
  bool once = false;  // run scheduled inputs one time and stop
  // Requested to end this run, and only this one (the CLI does on SIGINT/SIGTERM): inputs stop
  // reading, outputs commit what they have, waits between retries end.
  std::stop_token stop{};
};

class Input {
 public:
  virtual ~Input() = default;
  // Resumes after `checkpoint` (what checkpoint() returned in an earlier run, as persisted
  // after the output committed). Called before open(), and only when there is one.
  virtual void restore(std::string_view checkpoint) = 0;
  virtual void open(const RunOptions& options) = 0;
  // Replaces `out` with the next rows; false when the input is done for this run (or the
  // pipeline is stopping). A scheduled input blocks here until its next run is due.
  virtual bool read(Batch& out) = 0;
  // The run reads no more from it: it ended, failed, was stopped or never began (locked out);
  // called once, after the last read() returned. An input that shares its source with other
  // runs (a sync's writers, sync/range_feed.hpp) tells them here when it leaves before the end.
  virtual void close() noexcept {}
  // Where the input stands after the last read(). A scheduled input ends each run with one
  // empty batch in state run_ended before it waits for its next run, so the output can close
  // the run (mode: replace commits there); a run-once input ends in run_ended with read()
  // false. A stop request leaves it interrupted (mid-run: rows were left unread) or
  // stopped_between_runs (a scheduled input waiting for its next run: nothing left unread).
  enum class State { reading, run_ended, interrupted, stopped_between_runs };
  virtual State state() const noexcept { return State::reading; }
  // The position just after the last row returned by read(), as opaque text; empty when the
  // input has no position (plain bulk mode).
  virtual std::string checkpoint() const = 0;
  // Told that the rows up to `checkpoint` (what checkpoint() returned after them; empty for
  // an input without positions) are committed in the target and the checkpoint persisted:
  // once per committed batch, in commit order, never for a batch rolled back. A CDC input
  // confirms its LSN here, a queue input acknowledges its messages. Called on the output's
  // thread while read() may be running: the input guards what the two share.
  virtual void committed(std::string_view checkpoint) { (void)checkpoint; }
  // Whether the source may forget rows once committed() told it of them (a CDC slot, a queue):
  // the target's commit is then made durable first (db::Connection::make_durable). An input
  // that reads again from its checkpoint, wherever that is kept, returns false.
  virtual bool source_forgets_committed() const noexcept { return true; }
  // Rows its source holds that the input leaves unread on purpose (sql_poll's rows with a NULL
  // cursor column), so far: counted as read and skipped (any thread may ask).
  virtual std::uint64_t rows_skipped() const noexcept { return 0; }
  // Values it could not read and passed on as NULL, each named in a warning (sql_poll's
  // on_bad_value: null), so far (any thread may ask).
  virtual std::uint64_t values_nulled() const noexcept { return 0; }
  // How far behind the source the input is reading, when it can tell (any thread may ask).
  virtual std::optional<double> lag_seconds() const { return std::nullopt; }
  // Whether the source had nothing more at hand when the last read() returned: a change
  // stream caught up with the server's WAL. The output commits what it holds at once then,
  // instead of waiting for its batch to fill or its interval (the latency of a steady stream).
  // An input that cannot tell returns false. Asked on the reading thread, after read().
  virtual bool caught_up() const noexcept { return false; }
  // What its checkpoints mean: the parts that, changed, make an old position meaningless.
  virtual Identity identity() const { return {}; }
  // The YAML path of the option that makes each run read only the rows earlier runs did not
  // (an incremental cursor); nullopt when every run reads everything.
  virtual std::optional<std::string> incremental_option() const { return std::nullopt; }
  // Prepares the query against the live database and returns the columns it yields, without
  // reading rows (`weir validate --check-sql`); null when the input cannot tell.
  virtual std::shared_ptr<const Schema> probe() { return nullptr; }
  // Where row `row` of `rows` (a batch read() returned) sits in the source, for its dead letter:
  // an incremental cursor's values, a change's commit LSN and index; empty when it cannot tell.
  // Any thread may ask, about a batch read() no longer fills.
  virtual std::string position_of(const Batch& rows, std::size_t row) const {
    const ChangePosition* change = rows.position(row);  // a change stream's: "16/B3748:3"
    return change ? to_string(*change) : std::string();
  }
  // The dead letter whose record row `row` of `rows` is, when the input replays dead letters
  // (`weir deadletters replay`); empty otherwise.
  virtual std::string replayed_letter(const Batch& rows, std::size_t row) const {
    (void)rows;
    (void)row;
    return {};
  }
};

// Where records that cannot be processed go, with why (see dead_letters.hpp for the table).
struct DeadLetter {
  std::string stage;       // YAML path of the module that gave up on the record
  ErrorKind kind;          // what went wrong (constraint, data, syntax …)
  std::string message;     // the error's one-line message (credentials already redacted)
  std::string record_json; // the record as a JSON object
  std::string code = {};   // the database's own code for the error (SQLSTATE, errno), when it gave one
  // The record as the input read it, before any mapping or enrichment: as a JSON object, and
  // its values with their types (checkpoint.hpp's encoding), which a replay reads back exactly.
  std::string original_json = {};
  std::string original_values = {};
  std::string position = {};  // where the record sits in the source (Input::position_of)
  std::string replaces = {};  // the id of the letter a replay gave up on again: it keeps that id
  // Set by the stage that gives up on the record, until the runtime fills the four fields
  // above: the batch the input read holding the record, and its row there.
  const Batch* origin = nullptr;
  std::size_t origin_row = 0;
};

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  virtual void add(DeadLetter letter) = 0;
  // Where record `row` of `rows` sits in the source (Input::position_of), for messages: `rows`
  // is the batch the stage was given (a filter's input; for an output, the batch as read).
  virtual std::string position_of(const Batch& rows, std::size_t row) const {
    (void)rows;
    (void)row;
    return {};
  }
};

// Turns one batch into another: enriches, drops or reroutes records. Runs on its own thread;
// one instance is used by one thread at a time.
class Filter {
 public:
  virtual ~Filter() = default;
  virtual void open(const RunOptions& options) = 0;
  // Replaces `out` with the processed records of `in` (out's schema may differ from in's).
  // Records given up on go to `dead` when the module's on_error says so.
  virtual void process(const Batch& in, Batch& out, DeadLetterSink& dead) = 0;
  // Checks the filter against the live databases and, when known, the input's columns
  // (`weir validate --check-sql`); returns the columns it outputs, null when unknown.
  virtual std::shared_ptr<const Schema> probe(const Schema* input) {
    (void)input;
    return nullptr;
  }
  // What the progress lines should say about the filter now ("serving stale rows …"), empty
  // for nothing; read by the progress thread while process() runs on another.
  virtual std::string progress_note() const { return {}; }
  // Which rows of the last process()'s `in` its `out` holds, in order; null when `out` holds
  // every row of `in` at the same index. Lets a dead letter find the record as it was read.
  virtual const std::vector<std::size_t>* kept_rows() const { return nullptr; }
};

// What an output does around each of its commits (state and dead letters live here).
// `target` is the database the output's transaction runs on; null when the output is not a
// database (a file, a queue), and then nothing can commit with its rows.
class CommitHooks {
 public:
  virtual ~CommitHooks() = default;
  // Once, before the output's first transaction: creates what will live in the target
  // database (state and dead-letter tables).
  virtual void prepare_target(db::Connection* target, const db::ConnectionConfig* target_config) = 0;
  // Inside the output's open transaction on `target`, just before COMMIT: what lives in that
  // same database is written here, atomically with the rows.
  virtual void before_commit(db::Connection* target, std::string_view checkpoint) = 0;
  // After COMMIT succeeded on `target`: what lives elsewhere is persisted now, then the input
  // hears that `checkpoint` is committed (Input::committed). Before anything outside `target`
  // learns of the commit, `target` is made durable (db::Connection::make_durable).
  virtual void after_commit(db::Connection* target, std::string_view checkpoint) = 0;
  // After a COMMIT whose answer was lost (the connection dropped): whether the batch ending at
  // `checkpoint` committed, read back from `target` (connected afresh); nullopt when that
  // cannot be told (the checkpoint lives elsewhere, or the batch did not move it).
  virtual std::optional<bool> landed(db::Connection* target, std::string_view checkpoint) {
    (void)target;
    (void)checkpoint;
    return std::nullopt;
  }
};

// Batches handed to an output with the input position just after their last row.
struct Chunk {
  std::unique_ptr<Batch> batch;
  std::string checkpoint;
  bool ends_run = false;  // the input read every row of its run (see Input::State)
  // The input had nothing more at hand after it (Input::caught_up): what is pending commits now.
  bool caught_up = false;
  // What the filters gave up on among this chunk's records: they commit with its rows, in
  // the output's batch that takes them, never with an earlier one.
  std::vector<DeadLetter> letters = {};
  // The batch as the input read it, when filters replaced `batch` (null: `batch` is it), and
  // for each row of `batch` its row there (empty: the same row): what dead letters keep.
  std::unique_ptr<Batch> source = {};
  std::vector<std::size_t> source_rows = {};
  const Batch& origin() const noexcept { return source ? *source : *batch; }
  std::size_t origin_row(std::size_t row) const noexcept { return source_rows.empty() ? row : source_rows[row]; }
};

class Output {
 public:
  virtual ~Output() = default;
  // `hooks` and `dead` outlive the output's use; `recycle` takes back batches once committed.
  virtual void open(const RunOptions& options, CommitHooks& hooks, DeadLetterSink& dead,
                    std::function<void(std::unique_ptr<Batch>)> recycle) = 0;
  // Takes a chunk (its letters go to the dead letters with its rows); commits whenever its
  // own batch size is reached.
  virtual void write(Chunk chunk) = 0;
  // Commits pending rows if the batch interval has passed (called when input is idle).
  virtual void flush_if_due() = 0;
  // At the end of the pipeline: commits everything pending — except what belongs to an input
  // run that never ended (no Chunk::ends_run), which an output committing per run rolls back.
  virtual void flush() = 0;
  // What became of the rows committed so far, each counted once (see db::WriteCounts); any
  // thread may ask.
  virtual db::WriteCounts write_counts() const = 0;
  std::uint64_t rows_written() const { return write_counts().written(); }
  // Rows sent to the dead-letter table instead of the target.
  virtual std::uint64_t rows_rejected() const noexcept = 0;
  // Where the rows a checkpoint covers went (see Input::identity).
  virtual Identity identity() const { return {}; }
  // Whether it writes to the process's standard output (jsonl's `path: "-"`): the run's own
  // messages then stay off it.
  virtual bool writes_stdout() const noexcept { return false; }
  // The YAML path of the option that makes each input run's rows replace everything the target
  // held (mode: replace); nullopt when rows are added to what is there.
  virtual std::optional<std::string> replacing_option() const { return std::nullopt; }
  // Checks the target against the live database and, when known, the columns it will get
  // (`weir validate --check-sql`). Throws Error naming what is missing.
  virtual void probe(const Schema* input) { (void)input; }
};

struct InputModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Input> (*make)(const config::Section& section, const ModuleContext& context);
};

struct FilterModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Filter> (*make)(const config::Section& section, const ModuleContext& context);
};

struct OutputModule {
  std::string_view name;
  const config::Spec& (*spec)();
  std::unique_ptr<Output> (*make)(const config::Section& section, const ModuleContext& context);
};

// Every module compiled in (modules/builtin.cpp).
std::span<const InputModule> input_modules();
std::span<const FilterModule> filter_modules();
std::span<const OutputModule> output_modules();

}  // namespace weir::pipeline
