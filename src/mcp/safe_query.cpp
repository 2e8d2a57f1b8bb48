#include "mcp/safe_query.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>

#include "core/text.hpp"
#include "db/postgres/connection.hpp"
#include "mcp/error_position.hpp"
#include "mcp/plan_check.hpp"
#include "mcp/schema_limits.hpp"
#include "mcp/statement_classifier.hpp"
#include "pipeline/sink.hpp"
#include "query/cross_query.hpp"
#include "query/remote_traits.hpp"
#include "weir/batch.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

// A result still being read: the cursor, rows fetched past the last page (the probe), and the
// transaction that keeps its snapshot, open until the last row is read or another query comes.
struct SafeQueries::OpenResult {
  std::string token;
  std::unique_ptr<query::CrossQuery> across;  // a statement over several connections: what its cursor reads
  std::unique_ptr<db::Cursor> cursor;
  json columns = json::array();
  std::deque<std::string> pending;  // rows as JSON objects, fetched but not yet returned
  bool exhausted = false;
  bool in_transaction = false;
};

namespace {

constexpr auto kDefaultQueryTimeout = std::chrono::seconds(300);

std::string random_token() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

}  // namespace

SafeQueries::SafeQueries(db::Connections connections, std::set<std::string> writable,
                         std::map<std::string, QueryLimits, std::less<>> limits)
    : writable_(std::move(writable)) {
  for (auto& [name, config] : connections) {
    if (!writable_.contains(name)) config.read_only = true;
    auto configured = limits.find(name);
    sessions_.emplace(name, Session{config, configured == limits.end() ? QueryLimits{} : configured->second, nullptr,
                                    nullptr, std::nullopt, {}});
  }
}

void SafeQueries::add(db::ConnectionConfig config, bool writable) {
  if (sessions_.contains(config.name))
    throw Error(ErrorKind::config, fmt::format("a connection named `{}` already exists", config.name));
  config.read_only = !writable;
  auto connection = db::connect(config);
  connection->ping();
  std::string name = config.name;
  if (writable) writable_.insert(name);
  sessions_.emplace(name, Session{std::move(config), QueryLimits{}, std::move(connection), nullptr,
                                  std::chrono::system_clock::now(), {}});
}

SafeQueries::~SafeQueries() {
  close(across_);
  for (auto& [name, s] : sessions_) close(s);
}

SafeQueries::Session& SafeQueries::session(const std::string& name) {
  auto it = sessions_.find(name);
  if (it != sessions_.end()) return it->second;
  std::string known;
  for (const auto& [each, s] : sessions_) known += (known.empty() ? "" : ", ") + each;
  throw Error(ErrorKind::config, fmt::format("unknown connection `{}` (known: {})", name, known.empty() ? "none" : known));
}

db::Connection& SafeQueries::connected(Session& s) {
  s.last_used = std::chrono::system_clock::now();
  if (!s.connection || s.connection->broken()) {
    if (!s.config.query_timeout && !s.config.url.option("query_timeout"))
      s.config.query_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kDefaultQueryTimeout);
    s.open.reset();
    s.connection.reset();
    try {
      s.connection = db::connect(s.config);
    } catch (const Error& e) {
      s.last_error = e.what();
      throw;
    }
    s.last_error.clear();
  }
  return *s.connection;
}

// A statement's failure that says the connection itself is gone (not the statement's fault)
// shows as the connection's status until it opens again.
void SafeQueries::note_failure(Session& s, const Error& e) noexcept {
  bool lost = s.connection && s.connection->broken();
  if (lost || e.kind() == ErrorKind::connection || e.kind() == ErrorKind::auth) s.last_error = e.what();
}

