// sql_poll — reads rows with a SQL query: once, or on a cron schedule; everything each time
// (plain bulk mode) or only the rows after an incremental cursor, in keyset-paginated pages.
//
// With a cursor the position advances as pages are read and is persisted by the runtime
// after the output commits; a restart resumes from the last committed position. Each page is
// read on a connection leased from the run's pool for as long as its rows stream; a dropped
// connection is discarded and the page asked again on another (db::with_connection, under the
// `retry:` policy), so a source restart costs a retry, not the run.
#include <fmt/format.h>

#include <atomic>

#include "core/text.hpp"
#include "db/common/row_cells.hpp"
#include "modules/builtin.hpp"
#include "modules/input/keyset_cursor.hpp"
#include "modules/input/sql_poll_options.hpp"
#include "modules/retry_option.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/cron.hpp"
#include "pipeline/runner.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/retry.hpp"

namespace weir::modules {
namespace {

using SystemClock = std::chrono::system_clock;

// Values an input named in warnings at most; the rest are counted.
constexpr std::uint64_t kMaxNamedValues = 100;

std::int64_t epoch_micros(SystemClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

class SqlPoll final : public pipeline::Input {
 public:
  SqlPoll(const config::Section& section, const pipeline::ModuleContext& context)
      : connection_config_(context.connection(section, "connection")),
        pool_(context.pool(connection_config_)),
        path_(section.path()),
        query_(section.string("query")),
        page_size_(static_cast<std::size_t>(section.integer("page_size"))),  // its range: sql_poll_spec()
        retry_(read_retry_policy(section)),
        // `on_bad_value: null` is YAML's null, unless quoted: either way it asks for NULL.
        null_bad_values_(section.written_null("on_bad_value") || section.string("on_bad_value") == "null") {
    bool marked = query_.find(KeysetCursor::kMarker) != std::string::npos;
    if (section.has("cursor")) {
      if (!marked)
        throw Error(ErrorKind::config, fmt::format("{}: a query with a cursor must contain {{{{cursor}}}} where the "
                                                   "condition goes, e.g. `WHERE {{{{cursor}}}}`",
                                                   section.path_of("query")));
      config::Section c(section.node("cursor"), sql_poll_cursor_spec(), section.path_of("cursor"));
      try {
        for (const std::string& column : c.string_list("columns"))
        {
          cursor_columns_ += (cursor_columns_.empty() ? "" : ",") + column;
          cursor_names_.push_back(db::TableRef::parse(column).name);
        }
        std::vector<std::string> columns = c.string_list("columns");
        cursor_.emplace(columns, sql_poll_initial_values(c),
                        KeysetCursor::Options{.lag = c.duration("lag"), .time_zone = c.string("time_zone"),
                                              .horizon = c.boolean("horizon")});
        if (c.string("nulls") == "first") {
          if (columns.size() < 2)
            throw Error(ErrorKind::config, "nulls: first needs a second cursor column, unique among the rows whose "
                                           "first is NULL, to read them in order (e.g. [updated_at, id])");
          std::vector<std::string> rest(columns.begin() + 1, columns.end());
          null_cursor_.emplace(rest, std::vector<Value>{},
                               KeysetCursor::Options{.horizon = c.boolean("horizon"),
                                                     .where_null = db::TableRef::parse(columns[0])});
        }
      } catch (const Error& e) {
        throw Error(ErrorKind::config, fmt::format("{}: {}", c.path(), e.what()));
      }
    } else if (marked) {
      throw Error(ErrorKind::config,
                  fmt::format("{}: {{{{cursor}}}} needs a `cursor:` naming its columns", section.path_of("query")));
    }
    // validate() checked the expression (sql_poll_options.cpp) with every other option.
    if (section.has("schedule")) schedule_.emplace(pipeline::CronSchedule::parse(section.string("schedule")));
  }

  // With `nulls: first` the checkpoint holds both positions: the main cursor's, then the one
  // among the rows whose first column is NULL, each all NULLs while it has read no row.
  void restore(std::string_view checkpoint) override {
    if (!cursor_) return;  // bulk mode keeps no position
    try {
      std::vector<Value> position = pipeline::decode_position(checkpoint);
      const std::size_t columns = cursor_->column_count();
      if (null_cursor_ && position.size() == 2 * columns - 1) {
        null_cursor_->restore(unless_null(std::vector<Value>(position.begin() + columns, position.end())));
        position.resize(columns);
      }
      cursor_->restore(unless_null(std::move(position)));
    } catch (Error& e) {
      throw e.add_context(path_);
    }
  }

  void open(const pipeline::RunOptions& options) override {
    once_ = options.once || !schedule_;
    stop_ = options.stop;
    start_run();
  }

  bool read(Batch& out) override {
    for (;;) {
      if (!result_ && run_done_) {
        if (once_) return false;
        if (!wait_for_next_run()) {
          state_ = State::stopped_between_runs;
          return false;
        }
        state_ = State::reading;
      }
      if (stop_.stop_requested()) {
        state_ = State::interrupted;
        return false;
      }
      if (!result_) open_page();
      if (next_rows(out)) return true;
      end_page();
      if (cursor_ && reading_nulls_ && rows_in_page_ < page_size_) {
        reading_nulls_ = false;  // on to the rows with a first cursor column
        run_bounds_.reset();
        continue;
      }
      if (!cursor_ || rows_in_page_ < page_size_) {
        finish_run();
        state_ = State::run_ended;
        out.clear();
        if (!once_) return true;  // the run's end, told before waiting for the next one
      }
    }
  }

  State state() const noexcept override { return state_; }

  std::shared_ptr<const Schema> probe() override {
    try {
      db::Lease connection = pool_->acquire();
      std::unique_ptr<db::Cursor> result;
      if (!cursor_) {
        result = connection->query(fmt::format("SELECT * FROM ({}) weir_probe LIMIT 0", trim_statement_end(query_)));
        return result->schema();
      }
      auto columns = cursor_->columns_probe(query_);
      result = connection->query(columns.sql, columns.params);
      auto schema = result->schema();
      cursor_->check_columns(*schema);
      result.reset();
      auto page = cursor_->page(query_, connection->dialect(), 0, read_run_bounds(*connection));
      connection->query(page.sql, page.params);  // the statement as run, its bounds included
      return schema;
    } catch (Error& e) {
      throw e.add_context(fmt::format("{}: query on {}", path_, connection_config_.describe()));
    }
  }

  std::string checkpoint() const override {
    if (!cursor_) return "";
    if (!null_cursor_) return pipeline::encode_position(cursor_->position());
    std::vector<Value> both = cursor_->position();
    both.resize(cursor_->column_count());
    std::vector<Value> among_nulls = null_cursor_->position();
    among_nulls.resize(null_cursor_->column_count());
    both.insert(both.end(), among_nulls.begin(), among_nulls.end());
    return pipeline::encode_position(both);
  }
  std::uint64_t rows_skipped() const noexcept override { return rows_skipped_.load(); }
  std::uint64_t values_nulled() const noexcept override { return values_nulled_.load(); }
  // The row's cursor values, as a JSON object: `{"updated_at":"2026-12-06 10:00:00","id":17}`.
  std::string position_of(const Batch& rows, std::size_t row) const override {
    if (!cursor_) return {};
    std::vector<Value> values;
    for (const std::string& column : cursor_names_) {
      auto index = rows.schema().find(column);
      values.push_back(index ? rows.at(row, *index) : Value());
    }
    return cursor_json(values);
  }
  // The table keeps the rows: a lost commit is read again from the checkpoint.
  bool source_forgets_committed() const noexcept override { return false; }

  pipeline::Identity identity() const override {
    return {{"connection", connection_config_.identity()}, {"query", query_}, {"cursor", cursor_columns_}};
  }
  std::optional<std::string> incremental_option() const override {
    if (!cursor_) return std::nullopt;
    return path_ + ".cursor";
  }

  // How long ago the input last saw everything there was to read: the run that read to the
  // end began then (less the cursor's `lag`, rows it leaves for later). Nothing while the
  // first run is still catching up: the age of the rows being read says nothing about how
  // far behind the source the input is (a backfill of old rows is not "years behind").
  std::optional<double> lag_seconds() const override {
    std::int64_t seen = caught_up_micros_.load();
    if (seen == 0) return std::nullopt;
    return double(epoch_micros(SystemClock::now()) - seen) / 1e6;
  }

 private:
  // Sleeps until the schedule's next run; false when the pipeline is stopping meanwhile.
  bool wait_for_next_run() {
    auto due = schedule_->next_after(SystemClock::now());
    while (SystemClock::now() < due) {
      // In steps, so a change of the system clock meanwhile is noticed.
      auto step = std::min<SystemClock::duration>(due - SystemClock::now(), std::chrono::seconds(1));
      if (!sleep_unless_stopped(std::chrono::ceil<std::chrono::milliseconds>(step), stop_)) return false;
    }
    start_run();
    return true;
  }

  void start_run() {
    run_started_ = SystemClock::now();
    run_done_ = false;
    rows_in_run_ = 0;
    run_bounds_.reset();
    reading_nulls_ = null_cursor_.has_value();
    nulls_counted_ = false;
  }

  // The cursor the run reads with now: among the rows whose first cursor column is NULL
  // first (nulls: first), then the main one.
  KeysetCursor& reading() { return reading_nulls_ ? *null_cursor_ : *cursor_; }

  static std::vector<Value> unless_null(std::vector<Value> position) {
    for (const Value& v : position)
      if (!v.is_null()) return position;
    return {};
  }

  // Rows no cursor reads (a NULL where no cursor takes one), counted at each run's start so
  // that they are skipped in the open.
  void count_nulls(db::Connection& connection) {
    const KeysetCursor& counting = null_cursor_ ? *null_cursor_ : *cursor_;
    auto count = counting.null_count(query_, connection.dialect());
    Batch row;
    std::uint64_t n = 0;
    if (connection.query(count.sql, count.params)->next(row, 1) && !row.empty()) n = std::stoull(row.at(0, 0).to_text());
    nulls_counted_ = true;
    if (n == 0) return;
    rows_skipped_ += n;
    log::warn(fmt::format("{}.cursor: {} row(s) have a NULL cursor column ({}) and were skipped (`nulls: {}`)",
                             path_, n, cursor_columns_, null_cursor_ ? "first" : "skip"));
  }

  void finish_run() {
    run_done_ = true;
    auto held_back = cursor_ ? cursor_->lag() : std::chrono::milliseconds(0);
    caught_up_micros_ = epoch_micros(run_started_ - held_back);
  }

  // Runs the next page's query on a leased connection, kept while its rows stream.
  void open_page() {
    rows_in_page_ = 0;
    const std::string what = path_ + ": query", connection = connection_config_.describe();
    try {
      db::with_connection(
          *pool_, retry_,
          [&](db::Lease& lease) {
            if (cursor_ && cursor_->has_lag() && !lag_checked_) {
              check_lag(*lease);
              lag_checked_ = true;
            }
            if (cursor_ && !nulls_counted_) count_nulls(*lease);
            if (cursor_ && !run_bounds_) run_bounds_ = read_run_bounds(*lease);
            if (cursor_) {
              auto page = reading().page(query_, lease->dialect(), page_size_, *run_bounds_);
              result_ = lease->query_page(page.sql, page.params);
            } else {
              result_ = lease->query(query_);
            }
            lease_ = std::move(lease);
          },
          db::Idempotent::yes, logged_retries(what, connection, retry_, stop_));
    } catch (Error& e) {
      throw e.add_context(naming_connection(e, what, connection) + after_position());
    }
  }

  // Explains a lag on a column without times, which the database would only reject with
  // "invalid input syntax for type integer", and a time zone the database does not know.
  void check_lag(db::Connection& connection) {
    auto columns = cursor_->columns_probe(query_);
    cursor_->check_columns(*connection.query(columns.sql, columns.params)->schema());
    auto clock = cursor_->clock_probe(connection.dialect());
    Batch now;
    if (!connection.query(clock.sql, clock.params)->next(now, 1) || now.at(0, 0).is_null())
      throw Error(ErrorKind::config, fmt::format("{}.cursor.time_zone: the database does not know the time zone `{}`",
                                                 path_, cursor_->time_zone()));
  }

  // The horizon and the hold of the run beginning (keyset_cursor.hpp): read once per run, so
  // a transaction that ends meanwhile waits for the next run rather than moving the bound
  // between pages.
  KeysetCursor::RunBounds read_run_bounds(db::Connection& connection) {
    KeysetCursor::RunBounds bounds;
    const db::Dialect& dialect = connection.dialect();
    KeysetCursor& cursor = reading();
    if (!cursor.uses_horizon(dialect)) return bounds;
    Batch row;
    if (!connection.query(dialect.horizon_query())->next(row, 1) || row.empty())
      throw Error(ErrorKind::internal, "the transaction horizon query returned no row");
    bounds.horizon = row.at(0, 0).to_text();
    // No transaction since the horizon: no row waits (and a backfill skips a scan of its rows).
    if (!row.at(0, 1).as_bool()) return bounds;
    auto first = cursor.first_unsettled(query_, dialect, bounds.horizon);
    auto waiting = connection.query(first.sql, first.params);
    if (waiting->next(row, 1) && !row.empty()) bounds.hold = cursor.values_of(row, 0);
    return bounds;
  }

  // The page's rows are read: its connection goes back to the pool.
  void end_page() {
    result_.reset();
    lease_ = {};
  }

  // A value the cursor could not read is in the batch's last row, every other cell of it read
  // (db::read_row_cells): the error names the row by its cursor columns (a sync's primary key),
  // or without a cursor by its number among the rows of the run.
  void name_unreadable_row(Error& e, const Batch& out) {
    if (out.empty() || !db::unreadable_value(e)) return;
    if (!cursor_) {
      e.add_context(fmt::format("row {} of the run", rows_in_run_ + out.rows()));
      return;
    }
    std::vector<Value> key;
    try {
      key = cursor_->values_of(out, out.rows() - 1);
    } catch (const Error&) {
      return;  // the unreadable value is the key's own
    }
    std::string values;
    for (const Value& v : key) values += (values.empty() ? "" : ", ") + (v.is_null() ? "NULL" : v.to_text());
    e.add_context(fmt::format("the row ({})=({})", cursor_columns_, values));
  }

  bool next_rows(Batch& out) {
    for (;;) {
      try {
        if (!result_->next(out, page_size_)) return false;
        break;
      } catch (Error& e) {
        name_unreadable_row(e, out);
        if (null_bad_values_ && db::unreadable_value(e) && !out.empty()) {
          nulled(e);  // the row goes on with NULL; the cursor with the row after it
          break;
        }
        result_.reset();
        if (e.kind() == ErrorKind::connection) {
          lease_.discard();
          pool_->distrust_idle();
        }
        lease_ = {};
        // A page is asked again from the cursor; a bulk read that already passed rows on cannot
        // resume without repeating them.
        bool resumable = cursor_ || rows_in_run_ == 0;
        if (read_failures_++ == 0) first_read_failure_ = std::chrono::steady_clock::now();
        auto failing_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                 first_read_failure_);
        if (!db::worth_rerunning(e, true, db::Idempotent::yes) || !resumable ||
            !retry_.allows_another(read_failures_, failing_for))
          throw e.add_context(fmt::format("{}: reading from {}{}", path_, connection_config_.describe(),
                                          after_position()));
        pool_->count_retry();
        open_page();
      }
    }
    read_failures_ = 0;
    rows_in_page_ += out.rows();
    rows_in_run_ += out.rows();
    if (cursor_) {
      try {
        reading().advance(out);
      } catch (Error& e) {
        throw e.add_context(fmt::format("{}.cursor{}", path_, after_position()));
      }
    }
    return true;
  }

  // on_bad_value: null — the row's unreadable values read as NULL, named in a warning (while
  // fewer than kMaxNamedValues were) and counted.
  void nulled(const Error& e) {
    const std::uint64_t before = values_nulled_.fetch_add(db::unreadable_values(e));
    if (before < kMaxNamedValues)
      log::warn(fmt::format("{}: {}: NULL passed on instead (on_bad_value: null)", path_, e.what()));
    if (before < kMaxNamedValues && values_nulled_.load() >= kMaxNamedValues)
      log::warn(fmt::format("{}: {} values replaced by NULL so far; further ones are counted, not named", path_,
                            values_nulled_.load()));
  }

  // " after cursor position {"id":17}" (the last row read), or " from the cursor's start",
  // for messages; empty without a cursor.
  std::string after_position() const {
    if (!cursor_) return {};
    if (cursor_->position().empty()) return " from the cursor's start";
    return " after cursor position " + cursor_json(cursor_->position());
  }

  // The cursor columns' `values` as a JSON object.
  std::string cursor_json(const std::vector<Value>& values) const {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size() && i < cursor_names_.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, cursor_names_[i]);
      out += ':';
      values[i].append_json(out);
    }
    return out + "}";
  }

