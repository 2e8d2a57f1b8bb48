#include "mcp/safe_query.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>

#include "core/text.hpp"
#include "mcp/schema_limits.hpp"
#include "mcp/statement_classifier.hpp"
#include "pipeline/sink.hpp"
#include "query/cross_query.hpp"
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

void collect_strings(const json& value, std::vector<std::string>& out) {
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_structured())
    for (const json& member : value) collect_strings(member, out);
}

std::string random_token() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

// Refuses a statement calling a function the connection's config denies.
void refuse_denied(const QueryLimits& limits, const std::vector<std::string>& functions) {
  for (const std::string& name : functions)
    if (limits.denied_functions.contains(name))
      throw Error(ErrorKind::permission,
                  fmt::format("`{}()` is denied on this connection (its mcp.denied_functions in the config)", name));
}

std::string_view begin_read_only(SqlFamily family) {
  switch (family) {
    case SqlFamily::postgres: return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    case SqlFamily::mysql: return "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    case SqlFamily::sqlite: return "BEGIN";
  }
  return "BEGIN";
}

}  // namespace

SafeQueries::SafeQueries(db::Connections connections, std::set<std::string> writable,
                         std::map<std::string, QueryLimits, std::less<>> limits)
    : writable_(std::move(writable)) {
  for (auto& [name, config] : connections) {
    if (!writable_.contains(name)) config.read_only = true;
    auto configured = limits.find(name);
    sessions_.emplace(name, Session{config, configured == limits.end() ? QueryLimits{} : configured->second, nullptr, nullptr});
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
  sessions_.emplace(name, Session{std::move(config), QueryLimits{}, std::move(connection), nullptr});
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
  if (!s.connection || s.connection->broken()) {
    if (!s.config.query_timeout && !s.config.url.option("query_timeout"))
      s.config.query_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kDefaultQueryTimeout);
    s.open.reset();
    s.connection = db::connect(s.config);
  }
  return *s.connection;
}

void SafeQueries::close(Session& s) noexcept {
  if (!s.open) return;
  bool rollback = s.open->in_transaction;
  s.open.reset();  // the cursor first: it discards the rest of its rows
  if (rollback && s.connection) {
    try {
      s.connection->execute_script("ROLLBACK");
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

void SafeQueries::cancel(const std::string& name) noexcept {
  auto it = sessions_.find(name);
  if (it != sessions_.end() && it->second.connection) it->second.connection->cancel();
}

// Checks `sql` for a read-only connection and opens the read-only transaction it runs in;
// returns the statement to send. PostgreSQL's plan is checked for volatile functions too.
std::string SafeQueries::guard(Session& s, const std::string& sql) {
  db::Connection& connection = connected(s);
  SqlFamily family = sql_family(connection.dialect().name());
  db::SqlSyntax syntax = connection.dialect().sql_syntax();
  Classified c = classify_read_only(sql, family, syntax);
  if (c.refusal) throw Error(ErrorKind::permission, *c.refusal);
  refuse_denied(s.limits, c.functions);
  connection.execute_script(begin_read_only(family));
  s.open = std::make_unique<OpenResult>();
  s.open->in_transaction = true;
  refuse_closed_schemas(connection, s.limits, s.config.name, c.statement);
  if (family != SqlFamily::postgres) return c.statement;

  std::vector<std::string> functions = c.functions;
  std::string verb = c.statement.substr(0, c.statement.find_first_of(" \t\r\n("));
  if (!(iequals(verb, "EXPLAIN") || iequals(verb, "SHOW"))) {
    auto cursor = connection.query("EXPLAIN (VERBOSE, FORMAT JSON) " + c.statement);
    Batch batch;
    std::vector<std::string> texts;
    while (cursor->next(batch, 16))
      for (std::size_t r = 0; r < batch.rows(); ++r) collect_strings(json::parse(batch.at(r, 0).to_text()), texts);
    for (const std::string& text : texts)
      for (std::string& name : called_functions(text, syntax)) functions.push_back(std::move(name));
  }
  refuse_denied(s.limits, functions);
  std::vector<Value> names;
  std::string placeholders;
  for (const std::string& name : functions) {
    if (s.limits.allowed_functions.contains(name)) continue;
    if (denied_function(name, family)) throw Error(ErrorKind::permission, fmt::format("the plan calls `{}()`, which acts outside the query: not on a read-only connection", name));
    names.emplace_back(name);
    placeholders += fmt::format("{}${}", placeholders.empty() ? "" : ", ", names.size());
  }
  if (names.empty()) return c.statement;
  auto volatile_ones = connection.query(
      "SELECT DISTINCT proname::text FROM pg_catalog.pg_proc WHERE provolatile = 'v' AND proname IN (" + placeholders +
          ") ORDER BY 1",
      names);
  Batch batch;
  if (volatile_ones->next(batch, 1))
    throw Error(ErrorKind::permission,
                fmt::format("`{}()` is a volatile function, which may change something: not on a read-only connection "
                            "(allow it by name in the config if it does not)",
                            batch.at(0, 0).to_text()));
  return c.statement;
}

CancelOnStop::CancelOnStop(db::Connection& connection, std::stop_token stop) : callback_(stop, Cancel{&connection}) {
  if (stop.stop_requested()) throw Error(ErrorKind::cancelled, "the call was cancelled");
}

Page SafeQueries::query(const std::string& name, const std::string& sql, std::optional<std::size_t> max_rows,
                        std::stop_token stop) {
  Session& s = session(name);
  close(s);
  std::string statement = sql;
  try {
    CancelOnStop cancel(connected(s), stop);
    if (!writable(name)) statement = guard(s, sql);
    else {
      refuse_denied(s.limits, called_functions(sql, connected(s).dialect().sql_syntax()));
      refuse_closed_schemas(connected(s), s.limits, name, sql);
    }
    return start(s, name, statement, max_rows);
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
    db::Connection& connection = connected(s);
    CancelOnStop cancel(connection, stop);
    SqlFamily family = sql_family(connection.dialect().name());
    if (!writable(name)) {
      statement = guard(s, sql);
    } else {
      // Explained, never run: EXPLAIN ANALYZE of a write meets a read-only transaction.
      refuse_closed_schemas(connection, s.limits, name, sql);
      connection.execute_script(begin_read_only(family));
      s.open = std::make_unique<OpenResult>();
      s.open->in_transaction = true;
    }
    std::string head = statement.substr(0, 7);
    if (!iequals(head, "EXPLAIN"))
      statement = (family == SqlFamily::sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + statement;
    Page out = start(s, name, statement, s.limits.max_rows);
    close(s);
    out.erase("cursor");
    return out;
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
    if (s->connection) cancel.emplace(*s->connection, stop);
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
