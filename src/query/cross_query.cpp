#include "query/cross_query.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>

#include "db/sqlite/connection.hpp"
#include "query/decimal_order.hpp"
#include "query/remote_traits.hpp"
#include "query/table_names.hpp"
#include "query/whole_statement.hpp"
#include "weir/log.hpp"
#include "weir/url.hpp"

namespace weir::query {
namespace {

using Clock = std::chrono::steady_clock;

// The rows of a statement run whole on its one database, under the names SQLite gives its
// columns and with booleans (a comparison in the select list) as SQLite's 0 and 1.
class WholeCursor final : public db::Cursor {
 public:
  // `names`, `typed`: per column of the statement as SQLite prepared it, its name and whether
  // it is a table's column (SQLite then gives its declared type: a boolean stays one).
  WholeCursor(std::unique_ptr<db::Cursor> inner, std::vector<std::string> names, std::vector<bool> typed,
              TableStats& stats, std::string context, RemoteSource& source)
      : inner_(std::move(inner)), names_(std::move(names)), typed_(std::move(typed)), stats_(&stats),
        context_(std::move(context)), source_(&source) {
    adopt_schema();
  }
  ~WholeCursor() override { source_->set_running(false); }
  const std::shared_ptr<const Schema>& schema() const noexcept override { return schema_; }

  bool next(Batch& out, std::size_t max_rows) override {
    auto start = Clock::now();
    bool more = false;
    try {
      more = inner_->next(read_, max_rows);
    } catch (Error& e) {
      throw e.add_context(context_);
    }
    stats_->time += Clock::now() - start;
    if (schema_->size() != inner_->schema()->size()) adopt_schema();  // known once the first rows came
    out.reset(schema_);
    if (!more) {
      source_->set_running(false);
      return false;
    }
    for (std::size_t r = 0; r < read_.rows(); ++r) {
      std::span<Value> cells = out.append_row();
      for (std::size_t c = 0; c < cells.size(); ++c) cells[c] = std::move(read_.at(r, c));
      for (std::size_t c : as_integer_)
        if (cells[c].type() == Type::boolean) cells[c] = Value(cells[c].as_bool() ? 1 : 0);
    }
    stats_->rows += out.rows();
    return true;
  }

 private:
  // The database's columns under SQLite's names, a computed boolean as an integer.
  void adopt_schema() {
    std::vector<Column> columns = inner_->schema()->columns();
    bool known = names_.size() == columns.size() && typed_.size() == columns.size();
    as_integer_.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (known) columns[i].name = names_[i];
      if (columns[i].type == Type::boolean && !(known && typed_[i])) {
        columns[i].type = Type::int64;
        as_integer_.push_back(i);
      }
    }
    schema_ = std::make_shared<const Schema>(std::move(columns));
  }

  std::unique_ptr<db::Cursor> inner_;
  std::vector<std::string> names_;
  std::vector<bool> typed_;
  std::shared_ptr<const Schema> schema_;
  TableStats* stats_;
  std::string context_;
  RemoteSource* source_;
  std::vector<std::size_t> as_integer_;  // booleans SQLite would give as 0 and 1 (a comparison)
  Batch read_;
};

// The statement's rows; once its deadline passed, any error (the cancelled remote query's, the
// interrupted SQLite's) is the timeout.
class DeadlineCursor final : public db::Cursor {
 public:
  DeadlineCursor(std::unique_ptr<db::Cursor> inner, const CrossQuery& query) : inner_(std::move(inner)), query_(&query) {}
  const std::shared_ptr<const Schema>& schema() const noexcept override { return inner_->schema(); }
  bool next(Batch& out, std::size_t max_rows) override {
    try {
      bool more = inner_->next(out, max_rows);
      if (!query_->timed_out()) return more;
    } catch (const Error&) {
      if (!query_->timed_out()) throw;
    }
    throw Error(ErrorKind::timeout, query_->timeout_message());
  }

