#include "db/mysql/connection.hpp"

#include <errmsg.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "db/mysql/bulk_writer.hpp"
#include "db/mysql/cursor.hpp"
#include "db/mysql/errors.hpp"
#include "db/mysql/types.hpp"

namespace weir::db::mysql {
namespace {
constexpr std::size_t kMaxPreparedStatements = 256;

// Reads a whole small result (catalog queries) as rows of text.
std::vector<std::vector<std::string>> fetch_all(Connection& c, std::string_view sql, std::span<const Value> params) {
  auto cursor = c.query(sql, params);
  std::vector<std::vector<std::string>> rows;
  Batch batch;
  while (cursor->next(batch, 1000)) {
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      std::vector<std::string> row;
      for (const Value& v : batch.row(r)) row.push_back(v.to_text());
      rows.push_back(std::move(row));
    }
  }
  return rows;
}
}  // namespace

void finish_results(MYSQL_STMT* stmt) noexcept {
  mysql_stmt_free_result(stmt);
  while (mysql_stmt_next_result(stmt) == 0) mysql_stmt_free_result(stmt);
}

MyConnection::MyConnection(DbHandle db, SessionOptions options, unsigned long thread_id,
                           std::function<DbHandle()> reconnect_for_kill)
    : db_(std::move(db)),
      options_(options),
      thread_id_(thread_id),
      reconnect_for_kill_(std::move(reconnect_for_kill)),
      mariadb_(mariadb_connection(db_.get())) {
  install_local_infile(db_.get(), &infile_);
}

MyConnection::~MyConnection() {
  statements_.clear();  // statements close before the connection
}

MYSQL_STMT* MyConnection::prepared(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return it->second.get();
  if (statements_.size() >= kMaxPreparedStatements) {
    statements_.erase(statement_order_.front());
    statement_order_.pop_front();
  }
  StmtHandle stmt(mysql_stmt_init(db_.get()));
  if (!stmt) throw_connection_error(db_.get(), "preparing statement");
  if (mysql_stmt_prepare(stmt.get(), key.data(), key.size()) != 0)
    throw_statement_error(stmt.get(), "preparing statement");
  statement_order_.push_back(key);
  return statements_.emplace(std::move(key), std::move(stmt)).first->second.get();
}

void MyConnection::forget(const std::string& sql) {
  statements_.erase(sql);
  if (auto it = std::find(statement_order_.begin(), statement_order_.end(), sql); it != statement_order_.end())
    statement_order_.erase(it);
}

MYSQL_STMT* MyConnection::run(std::string_view sql, std::span<const Value> params) {
  finish_active_cursor();
  ParamBinder binder;
  binder.bind(params);
  for (bool retried = false;; retried = true) {
    MYSQL_STMT* stmt = prepared(sql);
    unsigned expected = mysql_stmt_param_count(stmt);
    if (expected != params.size())
      throw Error(ErrorKind::config, fmt::format("the statement has {} parameter placeholder(s) but {} value(s) were given",
                                                 expected, params.size()));
    if (expected && mysql_stmt_bind_param(stmt, binder.binds()) != 0) throw_statement_error(stmt, "binding parameters");
    if (mysql_stmt_execute(stmt) == 0) return stmt;
    unsigned code = mysql_stmt_errno(stmt);
    std::string message = mysql_stmt_error(stmt), sqlstate = mysql_stmt_sqlstate(stmt);
    if (code == CR_NEW_STMT_METADATA) {
      // The result has more or fewer columns than when the statement was prepared (ALTER
      // TABLE under a cached SELECT *). Connector/C refuses it and leaves it unread, which
      // would put the connection out of sync; closing the statement discards it, and one
      // prepared afresh runs with the new columns. Only SELECTs have results: rerunning is safe.
      forget(std::string(sql));
      if (!retried) continue;
    }
    fail(code, std::move(message), std::move(sqlstate), "running statement");
  }
}

void MyConnection::fail(unsigned code, std::string message, std::string sqlstate, std::string_view context) {
  throw_error(classify(code, message), code, message, sqlstate, context);
}

ErrorKind MyConnection::classify(unsigned code, std::string_view message) {
  if (code == kConstraintFailed && violates_json_check(message)) return ErrorKind::data;
  return kind_for_errno(code);
}

// MariaDB's JSON type is LONGTEXT with CHECK (json_valid(`col`)), so text that is not JSON
// fails as that column's check constraint: "CONSTRAINT `t.col` failed for `db`.`t`". It is a
// value the column cannot take (data, as MySQL's errno 3140 is), not a violated rule of the
// schema, so the constraint is looked up (errors are rare; the lookup costs one query).
bool MyConnection::violates_json_check(std::string_view message) {
  std::vector<std::string> names = quoted_names(message);
  if (names.size() != 3 || !names[0].starts_with(names[2] + ".")) return false;  // not a column's constraint
  try {
    std::vector<std::string> json = json_columns(TableRef{names[1], names[2]});
    return std::find(json.begin(), json.end(), names[0].substr(names[2].size() + 1)) != json.end();
  } catch (const Error&) {
    return false;  // only a refinement: the original error stands
  }
}

std::vector<std::string> MyConnection::json_columns(const TableRef& table) {
  if (!mariadb_) return {};  // MySQL's JSON is a type of its own
  std::vector<std::string> out;
  std::vector<Value> params{Value(table.schema), Value(table.name)};
  for (auto& row : fetch_all(*this,
                             "SELECT constraint_name FROM information_schema.check_constraints "
                             "WHERE constraint_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ? "
                             "AND check_clause = CONCAT('json_valid(`', REPLACE(constraint_name, '`', '``'), '`)')",
                             params))
    out.push_back(std::move(row[0]));
  return out;
}

