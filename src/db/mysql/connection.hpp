// MySQL/MariaDB connection over MariaDB Connector/C: server-side prepared statements (binary
// protocol) cached per connection, unbuffered streaming fetch, utf8mb4 and UTC sessions.
// execute() returns the server's affected rows: rows changed, so an UPDATE that sets a row to
// the values it has counts 0 (PostgreSQL and SQLite count the rows matched).
#pragma once

#include <mysql.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "db/mysql/dialect.hpp"
#include "weir/db/driver.hpp"

namespace weir::db::mysql {

struct DbCloser {
  void operator()(MYSQL* db) const noexcept { mysql_close(db); }
};
struct StmtCloser {
  void operator()(MYSQL_STMT* s) const noexcept { mysql_stmt_close(s); }
};
using DbHandle = std::unique_ptr<MYSQL, DbCloser>;
using StmtHandle = std::unique_ptr<MYSQL_STMT, StmtCloser>;

class MyCursor;

// Frees the current result and skips any further ones (a CALL ends with a status result, and
// a procedure may return several sets): the connection is then ready for its next statement.
void finish_results(MYSQL_STMT* stmt) noexcept;

struct SessionOptions {
  bool zero_dates_as_null = false;
};

class MyConnection final : public Connection {
 public:
  MyConnection(DbHandle db, SessionOptions options, unsigned long thread_id,
               std::function<DbHandle()> reconnect_for_kill);
  ~MyConnection() override;

  const Dialect& dialect() const noexcept override { return dialect_; }
  std::unique_ptr<Cursor> query(std::string_view sql, std::span<const Value> params) override;
  std::uint64_t execute(std::string_view sql, std::span<const Value> params) override;
  void execute_script(std::string_view sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const noexcept override { return in_transaction_; }
  std::unique_ptr<BulkWriter> bulk_writer(const WriteSpec& spec) override;
  std::vector<TableRef> list_tables() override;
  std::optional<TableInfo> describe_table(const TableRef& table) override;
  void ping() override;
  void cancel() noexcept override;

  MYSQL* handle() const noexcept { return db_.get(); }
  // The cached prepared statement for `sql`, executed with `params` (results not fetched).
  MYSQL_STMT* run(std::string_view sql, std::span<const Value> params);
  void finish_active_cursor();
  void set_active_cursor(MyCursor* cursor) noexcept { active_cursor_ = cursor; }
  const SessionOptions& options() const noexcept { return options_; }

 private:
  MYSQL_STMT* prepared(std::string_view sql);
  // Closes and uncaches the prepared statement for `sql`.
  void forget(const std::string& sql);
  // Throws the error of a failed statement, classified (see violates_json_check).
  [[noreturn]] void fail(unsigned code, std::string message, std::string sqlstate, std::string_view context);
  bool violates_json_check(std::string_view message);
  // MariaDB: the columns of `table` that are JSON (LONGTEXT with CHECK (json_valid(col))).
  std::vector<std::string> json_columns(const TableRef& table);

  DbHandle db_;
  SessionOptions options_;
  unsigned long thread_id_;
  std::function<DbHandle()> reconnect_for_kill_;
  MyDialect dialect_;
  std::unordered_map<std::string, StmtHandle> statements_;
  std::deque<std::string> statement_order_;
  MyCursor* active_cursor_ = nullptr;
  bool in_transaction_ = false;
  bool mariadb_;  // the server is MariaDB rather than MySQL
};

}  // namespace weir::db::mysql
