// weir::query::CrossQuery — one SQL statement over tables of several databases.
//
// The statement runs on an embedded SQLite (in memory) in which each remote table it names
// (`connection.table`, `connection.schema.table`: table_names.hpp) is a virtual table over a
// weir cursor (remote_table.hpp), reading only what the pushdown rules allow (pushdown.hpp).
// Each connection is opened once per statement, in one read-only snapshot transaction
// (REPEATABLE READ on PostgreSQL and MySQL), so every table of one database is read in one
// state. A statement whose tables all live on one connection runs there whole when that
// database gives SQLite's answer (whole_statement.hpp). The CLI (`weir query "SQL"`) and the
// MCP server call this.
//
// Not thread safe; one statement per object. Throws Error{config} for an unknown connection,
// table or column and for a syntax error, naming it and its column in the statement.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/deadline.hpp"
#include "query/remote_source.hpp"
#include "query/remote_table.hpp"
#include "query/table_names.hpp"
#include "weir/db/driver.hpp"

namespace weir::query {

struct Connections {
  std::function<bool(std::string_view)> exists;                   // a name in the config file
  std::function<db::ConnectionConfig(std::string_view)> resolve;  // its settings
};

class CrossQuery {
 public:
  // Reads `sql`, opens the connections it names and describes their tables, and prepares the
  // statement. `log_queries`: keep every remote query for sent().
  CrossQuery(std::string sql, const Connections& connections, bool log_queries = false);
  ~CrossQuery();
  CrossQuery(const CrossQuery&) = delete;
  CrossQuery& operator=(const CrossQuery&) = delete;

  // Whether `sql` names a remote table of `connections` (what tells `weir query "SQL"` from a
  // statement for one database).
  static bool names_remote_tables(std::string_view sql, const Connections& connections);

  // Runs the statement on SQLite over virtual tables even where it could run whole on its
  // one database (the reference the tests compare that with). Before run().
  void keep_on_sqlite() noexcept { whole_sql_.reset(); }
  // The connection the statement runs on whole, when it does (decided by the constructor;
  // run() may still fall back to SQLite when the database refuses the statement).
  std::optional<std::string> runs_whole_on() const;

  // The statement's rows, streamed. Once read to the end, finish() ends the snapshots.
  std::unique_ptr<db::Cursor> run();
  void finish();
  // Cancels the statement: the remote queries running and SQLite's own work; run()'s cursor
  // then throws Error{cancelled} (run() itself, when called after). From any thread (a Ctrl-C
  // handler, the deadline, an MCP client's notifications/cancelled), once constructed.
  void cancel() noexcept;

  // The statement's deadline, counted from construction: the least `query_timeout` of its
  // connections, which bounds the whole statement rather than each remote query (the
  // connections are opened without it). 0: none.
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  // Replaces it (`origin` names it in the error: "--timeout"); 0: none. Before run().
  void set_timeout(std::chrono::milliseconds timeout, std::string origin);
  // Once the deadline passed: run()'s cursor throws Error{timeout} with one line naming the
  // timeout and the connections whose queries were still running (and were cancelled).
  bool timed_out() const noexcept { return timed_out_.load(); }
  const std::string& timeout_message() const noexcept { return timeout_message_; }

  // SQLite's plan (each remote table with what it pushes) and the statement as SQLite runs it,
  // or that it ran whole on one connection; after run().
  std::vector<std::string> plan();
  // Every remote query sent (with log_queries), in order.
  const std::vector<SentQuery>& sent() const noexcept { return sent_; }
  // Per remote table: queries, rows fetched, time (one line for a statement run whole).
  std::vector<TableStats> stats() const;

 private:
  void add_table(const TableName& name);
  void check_statement();
  void plan_whole_statement();
  std::unique_ptr<db::Cursor> run_whole();
  void expire() noexcept;

  std::string sql_;
  std::string rewritten_;
  std::vector<TableName> names_;
  std::vector<std::string> replacements_;  // per name: the virtual table it reads
  std::vector<SentQuery> sent_;
  std::vector<std::unique_ptr<RemoteSource>> sources_;
  RemoteTables tables_;
  std::vector<std::string> vtab_names_;  // per table of tables_
  std::vector<std::string> result_names_;  // the statement's column names, as SQLite names them
  std::vector<bool> result_typed_;         // per column: a table's column, with its declared type
  bool log_queries_ = false;
  std::optional<std::string> whole_sql_;  // the statement as its one database runs it
  std::string whole_note_;                // why it does not, for plan()
  bool ran_whole_ = false;
  TableStats whole_stats_;
  Deadline::Clock::time_point start_ = Deadline::Clock::now();
  std::chrono::milliseconds timeout_{0};
  std::string timeout_origin_;   // "query_timeout of `pg`", "--timeout"
  std::string timeout_message_;  // written before timed_out_ is set
  std::atomic<bool> timed_out_{false};
  std::atomic<bool> cancelled_{false};  // cancel() was called: run() does not start
  std::unique_ptr<Deadline> deadline_;  // stopped first, in the destructor's body
  std::unique_ptr<db::Connection> engine_;  // last: closed first, before the tables it reads
};

}  // namespace weir::query