 private:
  std::unique_ptr<db::Cursor> inner_;
  const CrossQuery* query_;
};

std::string duration_text(std::chrono::milliseconds d) {
  return d.count() % 1000 ? fmt::format("{}ms", d.count()) : fmt::format("{}s", d.count() / 1000);
}

// The connection's `query_timeout` (its section's, else its URL's), taken off the connection:
// across connections it bounds the whole statement, not each query sent.
std::chrono::milliseconds take_query_timeout(db::ConnectionConfig& config) {
  std::chrono::milliseconds timeout{0};
  std::optional<std::string_view> in_url = config.url.option("query_timeout");
  if (config.query_timeout) timeout = *config.query_timeout;
  else if (in_url) timeout = std::chrono::milliseconds(std::strtoll(std::string(*in_url).c_str(), nullptr, 10));
  if (in_url) config.query_timeout = std::chrono::milliseconds(0);  // the URL's, turned off
  else config.query_timeout.reset();
  return timeout;
}

bool is_lost_connection(ErrorKind kind) {
  return kind == ErrorKind::connection || kind == ErrorKind::auth || kind == ErrorKind::timeout ||
         kind == ErrorKind::cancelled;
}

std::string vtab_name(std::size_t index) { return fmt::format("weir_remote_{}", index + 1); }

// The byte in the original statement that byte `at` of the rewritten one came from.
std::size_t original_offset(std::size_t at, const std::vector<TableName>& names,
                            const std::vector<std::string>& replacements) {
  std::ptrdiff_t shift = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::size_t new_begin = names[i].begin + shift;
    std::size_t new_end = new_begin + replacements[i].size();
    if (at < new_begin) break;
    if (at < new_end) return names[i].begin;
    shift += static_cast<std::ptrdiff_t>(replacements[i].size()) - static_cast<std::ptrdiff_t>(names[i].end - names[i].begin);
  }
  return static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(at) - shift));
}

}  // namespace

bool CrossQuery::names_remote_tables(std::string_view sql, const Connections& connections) {
  return !find_remote_tables(sql, connections.exists).empty();
}

CrossQuery::CrossQuery(std::string sql, const Connections& connections, bool log_queries)
    : sql_(std::move(sql)), log_queries_(log_queries) {
  names_ = find_remote_tables(sql_, connections.exists);
  db::ConnectionConfig memory;
  memory.name = "weir query";
  memory.url = Url::parse("sqlite::memory:");
  engine_ = db::connect(memory);
  auto* sqlite = dynamic_cast<db::sqlite::SqliteConnection*>(engine_.get());
  if (!sqlite) throw Error(ErrorKind::internal, "the embedded database is not SQLite");
  register_decimal_functions(sqlite->handle());
  tables_.register_module(sqlite->handle());
  for (const TableName& name : names_) {
    auto it = std::find_if(sources_.begin(), sources_.end(), [&](const auto& s) { return s->name() == name.connection; });
    if (it == sources_.end()) {
      db::ConnectionConfig config = connections.resolve(name.connection);
      std::chrono::milliseconds timeout = take_query_timeout(config);
      if (timeout.count() > 0 && (timeout_.count() == 0 || timeout < timeout_)) {
        timeout_ = timeout;
        timeout_origin_ = fmt::format("query_timeout of `{}`", name.connection);
      }
      sources_.push_back(std::make_unique<RemoteSource>(name.connection, std::move(config)));
      if (log_queries) sources_.back()->keep_log(&sent_);
    }
    add_table(name);
  }
  for (const TableName& name : names_) {
    std::size_t index = 0;
    while (tables_.at(index).label != name.label()) ++index;
    replacements_.push_back(vtab_names_[index]);
  }
  std::size_t i = 0;
  rewritten_ = rewrite_tables(sql_, names_, [&](const TableName&) { return replacements_[i++]; });
  check_statement();
  plan_whole_statement();
}

