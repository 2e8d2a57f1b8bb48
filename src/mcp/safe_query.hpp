// Queries an agent sends, run so that a read-only connection cannot be made to change anything
// and no answer floods the agent's context:
//   - the text passes the statement classifier (one statement, a reading verb, no function that
//     acts outside the query);
//   - it runs alone as a prepared statement (the extended protocol on PostgreSQL, a server-side
//     prepared statement on MySQL, one sqlite3_prepare on SQLite: nothing rides along) inside a
//     read-only transaction (PostgreSQL REPEATABLE READ READ ONLY on a session with
//     default_transaction_read_only and statement_timeout; MySQL START TRANSACTION READ ONLY
//     on a session in READ ONLY mode; SQLite opened read-only) that is always rolled back;
//   - on PostgreSQL every function its plan calls (EXPLAIN VERBOSE, so views and policies count)
//     must be immutable or stable in pg_proc, or allowed by name;
//   - a connection whose config limits schemas refuses a statement whose plan reads a table of
//     another (PostgreSQL; elsewhere it refuses every statement: see mcp/schema_limits.hpp);
//   - results come in pages capped by rows and bytes; a probe row tells whether more follow, and
//     the cursor of a truncated page reads on in the same result, so the same snapshot.
// Connections marked `read_only: false` run what they are given, still paged.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "db/connections.hpp"
#include "mcp/query_limits.hpp"
#include "weir/db/connection.hpp"

namespace weir::query {
class CrossQuery;
}

namespace weir::mcp {

// One page of a result: {"columns": [{name, type}], "rows": [{column: value}], "row_count",
// "truncated", and "cursor" when truncated}.
using Page = nlohmann::json;

// Cancels the statement running on a connection when the call it serves is cancelled or its
// client goes away: the server stops working on it, not only weir waiting for it. Throws
// Error{cancelled} when the stop is already requested.
class CancelOnStop {
 public:
  CancelOnStop(db::Connection& connection, std::stop_token stop);
  // The same for a statement over several connections: CrossQuery::cancel(), the path its
  // deadline takes, cancels each remote query still running (and SQLite's own work).
  CancelOnStop(query::CrossQuery& statement, std::stop_token stop);

 private:
  struct Cancel {
    db::Connection* connection = nullptr;
    query::CrossQuery* statement = nullptr;
    void operator()() const noexcept;
  };
  std::stop_callback<Cancel> callback_;
};

class SafeQueries {
 public:
  // `writable`: the connections whose config says `read_only: false`; every other one is
  // opened read-only whatever its config says. `limits`: each connection's (its config's `mcp`
  // block); a connection not there, or added later, gets the defaults.
  SafeQueries(db::Connections connections, std::set<std::string> writable,
              std::map<std::string, QueryLimits, std::less<>> limits = {});
  ~SafeQueries();

  bool writable(const std::string& connection) const { return writable_.contains(connection); }
  bool has(const std::string& connection) const { return sessions_.contains(connection); }
  bool any_writable() const { return !writable_.empty(); }

  // Runs `sql` on the named connection: its first page (at most `max_rows`, capped by the limits).
  // Throws Error: config for an unknown connection, permission for a refused statement, and the
  // database's own errors. A stop requested on `stop` cancels the statement on the server
  // (Error{cancelled}) and rolls its transaction back.
  Page query(const std::string& connection, const std::string& sql, std::optional<std::size_t> max_rows,
             std::stop_token stop = {});
  // Runs `sql` over tables of several connections, named `connection.table`, through the
  // cross-database query engine (src/query/); paged as query() pages. A stop requested on
  // `stop` cancels the remote queries still running, as the statement's deadline does.
  Page query_across(const std::string& sql, std::optional<std::size_t> max_rows, std::stop_token stop = {});
  // The next page of the result a truncated page's cursor points into.
  Page next_page(const std::string& cursor, std::optional<std::size_t> max_rows, std::stop_token stop = {});
  // The plan the database would follow for `sql`, under the same checks as query().
  Page explain(const std::string& connection, const std::string& sql, std::stop_token stop = {});
  // Keeps a connection made at run time (connect_database) once it connects and answers a
  // ping. Throws Error{config} when the name is taken, and the driver's errors.
  void add(db::ConnectionConfig config, bool writable);
  // The named connection, connected, with no result left open on it: for the catalog tools,
  // which read through the same session (read-only unless the config says otherwise).
  db::Connection& connection(const std::string& name);
  const db::ConnectionConfig& config(const std::string& name) { return session(name).config; }
  // Throws Error{permission} when `table`'s schema is not open to agents on the connection
  // (its config's mcp.allowed_schemas / denied_schemas; see mcp/schema_limits.hpp).
  void check_table(const std::string& connection, const db::TableRef& table);
  // Whether the tables of `schema` are open to agents on the connection.
  bool schema_open(const std::string& connection, std::string_view schema);
  // Every connection, from the config file and connect_database, in name order.
  db::Connections configs() const;
  // Cancels a statement running on the named connection (from another thread).
  void cancel(const std::string& connection) noexcept;
  // How the named connection stands, checked cheaply (no new connection is ever opened):
  // `connected` when it holds a live session (a result open on it, or it answers a ping);
  // `disconnected` when nothing has opened it yet in this server (nothing is checked then);
  // `error` when opening it failed, it was lost during its last use, or the ping failed, with
  // that error's line. `idle`: the live session when no result is open on it (else null).
  struct Status {
    std::string status;
    std::string error_message;
    db::Connection* idle = nullptr;
  };
  Status status(const std::string& connection);
  // When a tool last ran something on the connection in this session; nullopt: never.
  std::optional<std::chrono::system_clock::time_point> last_used(const std::string& connection) const;

 private:
  struct OpenResult;
  struct Session {
    db::ConnectionConfig config;
    QueryLimits limits;
    std::unique_ptr<db::Connection> connection;
    std::unique_ptr<OpenResult> open;  // the result a cursor reads on; at most one per connection
    std::optional<std::chrono::system_clock::time_point> last_used;  // a tool's last statement on it
    std::string last_error;  // why opening it failed or it was lost, until it opens again
  };
  void note_failure(Session& s, const Error& e) noexcept;

  Session& session(const std::string& name);
  db::Connection& connected(Session& s);
  void close(Session& s) noexcept;
  // Checks `sql` for a read-only connection and opens its transaction; the statement to send,
  // which starts `begin` bytes into `sql`.
  std::string guard(Session& s, const std::string& sql, std::size_t& begin);
  Page start(Session& s, const std::string& name, const std::string& statement, std::optional<std::size_t> max_rows);
  Page first_page(Session& s, const std::string& name, std::unique_ptr<db::Cursor> cursor,
                  std::optional<std::size_t> max_rows);
  Page page(Session& s, std::optional<std::size_t> max_rows);

  std::map<std::string, Session, std::less<>> sessions_;
  Session across_;  // the statements over several connections (query_across)
  std::set<std::string> writable_;
  std::uint64_t next_cursor_ = 0;
};

}  // namespace weir::mcp