  db::ConnectionConfig connection_config_;
  std::shared_ptr<db::Pool> pool_;
  std::string path_;
  std::string query_;
  std::size_t page_size_;
  RetryPolicy retry_;
  std::optional<KeysetCursor> cursor_;
  std::optional<KeysetCursor> null_cursor_;  // nulls: first — over the other columns, where the first is NULL
  bool reading_nulls_ = false;               // the run reads with null_cursor_ still
  bool nulls_counted_ = false;               // this run counted the rows no cursor reads
  std::atomic<std::uint64_t> rows_skipped_{0};
  bool null_bad_values_ = false;  // on_bad_value: null
  std::atomic<std::uint64_t> values_nulled_{0};
  std::string cursor_columns_;  // as configured, comma-separated
  std::vector<std::string> cursor_names_;  // the columns of the result they are
  std::optional<pipeline::CronSchedule> schedule_;
  bool once_ = true;
  std::stop_token stop_;  // this run's (RunOptions::stop)
  State state_ = State::reading;
  bool run_done_ = false;
  SystemClock::time_point run_started_;
  db::Lease lease_;  // the page's connection, while result_ streams from it
  std::unique_ptr<db::Cursor> result_;
  std::size_t rows_in_page_ = 0;
  std::size_t rows_in_run_ = 0;
  int read_failures_ = 0;
  std::chrono::steady_clock::time_point first_read_failure_;
  bool lag_checked_ = false;
  std::optional<KeysetCursor::RunBounds> run_bounds_;  // of the run under way, once read
  std::atomic<std::int64_t> caught_up_micros_{0};  // microseconds since the epoch; 0: not yet
};

std::unique_ptr<pipeline::Input> make(const config::Section& section, const pipeline::ModuleContext& context) {
  return std::make_unique<SqlPoll>(section, context);
}

}  // namespace

pipeline::InputModule sql_poll_module() { return {"sql_poll", &sql_poll_spec, &make}; }

}  // namespace weir::modules
