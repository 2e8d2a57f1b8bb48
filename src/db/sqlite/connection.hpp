// SQLite connection: one sqlite3 handle, a cache of prepared statements, WAL and a busy
// timeout by default.
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "db/sqlite/dialect.hpp"
#include "weir/db/driver.hpp"

namespace weir::db::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A connection's prepared statements, owned jointly by the connection and every Statement it
// lends: a statement that outlives its connection (a cursor or bulk writer kept past an error
// path that dropped the connection) finds the cache closed and finalizes itself, rather than
// returning to freed memory. The sqlite3 handle is closed with sqlite3_close_v2, which waits
// for such statements before freeing the database.
struct StatementCache {
  std::unordered_multimap<std::string, StmtHandle> statements;
  bool open = true;
};

// A prepared statement borrowed from the connection's cache; given back (reset, bindings
// cleared) when destroyed, so the next user of the same SQL skips preparing it.
class WalCheckpointer;

class Statement {
 public:
  Statement(std::shared_ptr<StatementCache> cache, std::string sql, StmtHandle stmt);
  ~Statement();
  Statement(Statement&&) = default;
  Statement& operator=(Statement&&) = delete;

  sqlite3_stmt* get() const noexcept { return stmt_.get(); }
  // The statement, ready to bind and step; throws Error{internal} once its connection is closed.
  sqlite3_stmt* live() const;
  const std::string& sql() const noexcept { return sql_; }
  // Steps once; returns true for a row, false when done; throws on error.
  bool step();

 private:
  std::shared_ptr<StatementCache> cache_;
  std::string sql_;
  StmtHandle stmt_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(DbHandle db, std::string path);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const Dialect& dialect() const noexcept override { return dialect_; }
  std::unique_ptr<Cursor> query(std::string_view sql, std::span<const Value> params) override;
  std::uint64_t execute(std::string_view sql, std::span<const Value> params) override;
  void execute_script(std::string_view sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const noexcept override;
  void defer_durability(bool defer) override { defer_durability_ = defer && may_defer_durability_; }
  void make_durable() override;
  std::unique_ptr<BulkWriter> bulk_writer(const WriteSpec& spec) override;
  std::vector<TableRef> list_tables() override;
  std::optional<TableInfo> describe_table(const TableRef& table) override;
  void ping() override;
  void cancel() noexcept override;

  // Borrows a prepared statement for `sql` (from the cache, or newly prepared).
  Statement prepare(std::string_view sql);
  // The journal mode, lower case ("wal", "delete"; "memory" for an in-memory database).
  std::string journal_mode();
  // The batch table of `width` columns (batch_table.hpp), registered on first use.
  const std::string& batch_table(std::size_t width);
  // The count of calls of the SQL function weir_conflict(x) on this connection, which returns
  // x: an upsert's DO UPDATE … WHERE weir_conflict(…) counts the rows whose key was there
  // (SQLite evaluates that condition once per conflict). Registered on first use; shared, so
  // that a writer may keep it past the connection.
  std::shared_ptr<std::uint64_t> conflict_counter();
  // The value of an integer pragma ("synchronous").
  std::int64_t pragma_int(std::string_view pragma);
  sqlite3* handle() const noexcept { return db_.get(); }
  // A WAL file whose URL left `synchronous` to weir: defer_durability() takes effect.
  void allow_deferred_durability() noexcept { may_defer_durability_ = true; }
  const std::string& path() const noexcept { return path_; }

 private:
  DbHandle db_;
  std::string path_;
  SqliteDialect dialect_;
  std::shared_ptr<StatementCache> cache_ = std::make_shared<StatementCache>();
  std::map<std::size_t, std::string> batch_tables_;  // registered: width → name
  std::shared_ptr<std::uint64_t> conflicts_;          // conflict_counter(), once registered
  // Runs this connection's WAL checkpoints once it has lent a bulk writer.
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // Durability deferred (defer_durability): the next begin() sets synchronous=NORMAL, with
  // which a WAL commit does not wait for the disk; make_durable() syncs the log.
  bool may_defer_durability_ = false;
  bool defer_durability_ = false;
  bool commits_deferred_ = false;  // synchronous=NORMAL is set
  bool ever_deferred_ = false;
  unsigned synced_version_ = 0;    // data_version() when the log was last known durable
  unsigned data_version();
};

}  // namespace weir::db::sqlite
