#include "db/sqlite/connection.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.hpp"
#include "db/sqlite/batch_table.hpp"
#include "db/sqlite/bulk_writer.hpp"
#include "db/sqlite/cursor.hpp"
#include "db/sqlite/errors.hpp"
#include "db/sqlite/types.hpp"
#include "db/sqlite/wal_checkpointer.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::db::sqlite {
namespace {
constexpr std::size_t kMaxCachedStatements = 64;

void bind_all(sqlite3_stmt* stmt, std::span<const Value> params) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size())
    throw Error(ErrorKind::config, fmt::format("the statement has {} parameter placeholder(s) but {} value(s) were given",
                                               expected, params.size()));
  for (std::size_t i = 0; i < params.size(); ++i)
    bind_value(stmt, static_cast<int>(i + 1), params[i], false);
}
// What follows the first statement may be whitespace or comments, but no second statement.
bool has_more_statements(sqlite3* db, const char* tail, const char* end) {
  if (!tail || trim(std::string_view(tail, end - tail)).empty()) return false;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &raw, nullptr);
  StmtHandle next(raw);
  // A second statement that does not prepare (it names a table the first creates) is still
  // a second statement: running only the first would silently drop it.
  return rc != SQLITE_OK || next != nullptr;
}
}  // namespace

Statement::Statement(std::shared_ptr<StatementCache> cache, std::string sql, StmtHandle stmt)
    : cache_(std::move(cache)), sql_(std::move(sql)), stmt_(std::move(stmt)) {}

// Given back to the cache for the next user of the same SQL, unless the connection is gone:
// then stmt_ finalizes it, which lets sqlite3_close_v2 finish closing the database.
Statement::~Statement() {
  if (!stmt_ || !cache_->open) return;
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  if (cache_->statements.size() >= kMaxCachedStatements) cache_->statements.erase(cache_->statements.begin());
  cache_->statements.emplace(std::move(sql_), std::move(stmt_));
}

sqlite3_stmt* Statement::live() const {
  if (!cache_->open)
    throw Error(ErrorKind::internal, "a SQLite statement was used after its connection was closed");
  return stmt_.get();
}

bool Statement::step() {
  int rc = sqlite3_step(live());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(sqlite3_db_handle(stmt_.get()), rc, "running statement");
}

SqliteConnection::SqliteConnection(DbHandle db, std::string path)
    : db_(std::move(db)), path_(std::move(path)) {}

SqliteConnection::~SqliteConnection() {
  // A run that stopped on an error never reached its last make_durable().
  try {
    make_durable();
  } catch (const Error& e) {
    log::warn(fmt::format("SQLite: `{}`: {}", path_, e.what()));
  }
  checkpointer_.reset();  // it hooks into db_
  cache_->open = false;
  cache_->statements.clear();
}

Statement SqliteConnection::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = cache_->statements.find(key); it != cache_->statements.end()) {
    StmtHandle stmt = std::move(it->second);
    cache_->statements.erase(it);
    return Statement(cache_, std::move(key), std::move(stmt));
  }
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  StmtHandle stmt(raw);
  check(db_.get(), rc, "preparing statement");
  if (!stmt) throw Error(ErrorKind::syntax, "the statement is empty");
  if (has_more_statements(db_.get(), tail, sql.data() + sql.size()))
    throw Error(ErrorKind::syntax, "query() and execute() take one statement; use execute_script() for several");
  return Statement(cache_, std::move(key), std::move(stmt));
}

std::unique_ptr<Cursor> SqliteConnection::query(std::string_view sql, std::span<const Value> params) {
  Statement stmt = prepare(sql);
  bind_all(stmt.get(), params);
  return std::make_unique<SqliteCursor>(std::move(stmt));
}

std::uint64_t SqliteConnection::execute(std::string_view sql, std::span<const Value> params) {
  Statement stmt = prepare(sql);
  bind_all(stmt.get(), params);
  // sqlite3_changes() keeps the last DML's count across DDL; the total only moves for DML.
  sqlite3_int64 before = sqlite3_total_changes64(db_.get());
  while (stmt.step()) {
  }
  if (sqlite3_total_changes64(db_.get()) == before) return 0;
  return static_cast<std::uint64_t>(sqlite3_changes64(db_.get()));
}

void SqliteConnection::execute_script(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  std::unique_ptr<char, decltype(&sqlite3_free)> owned(message, &sqlite3_free);
  check(db_.get(), rc, "running script");
}

// IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
// writes can fail with SQLITE_BUSY in WAL mode however long the busy timeout is.
void SqliteConnection::begin() {
  // The level changes only between transactions (SQLite refuses it inside one). Deferring is
  // only allowed with the URL's default, FULL.
  if (defer_durability_ != commits_deferred_) {
    execute_script(defer_durability_ ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
    commits_deferred_ = defer_durability_;
    if (!ever_deferred_) synced_version_ = data_version();
    ever_deferred_ = true;
  }
  execute("BEGIN IMMEDIATE", {});
}
void SqliteConnection::commit() { execute("COMMIT", {}); }
void SqliteConnection::rollback() {
  if (in_transaction()) execute("ROLLBACK", {});
}
bool SqliteConnection::in_transaction() const noexcept { return !sqlite3_get_autocommit(db_.get()); }

// A WAL commit with synchronous=NORMAL has written its frames to the log without syncing it;
// FULL would have synced it at COMMIT. Syncing the log now, as FULL does, makes every commit
// so far durable: recovery replays each frame up to the last commit frame whose checksums hold.
void SqliteConnection::make_durable() {
  if (!ever_deferred_) return;
  const unsigned version = data_version();
  if (version == synced_version_) return;  // nothing committed since
  sqlite3_file* log = nullptr;
  int rc = sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);
  if (rc == SQLITE_OK && log && log->pMethods) rc = log->pMethods->xSync(log, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) throw_error(nullptr, rc, fmt::format("syncing the write-ahead log of `{}` to disk", path_));
  synced_version_ = version;
}

// Moves with every commit to the file, this connection's included.
unsigned SqliteConnection::data_version() {
  unsigned version = 0;
  sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_DATA_VERSION, &version);
  return version;
}

// A bulk writer's commits are large: their checkpoints run beside them (wal_checkpointer.hpp).
std::unique_ptr<BulkWriter> SqliteConnection::bulk_writer(const WriteSpec& spec) {
  if (!checkpointer_) checkpointer_ = WalCheckpointer::start(*this);
  return std::make_unique<SqliteBulkWriter>(*this, spec);
}

namespace {
void count_conflict(sqlite3_context* context, int, sqlite3_value** argv) {
  ++*static_cast<std::uint64_t*>(sqlite3_user_data(context));
  sqlite3_result_value(context, argv[0]);
}
}  // namespace

std::shared_ptr<std::uint64_t> SqliteConnection::conflict_counter() {
  if (conflicts_) return conflicts_;
  auto counter = std::make_shared<std::uint64_t>(0);
  // Not deterministic: evaluated on every call. Direct only: no trigger or view may call it.
  int rc = sqlite3_create_function_v2(db_.get(), "weir_conflict", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, counter.get(),
                                      &count_conflict, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_error(db_.get(), rc, "registering weir_conflict()");
  conflicts_ = std::move(counter);
  return conflicts_;
}

const std::string& SqliteConnection::batch_table(std::size_t width) {
  auto [it, added] = batch_tables_.try_emplace(width);
  if (added) {
    try {
      it->second = register_batch_table(db_.get(), width);
    } catch (...) {
      batch_tables_.erase(it);
      throw;
    }
  }
  return it->second;
}

std::string SqliteConnection::journal_mode() {
  auto cursor = query("PRAGMA journal_mode", {});
  Batch row;
  if (!cursor->next(row, 1) || row.empty()) return "";
  return to_lower(row.at(0, 0).to_text());
}

std::int64_t SqliteConnection::pragma_int(std::string_view pragma) {
  auto cursor = query(fmt::format("PRAGMA {}", pragma), {});
  Batch row;
  if (!cursor->next(row, 1) || row.empty() || row.at(0, 0).type() != Type::int64)
    throw Error(ErrorKind::internal, fmt::format("PRAGMA {} gave no integer", pragma));
  return row.at(0, 0).as_int();
}

std::vector<TableRef> SqliteConnection::list_tables() {
  std::vector<TableRef> tables;
  auto cursor = query(
      "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      {});
  Batch batch;
  while (cursor->next(batch, 256))
    for (std::size_t r = 0; r < batch.rows(); ++r) tables.push_back(TableRef{"", batch.at(r, 0).as_text()});
  return tables;
}

std::optional<TableInfo> SqliteConnection::describe_table(const TableRef& table) {
  std::vector<Value> params{Value(table.name), Value(table.schema.empty() ? "main" : table.schema)};
  auto cursor = query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1, ?2) ORDER BY cid", params);
  TableInfo info{table, {}, {}, std::nullopt};
  std::vector<std::pair<std::int64_t, std::string>> key;
  Batch batch;
  while (cursor->next(batch, 256)) {
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      Column c;
      c.name = batch.at(r, 0).as_text();
      describe_declared(batch.at(r, 1).as_text(), c);
      c.nullable = batch.at(r, 2).as_int() == 0;
      if (std::int64_t pk = batch.at(r, 3).as_int()) key.emplace_back(pk, c.name);
      info.columns.push_back(std::move(c));
    }
  }
  if (info.columns.empty()) return std::nullopt;
  std::sort(key.begin(), key.end());
  for (auto& [pos, name] : key) info.primary_key.push_back(std::move(name));
  return info;
}

void SqliteConnection::ping() {
  auto cursor = query("SELECT count(*) FROM sqlite_schema", {});
  Batch batch;
  cursor->next(batch, 1);
}

void SqliteConnection::cancel() noexcept { sqlite3_interrupt(db_.get()); }

}  // namespace weir::db::sqlite