SafeQueries::Status SafeQueries::status(const std::string& name) {
  Session& s = session(name);
  if (!s.connection || s.connection->broken())
    return s.last_error.empty() ? Status{"disconnected", "", nullptr} : Status{"error", s.last_error, nullptr};
  if (s.open) return {"connected", "", nullptr};  // a result is being read on it: alive, and not to be disturbed
  try {
    s.connection->ping();
    return {"connected", "", s.connection.get()};
  } catch (const Error& e) {
    s.last_error = e.what();
    s.connection.reset();
    return {"error", s.last_error, nullptr};
  }
}

void SafeQueries::close(Session& s) noexcept {
  if (!s.open) return;
  bool rollback = s.open->in_transaction;
  s.open.reset();  // the cursor first: it discards the rest of its rows
  if (rollback && s.connection) {
    try {
      // PostgreSQL's answer is read when the connection is next used: the server ends the
      // transaction when it reads ROLLBACK, and the call returns a round trip sooner.
      if (auto* pg = dynamic_cast<db::postgres::PgConnection*>(s.connection.get())) pg->rollback_unawaited();
      else s.connection->execute_script("ROLLBACK");
    } catch (const Error&) {
      s.connection.reset();  // a connection that cannot roll back is not reused
    }
  }
}

void SafeQueries::check_table(const std::string& name, const db::TableRef& table) {
  Session& s = session(name);
  if (!schemas_limited(s.limits)) return;
  close(s);
  refuse_closed_schema(s.limits, name, schema_of(connected(s), table));
}

bool SafeQueries::schema_open(const std::string& name, std::string_view schema) {
  return mcp::schema_open(session(name).limits, schema);
}

db::Connections SafeQueries::configs() const {
  db::Connections out;
  for (const auto& [name, s] : sessions_) out.emplace(name, s.config);
  return out;
}

db::Connection& SafeQueries::connection(const std::string& name) {
  Session& s = session(name);
  close(s);
  return connected(s);
}

std::optional<std::chrono::system_clock::time_point> SafeQueries::last_used(const std::string& name) const {
  auto it = sessions_.find(name);
  return it == sessions_.end() ? std::nullopt : it->second.last_used;
}

void SafeQueries::cancel(const std::string& name) noexcept {
  auto it = sessions_.find(name);
  if (it != sessions_.end() && it->second.connection) it->second.connection->cancel();
}

// Checks `sql` for a read-only connection and opens the read-only transaction it runs in;
// returns the statement to send. PostgreSQL's plan is checked for volatile functions too.
std::string SafeQueries::guard(Session& s, const std::string& sql, std::size_t& begin) {
  db::Connection& connection = connected(s);
  SqlFamily family = sql_family(connection.dialect().name());
  Classified c = classify_read_only(sql, family, connection.dialect().sql_syntax());
  if (c.refusal) throw Error(ErrorKind::permission, *c.refusal);
  begin = c.statement_begin;
  refuse_denied(s.limits, c.functions);
  s.open = std::make_unique<OpenResult>();
  std::string verb = c.statement.substr(0, c.statement.find_first_of(" \t\r\n("));
  bool planned = family == SqlFamily::postgres && !(iequals(verb, "EXPLAIN") || iequals(verb, "SHOW"));
  // A connection limiting its schemas refuses a statement reading another before any plan of
  // it is made (whose errors would tell of the other schema's tables).
  bool plan_first = planned && !schemas_limited(s.limits);
  std::vector<std::string> functions;
  s.open->in_transaction = plan_first;  // rolled back from here on, whatever happens (a BEGIN that failed: a warning)
  if (plan_first) functions = plan_functions(connection, c.statement, true, {sql, begin});
  else begin_read_only(connection);
  s.open->in_transaction = true;
  refuse_closed_schemas(connection, s.limits, s.config.name, c.statement);
  if (family != SqlFamily::postgres) return c.statement;
  if (planned && !plan_first) functions = plan_functions(connection, c.statement, false, {sql, begin});
  functions.insert(functions.end(), c.functions.begin(), c.functions.end());
  refuse_volatile(connection, s.limits, functions);
  return c.statement;
}

