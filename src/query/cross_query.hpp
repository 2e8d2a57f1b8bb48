// weir::query::CrossQuery — one SQL statement over tables of several databases.
//
// The statement runs on an embedded SQLite (in memory) in which each remote table it names
// (`connection.table`, `connection.schema.table`: table_names.hpp) is a virtual table over a
// weir cursor (remote_table.hpp), reading only what the pushdown rules allow (pushdown.hpp).
// Each connection is opened once per statement, in one read-only snapshot transaction
// (REPEATABLE READ on PostgreSQL and MySQL), so every table of one database is read in one
// state. The CLI (`weir query "SQL"`) and later the MCP server call this.
//
// Not thread safe; one statement per object. Throws Error{config} for an unknown connection,
// table or column and for a syntax error, naming it and its column in the statement.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  // statement. `log_queries`: keep every remote query for explain().
  CrossQuery(std::string sql, const Connections& connections, bool log_queries = false);
  ~CrossQuery();
  CrossQuery(const CrossQuery&) = delete;
  CrossQuery& operator=(const CrossQuery&) = delete;

  // Whether `sql` names a remote table of `connections` (what tells `weir query "SQL"` from a
  // statement for one database).
  static bool names_remote_tables(std::string_view sql, const Connections& connections);

  // The statement's rows, streamed. Once read to the end, finish() ends the snapshots.
  std::unique_ptr<db::Cursor> run();
  void finish();

  // SQLite's plan (each remote table with what it pushes) and the statement as SQLite runs it.
  std::vector<std::string> plan();
  // Every remote query sent (with log_queries), in order.
  const std::vector<SentQuery>& sent() const noexcept { return sent_; }
  // Per remote table: queries, rows fetched, time.
  std::vector<TableStats> stats() const;

 private:
  void add_table(const TableName& name);
  void check_statement();

  std::string sql_;
  std::string rewritten_;
  std::vector<TableName> names_;
  std::vector<std::string> replacements_;  // per name: the virtual table it reads
  std::vector<SentQuery> sent_;
  std::vector<std::unique_ptr<RemoteSource>> sources_;
  RemoteTables tables_;
  std::vector<std::string> vtab_names_;  // per table of tables_
  std::unique_ptr<db::Connection> engine_;  // last: closed first, before the tables it reads
};

}  // namespace weir::query