void MyConnection::finish_active_cursor() {
  if (active_cursor_) std::exchange(active_cursor_, nullptr)->supersede();
}

std::unique_ptr<Cursor> MyConnection::query(std::string_view sql, std::span<const Value> params) {
  MYSQL_STMT* stmt = run(sql, params);
  auto cursor = std::make_unique<MyCursor>(*this, stmt);
  active_cursor_ = cursor.get();
  return cursor;
}

std::uint64_t MyConnection::execute(std::string_view sql, std::span<const Value> params) {
  MYSQL_STMT* stmt = run(sql, params);
  std::uint64_t affected = mysql_stmt_affected_rows(stmt);
  const char* info = mysql_info(db_.get());
  last_info_.assign(info ? info : "");  // reuses its buffer: no allocation per statement
  finish_results(stmt);
  return affected == static_cast<std::uint64_t>(-1) ? 0 : affected;
}

std::uint64_t MyConnection::load_data(std::string_view sql, InfileSource& source) {
  finish_active_cursor();
  infile_.source = &source;
  infile_.error = nullptr;
  int rc = mysql_real_query(db_.get(), sql.data(), sql.size());
  infile_.source = nullptr;
  // The server has answered either way (Connector/C ends the file early and reads its reply):
  // the connection is in step for the next statement.
  if (infile_.error) std::rethrow_exception(std::exchange(infile_.error, nullptr));
  if (rc != 0) fail(mysql_errno(db_.get()), mysql_error(db_.get()), mysql_sqlstate(db_.get()), "LOAD DATA LOCAL INFILE");
  return mysql_affected_rows(db_.get());
}

bool MyConnection::autocommits() const noexcept {
  unsigned int status = 0;
  if (mariadb_get_infov(db_.get(), MARIADB_CONNECTION_SERVER_STATUS, &status) != 0) return false;
  return (status & SERVER_STATUS_AUTOCOMMIT) && !(status & SERVER_STATUS_IN_TRANS);
}

void MyConnection::execute_script(std::string_view sql) {
  finish_active_cursor();
  auto failed = [&] { fail(mysql_errno(db_.get()), mysql_error(db_.get()), mysql_sqlstate(db_.get()), "running script"); };
  if (mysql_real_query(db_.get(), sql.data(), sql.size()) != 0) failed();
  for (;;) {
    if (MYSQL_RES* res = mysql_store_result(db_.get())) mysql_free_result(res);
    int status = mysql_next_result(db_.get());
    if (status > 0) failed();
    if (status < 0) break;
  }
}

void MyConnection::begin() {
  execute_script("START TRANSACTION");
  in_transaction_ = true;
}

void MyConnection::commit() {
  in_transaction_ = false;
  execute_script("COMMIT");
}

void MyConnection::rollback() {
  if (!in_transaction_) return;
  in_transaction_ = false;
  execute_script("ROLLBACK");
}

std::unique_ptr<BulkWriter> MyConnection::bulk_writer(const WriteSpec& spec) {
  return std::make_unique<MyBulkWriter>(*this, spec);
}

std::vector<TableRef> MyConnection::list_tables() {
  std::vector<TableRef> out;
  for (auto& row : fetch_all(*this,
                             "SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_schema = DATABASE() ORDER BY table_name",
                             {}))
    out.push_back(TableRef{"", row[1]});
  return out;
}

std::optional<TableInfo> MyConnection::describe_table(const TableRef& table) {
  std::vector<Value> params{Value(table.schema), Value(table.name)};
  auto columns = fetch_all(*this,
                           "SELECT column_name, column_type, is_nullable, LOWER(data_type), "
                           "COALESCE(numeric_precision, 0), COALESCE(numeric_scale, 0) FROM information_schema.columns "
                           "WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ? "
                           "ORDER BY ordinal_position",
                           params);
  if (columns.empty()) return std::nullopt;
  std::vector<std::string> json = json_columns(table);
  TableInfo info{table, {}, {}, std::nullopt};
  for (auto& c : columns) {
    if (std::find(json.begin(), json.end(), c[0]) != json.end())
      info.columns.push_back(Column{c[0], Type::json, "json", c[2] == "YES"});
    else
      info.columns.push_back(Column{c[0], logical_type(c[3], c[1]), c[1], c[2] == "YES"});
    if (info.columns.back().type == Type::decimal) {
      info.columns.back().precision = std::atoi(c[4].c_str());
      info.columns.back().scale = std::atoi(c[5].c_str());
    }
  }
  auto key = fetch_all(*this,
                       "SELECT column_name FROM information_schema.key_column_usage "
                       "WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ? "
                       "AND constraint_name = 'PRIMARY' ORDER BY ordinal_position",
                       params);
  for (auto& k : key) info.primary_key.push_back(k[0]);
  // InnoDB's estimate, as the planner keeps it: a sync sizes its key ranges by it rather than
  // counting the rows (a full scan of the table).
  auto estimate = fetch_all(*this,
                            "SELECT table_rows FROM information_schema.tables "
                            "WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ?",
                            params);
  if (!estimate.empty() && !estimate.front()[0].empty()) info.row_estimate = std::atoll(estimate.front()[0].c_str());
  return info;
}

void MyConnection::ping() {
  finish_active_cursor();
  if (mysql_ping(db_.get()) != 0) throw_connection_error(db_.get(), "ping");
}

// KILL QUERY must come from another connection: this one is busy running the statement.
void MyConnection::cancel() noexcept {
  try {
    DbHandle killer = reconnect_for_kill_();
    std::string sql = fmt::format("KILL QUERY {}", thread_id_);
    mysql_real_query(killer.get(), sql.data(), sql.size());
  } catch (...) {
  }
}

}  // namespace weir::db::mysql