void CancelOnStop::Cancel::operator()() const noexcept {
  if (connection) connection->cancel();
  if (statement) statement->cancel();
}

CancelOnStop::CancelOnStop(db::Connection& connection, std::stop_token stop) : callback_(stop, Cancel{&connection, nullptr}) {
  if (stop.stop_requested()) throw Error(ErrorKind::cancelled, "the call was cancelled");
}

CancelOnStop::CancelOnStop(query::CrossQuery& statement, std::stop_token stop) : callback_(stop, Cancel{nullptr, &statement}) {
  if (stop.stop_requested()) throw Error(ErrorKind::cancelled, "the call was cancelled");
}

Page SafeQueries::query(const std::string& name, const std::string& sql, std::optional<std::size_t> max_rows,
                        std::stop_token stop) {
  Session& s = session(name);
  close(s);
  std::string statement = sql;
  std::size_t begin = 0;
  try {
    CancelOnStop cancel(connected(s), stop);
    if (!writable(name)) statement = guard(s, sql, begin);
    else {
      refuse_denied(s.limits, called_functions(sql, connected(s).dialect().sql_syntax()));
      refuse_closed_schemas(connected(s), s.limits, name, sql);
    }
    try {
      return start(s, name, statement, max_rows);
    } catch (const Error& e) {
      throw located(e, {sql, begin, 0});
    }
  } catch (const Error& e) {
    note_failure(s, e);
    close(s);
    throw;
  } catch (...) {
    close(s);
    throw;
  }
}

Page SafeQueries::explain(const std::string& name, const std::string& sql, std::stop_token stop) {
  Session& s = session(name);
  close(s);
  try {
    std::string statement = sql;
    std::size_t begin = 0;
    db::Connection& connection = connected(s);
    CancelOnStop cancel(connection, stop);
    SqlFamily family = sql_family(connection.dialect().name());
    if (!writable(name)) {
      statement = guard(s, sql, begin);
    } else {
      // Explained, never run: EXPLAIN ANALYZE of a write meets a read-only transaction.
      refuse_closed_schemas(connection, s.limits, name, sql);
      begin_read_only(connection);
      s.open = std::make_unique<OpenResult>();
      s.open->in_transaction = true;
    }
    std::string head = statement.substr(0, 7);
    std::string prefix = iequals(head, "EXPLAIN") ? "" : family == SqlFamily::sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ";
    Page out;
    try {
      out = start(s, name, prefix + statement, s.limits.max_rows);
    } catch (const Error& e) {
      throw located(e, {sql, begin, prefix.size()});
    }
    close(s);
    out.erase("cursor");
    return out;
  } catch (const Error& e) {
    note_failure(s, e);
    close(s);
    throw;
  } catch (...) {
    close(s);
    throw;
  }
}

Page SafeQueries::start(Session& s, const std::string& name, const std::string& statement,
                        std::optional<std::size_t> max_rows) {
  db::Connection& connection = connected(s);
  if (!s.open) s.open = std::make_unique<OpenResult>();
  return first_page(s, name, connection.query(statement), max_rows);
}

Page SafeQueries::first_page(Session& s, const std::string& name, std::unique_ptr<db::Cursor> cursor,
                             std::optional<std::size_t> max_rows) {
  s.open->cursor = std::move(cursor);
  for (const Column& column : *s.open->cursor->schema())
    s.open->columns.push_back({{"name", column.name}, {"type", column.native_type.empty() ? std::string(to_string(column.type)) : column.native_type}});
  s.open->token = fmt::format("{}#{}.{}", name, ++next_cursor_, random_token());
  return page(s, max_rows);
}

