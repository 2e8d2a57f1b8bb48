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
#include "db/mysql/load_data.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

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
  bool load_data = true;  // bulk inserts through LOAD DATA LOCAL INFILE (URL bulk_insert=load_data)
};

class MyConnection final : public Connection {
 public:
  MyConnection(DbHandle db, SessionOptions options, unsigned long thread_id,
               std::function<DbHandle()> reconnect_for_kill);
  ~MyConnection() override;
  // Connector/C holds a pointer to infile_: the object must stay where it is.
  MyConnection(const MyConnection&) = delete;
  MyConnection& operator=(const MyConnection&) = delete;

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
  // Runs a LOAD DATA LOCAL INFILE statement whose file `source` produces; returns the rows it
  // loaded. Its warnings are left for first_load_warning(). Throws what `source` threw.
  std::uint64_t load_data(std::string_view sql, InfileSource& source);
  // The server's summary of the last execute(), e.g. "Records: 3  Duplicates: 1  Warnings: 0"
  // (multi-row INSERT) or "Rows matched: 1  Changed: 0  Warnings: 0" (UPDATE); empty when it
  // sent none.
  std::string_view last_info() const noexcept { return last_info_; }
  // True when a statement now would commit on its own: autocommit on and no transaction open
  // (as the server reports it, whoever opened the transaction).
  bool autocommits() const noexcept;
  // The kind of an error the server reported with `code` and `message` (see violates_json_check).
  ErrorKind classify(unsigned code, std::string_view message);

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
  InfileSlot infile_;  // what this connection's LOAD DATA LOCAL requests are served from
  MyCursor* active_cursor_ = nullptr;
  bool in_transaction_ = false;
  std::string last_info_;
  bool mariadb_;  // the server is MariaDB rather than MySQL
};

}  // namespace weir::db::mysql