void CrossQuery::plan_whole_statement() {
  if (sources_.size() != 1) return;
  std::vector<const std::vector<Column>*> columns;
  for (const TableName& name : names_)
    for (std::size_t t = 0; t < tables_.size(); ++t)
      if (tables_.at(t).label == name.label()) columns.push_back(&tables_.at(t).columns);
  WholeStatement whole = whole_statement(sql_, names_, columns, sources_.front()->connection().dialect());
  whole_sql_ = std::move(whole.sql);
  whole_note_ = std::move(whole.why_not);
}

std::optional<std::string> CrossQuery::runs_whole_on() const {
  if (!whole_sql_) return std::nullopt;
  return sources_.front()->name();
}

// Runs the statement on its one database; null when the database refuses it (then, back to the
// state before, it runs on SQLite): a statement the checks let through may still be one that
// PostgreSQL types otherwise (`id = 'x'` on an integer column).
std::unique_ptr<db::Cursor> CrossQuery::run_whole() {
  RemoteSource& source = *sources_.front();
  db::Connection& c = source.connection();
  std::string context = fmt::format("connection `{}`, running {}", source.name(), *whole_sql_);
  whole_stats_.name.clear();
  for (std::size_t t = 0; t < tables_.size(); ++t) whole_stats_.name += (t ? " + " : "") + tables_.at(t).label;
  if (log_queries_) sent_.push_back({source.name(), *whole_sql_, {}});
  log::debug(context);
  auto start = Clock::now();
  try {
    c.execute_script("SAVEPOINT weir_whole");
    source.set_running(true);
    auto cursor = c.query(*whole_sql_);
    whole_stats_.time += Clock::now() - start;
    ++whole_stats_.queries;
    ran_whole_ = true;
    return std::make_unique<WholeCursor>(std::move(cursor), result_names_, result_typed_, whole_stats_, context, source);
  } catch (Error& e) {
    source.set_running(false);
    if (is_lost_connection(e.kind())) throw e.add_context(context);
    log::debug(fmt::format("{}: {}; running it on SQLite instead", context, e.what()));
    c.execute_script("ROLLBACK TO SAVEPOINT weir_whole");
    whole_note_ = fmt::format("`{}` refused it ({})", source.name(), e.what());
    whole_sql_.reset();
    return nullptr;
  }
}

CrossQuery::~CrossQuery() { deadline_.reset(); }

void CrossQuery::add_table(const TableName& name) {
  for (std::size_t i = 0; i < tables_.size(); ++i)
    if (tables_.at(i).label == name.label()) return;
  RemoteSource& source = **std::find_if(sources_.begin(), sources_.end(),
                                        [&](const auto& s) { return s->name() == name.connection; });
  db::Connection& connection = source.connection();
  auto info = connection.describe_table(name.table);
  if (!info)
    throw Error(ErrorKind::config, fmt::format("connection `{}` has no table `{}` (column {})", name.connection,
                                               name.table.to_string(), name.begin + 1));
  auto table = std::make_unique<RemoteTable>();
  table->label = name.label();
  table->source = &source;
  table->ref = name.table;
  table->columns = info->columns;
  table->row_estimate = info->row_estimate;
  if (info->primary_key.size() == 1)
    for (std::size_t c = 0; c < info->columns.size(); ++c)
      if (info->columns[c].name == info->primary_key.front()) table->unique_column = static_cast<int>(c);
  table->traits = remote_traits(connection.dialect());
  table->stats.name = table->label;
  std::size_t index = tables_.add(std::move(table));
  const db::Dialect& sqlite = engine_->dialect();
  std::string vtab = sqlite.quote_identifier(vtab_name(index));
  engine_->execute_script(fmt::format("CREATE VIRTUAL TABLE temp.{} USING weir_remote({})", vtab, index));
  vtab_names_.push_back(vtab);
}