Page SafeQueries::query_across(const std::string& sql, std::optional<std::size_t> max_rows, std::stop_token stop) {
  close(across_);
  if (stop.stop_requested()) throw Error(ErrorKind::cancelled, "the call was cancelled");
  // The statement runs on an in-memory SQLite whose tables read the remote ones: it meets the
  // classifier as SQLite reads it (no ATTACH, PRAGMA, write or extension), and each connection
  // is opened as query() opens it (read-only unless the config says otherwise).
  const db::SqlSyntax syntax = db::Registry::builtin().for_scheme("sqlite").dialect().sql_syntax();
  Classified c = classify_read_only(sql, SqlFamily::sqlite, syntax);
  if (c.refusal) throw Error(ErrorKind::permission, *c.refusal);
  refuse_denied(across_.limits, c.functions);
  query::Connections connections{[this](std::string_view name) { return sessions_.contains(name); },
                                 [this](std::string_view name) {
                                   Session& s = session(std::string(name));
                                   if (schemas_limited(s.limits))
                                     throw Error(ErrorKind::permission,
                                                 fmt::format("connection `{}` limits its schemas: it is not open to "
                                                             "statements over several connections",
                                                             name));
                                   return s.config;
                                 }};
  try {
    across_.open = std::make_unique<OpenResult>();
    across_.open->across = std::make_unique<query::CrossQuery>(c.statement, connections);
    // A cancelled call (or a client gone) stops the remote queries as the deadline would.
    CancelOnStop cancel(*across_.open->across, stop);
    return first_page(across_, "", across_.open->across->run(), max_rows);
  } catch (...) {
    close(across_);
    throw;
  }
}

Page SafeQueries::next_page(const std::string& cursor, std::optional<std::size_t> max_rows, std::stop_token stop) {
  std::string name = cursor.substr(0, cursor.rfind('#'));
  auto it = sessions_.find(name);
  Session* s = name.empty() ? &across_ : it == sessions_.end() ? nullptr : &it->second;
  if (!s || !s->open || s->open->token != cursor)
    throw Error(ErrorKind::config, "the cursor is no longer open (its last page was read, or a later query on the "
                                   "connection replaced it): run the query again");
  try {
    std::optional<CancelOnStop> cancel;
    if (s->open->across) cancel.emplace(*s->open->across, stop);
    else if (s->connection) cancel.emplace(*s->connection, stop);
    return page(*s, max_rows);
  } catch (...) {
    close(*s);
    throw;
  }
}

// The next page of the open result: up to `max_rows` rows within the byte cap, then one row
// more fetched as a probe, so `truncated` is known, not guessed.
Page SafeQueries::page(Session& s, std::optional<std::size_t> max_rows) {
  OpenResult& open = *s.open;
  const QueryLimits& limits = s.limits;
  std::size_t rows_wanted = std::min(max_rows.value_or(limits.max_rows), limits.max_rows);
  if (rows_wanted == 0) rows_wanted = 1;
  auto fill = [&](std::size_t wanted) {
    Batch batch;
    if (open.exhausted || !open.cursor->next(batch, wanted)) {
      open.exhausted = true;
      return;
    }
    for (std::size_t r = 0; r < batch.rows(); ++r) open.pending.push_back(pipeline::row_json(batch, r));
  };
  std::string rows = "[";
  std::size_t count = 0;
  while (count < rows_wanted) {
    if (open.pending.empty()) fill(rows_wanted - count + 1);
    if (open.pending.empty()) break;
    // The first row always goes: a page never comes back empty while rows remain.
    if (count > 0 && rows.size() + open.pending.front().size() + 1 > limits.max_bytes) break;
    if (count++) rows += ',';
    rows += open.pending.front();
    open.pending.pop_front();
  }
  rows += ']';
  if (open.pending.empty()) fill(1);
  Page out{{"columns", open.columns}, {"rows", json::parse(rows)}, {"row_count", count},
           {"truncated", !open.pending.empty()}};
  if (open.pending.empty()) close(s);
  else out["cursor"] = open.token;
  return out;
}

}  // namespace weir::mcp