// Prepares the statement once to report bad SQL as bad input: one line naming the problem and
// where it is in the statement as the user wrote it.
void CrossQuery::check_statement() {
  sqlite3* db = dynamic_cast<db::sqlite::SqliteConnection&>(*engine_).handle();
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, rewritten_.c_str(), static_cast<int>(rewritten_.size()), &stmt, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    int offset = sqlite3_error_offset(db);
    std::string where;
    if (offset >= 0)
      where = fmt::format(" (column {})", original_offset(static_cast<std::size_t>(offset), names_, replacements_) + 1);
    throw Error(ErrorKind::config, fmt::format("the statement: {}{}", message, where));
  }
  if (!stmt) throw Error(ErrorKind::config, "the statement is empty");
  if (tail && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos)
    throw Error(ErrorKind::config, "give one statement at a time");
  if (!sqlite3_stmt_readonly(stmt)) throw Error(ErrorKind::config, "weir query across connections only reads: the statement would write");
  for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
    result_names_.emplace_back(sqlite3_column_name(stmt, c));
    result_typed_.push_back(sqlite3_column_decltype(stmt, c) != nullptr);
  }
}

std::unique_ptr<db::Cursor> CrossQuery::run() {
  // Cancelled between construction and now: a cancel request finds no remote query running.
  if (cancelled_.load()) throw Error(ErrorKind::cancelled, "the statement was cancelled before it ran");
  if (timeout_.count() > 0) deadline_ = std::make_unique<Deadline>(start_ + timeout_, [this] { expire(); });
  std::unique_ptr<db::Cursor> cursor;
  try {
    if (whole_sql_) cursor = run_whole();
    if (!cursor) cursor = engine_->query(rewritten_);
  } catch (const Error&) {
    if (!timed_out()) throw;
    throw Error(ErrorKind::timeout, timeout_message_);
  }
  return std::make_unique<DeadlineCursor>(std::move(cursor), *this);
}

void CrossQuery::set_timeout(std::chrono::milliseconds timeout, std::string origin) {
  timeout_ = timeout;
  timeout_origin_ = std::move(origin);
}

// On the deadline's thread: names the connections still running, then cancels them.
void CrossQuery::expire() noexcept {
  std::string running;
  for (const auto& source : sources_)
    if (source->running()) running += fmt::format("{}`{}`", running.empty() ? "" : ", ", source->name());
  timeout_message_ = fmt::format("the statement ran past its {} ({}): {}", timeout_origin_, duration_text(timeout_),
                                 running.empty() ? "stopped it" : "cancelled the queries still running on " + running);
  timed_out_.store(true);
  cancel();
}

void CrossQuery::cancel() noexcept {
  cancelled_.store(true);
  for (auto& source : sources_) source->cancel();
  sqlite3_interrupt(dynamic_cast<db::sqlite::SqliteConnection&>(*engine_).handle());
}

void CrossQuery::finish() {
  deadline_.reset();
  for (auto& source : sources_) source->finish();
}

std::vector<std::string> CrossQuery::plan() {
  if (ran_whole_) return {fmt::format("the whole statement runs on `{}`", sources_.front()->name())};
  std::vector<std::string> lines;
  auto cursor = engine_->query("EXPLAIN QUERY PLAN " + rewritten_);
  Batch batch;
  while (cursor->next(batch, 100))
    for (std::size_t r = 0; r < batch.rows(); ++r) lines.push_back(batch.at(r, batch.width() - 1).to_text());
  for (std::size_t i = 0; i < tables_.size(); ++i) lines.push_back(fmt::format("{} = {}", vtab_names_[i], tables_.at(i).label));
  if (!whole_note_.empty()) lines.push_back(fmt::format("not run whole on `{}`: {}", sources_.front()->name(), whole_note_));
  return lines;
}

std::vector<TableStats> CrossQuery::stats() const {
  if (ran_whole_) return {whole_stats_};
  std::vector<TableStats> out;
  for (std::size_t i = 0; i < tables_.size(); ++i) out.push_back(tables_.at(i).stats);
  return out;
}

}  // namespace weir::query
