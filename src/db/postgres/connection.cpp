#include "db/postgres/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "db/postgres/bulk_writer.hpp"
#include "db/postgres/copy_cursor.hpp"
#include "db/postgres/cursor.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/types.hpp"
#include "weir/log.hpp"

namespace weir::db::postgres {
namespace {
constexpr std::size_t kMaxPreparedStatements = 256;

// The server's notices go to weir's log, not libpq's default of raw lines on stderr: warnings
// as warnings, the rest (NOTICE, INFO: chatter such as "already exists, skipping") as debug.
void log_notice(void*, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
  const log::Level level =
      severity && std::string_view(severity) == "WARNING" ? log::Level::warn : log::Level::debug;
  // Staged merges draw a notice per batch ("already exists, skipping"): not formatted unless shown.
  if (!message || level < log::level()) return;
  log::write(level, fmt::format("PostgreSQL {}: {}", severity ? severity : "NOTICE", message));
}
}  // namespace

void Params::bind(std::span<const Value> values, std::span<const Oid> types) {
  std::size_t n = values.size();
  texts_.resize(n);
  values_.assign(n, nullptr);
  lengths_.assign(n, 0);
  formats_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    try {
      if (!param_text(values[i], texts_[i], i < types.size() && is_json_type(types[i]))) continue;
    } catch (Error& e) {
      throw e.add_context(fmt::format("parameter {}", i + 1));
    }
    values_[i] = texts_[i].c_str();
    lengths_[i] = static_cast<int>(texts_[i].size());
    formats_[i] = values[i].type() == Type::bytes ? 1 : 0;
  }
}

ResultHandle checked(PGresult* raw, PGconn* conn, std::string_view context) {
  ResultHandle result(raw);
  if (!result) throw_connection_error(conn, context);
  switch (PQresultStatus(result.get())) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_PIPELINE_SYNC:
      return result;
    default:
      throw_result_error(result.get(), conn, context);
  }
}

PgConnection::PgConnection(ConnHandle conn, BulkMerge bulk_merge, bool transaction_pooler)
    : conn_(std::move(conn)),
      canceller_(PQgetCancel(conn_.get())),
      bulk_merge_(bulk_merge),
      transaction_pooler_(transaction_pooler) {
  PQsetNoticeReceiver(conn_.get(), &log_notice, nullptr);
}

PgConnection::~PgConnection() = default;  // an open cursor learns by its tether

namespace {
[[noreturn]] void wrong_param_count(std::size_t expected, std::size_t given) {
  throw Error(ErrorKind::config,
              fmt::format("the statement has {} parameter placeholder(s) but {} value(s) were given", expected, given));
}

std::vector<Oid> param_types(const PGresult* described) {
  std::vector<Oid> types(static_cast<std::size_t>(PQnparams(described)));
  for (std::size_t i = 0; i < types.size(); ++i) types[i] = PQparamtype(described, static_cast<int>(i));
  return types;
}

bool any_array(std::span<const Value> values) {
  return std::any_of(values.begin(), values.end(), [](const Value& v) { return v.type() == Type::array; });
}
}  // namespace

namespace {

// A codec per column of `described`'s result when every column has one, else none: the rows
// then come in binary form (a prepared statement's, COPY's).
std::vector<BinaryCodec> result_codecs(const PGresult* described) {
  std::vector<BinaryCodec> codecs;
  for (int i = 0; i < PQnfields(described); ++i) {
    auto codec = BinaryCodec::for_type(PQftype(described, i));
    if (!codec) return {};
    codecs.push_back(*codec);
  }
  return codecs;
}

}  // namespace

const PgConnection::Prepared& PgConnection::prepared(std::string_view sql, std::size_t param_count) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    if (it->second.param_types.size() != param_count) wrong_param_count(it->second.param_types.size(), param_count);
    return it->second;
  }
  if (statements_.size() >= kMaxPreparedStatements) {
    std::string oldest = std::move(statement_order_.front());
    statement_order_.pop_front();
    std::string name = statements_[oldest].name;
    statements_.erase(oldest);
    checked(PQexec(conn_.get(), ("DEALLOCATE " + name).c_str()), conn_.get(), "deallocating a statement");
  }
  std::string key(sql);
  std::string name = fmt::format("weir_{}", ++next_statement_);
  checked(PQprepare(conn_.get(), name.c_str(), key.c_str(), 0, nullptr), conn_.get(), "preparing statement");
  ResultHandle described = checked(PQdescribePrepared(conn_.get(), name.c_str()), conn_.get(), "preparing statement");
  statement_order_.push_back(key);
  const Prepared& p =
      statements_
          .emplace(std::move(key), Prepared{std::move(name), param_types(described.get()), result_codecs(described.get())})
          .first->second;
  if (p.param_types.size() != param_count) wrong_param_count(p.param_types.size(), param_count);
  return p;
}

bool PgConnection::replan(std::string_view sql, const PGresult* result) {
  if (!is_stale_plan(result)) return false;
  while (ResultHandle rest{PQgetResult(conn_.get())}) {
  }
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    // An aborted transaction refuses even DEALLOCATE: the statement then stays on the server,
    // unused, until the session ends (names are never reused).
    if (PQtransactionStatus(conn_.get()) == PQTRANS_IDLE)
      ResultHandle(PQexec(conn_.get(), ("DEALLOCATE " + it->second.name).c_str()));
    statement_order_.erase(std::find(statement_order_.begin(), statement_order_.end(), it->first));
    statements_.erase(it);
  }
  return PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

const std::vector<BinaryCodec>* PgConnection::send(std::string_view sql, std::span<const Value> params,
                                                   bool binary_rows) {
  Params& p = params_;
  int sent = 0;
  const std::vector<BinaryCodec>* codecs = nullptr;
  if (transaction_pooler_) {
    if (any_array(params)) {
      ResultHandle described = checked(describe(sql).release(), conn_.get(), "preparing statement");
      p.bind(params, param_types(described.get()));
    } else {
      p.bind(params);
    }
    sql_text_.assign(sql);
    sent = PQsendQueryParams(conn_.get(), sql_text_.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(),
                             0);
  } else {
    const Prepared& statement = prepared(sql, params.size());
    p.bind(params, statement.param_types);
    if (binary_rows && !statement.result_codecs.empty()) codecs = &statement.result_codecs;
    sent = PQsendQueryPrepared(conn_.get(), statement.name.c_str(), p.size(), p.values(), p.lengths(), p.formats(),
                               codecs ? 1 : 0);
  }
  if (!sent) throw_connection_error(conn_.get(), "sending statement");
  return codecs;
}

ResultHandle PgConnection::run(std::string_view sql, std::span<const Value> params) {
  finish_active_cursor();
  for (bool retried = false;; retried = true) {
    send(sql, params);
    ResultHandle result(PQgetResult(conn_.get()));
    if (!retried && replan(sql, result.get())) continue;
    // One statement: one result, then NULL (unless it is a COPY, which waits for its data).
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COPY_IN && status != PGRES_COPY_OUT && status != PGRES_COPY_BOTH)
      while (ResultHandle rest{PQgetResult(conn_.get())}) {
      }
    return checked(result.release(), conn_.get(), "running statement");
  }
}

ResultHandle PgConnection::describe(std::string_view sql) {
  // Parsed and described in one round trip (one Sync), so a transaction pooler cannot hand the
  // two to different server connections; the unnamed statement is replaced by the next one.
  PGconn* conn = conn_.get();
  sql_text_.assign(sql);
  if (!PQenterPipelineMode(conn)) throw_connection_error(conn, "describing query");
  if (!PQsendPrepare(conn, "", sql_text_.c_str(), 0, nullptr) || !PQsendDescribePrepared(conn, "") ||
      !PQpipelineSync(conn)) {
    end_pipeline_quietly(conn);
    throw_connection_error(conn, "describing query");
  }
  // Each statement's result, then a NULL; then the Sync's.
  ResultHandle parsed(PQgetResult(conn));
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  ResultHandle described(PQgetResult(conn));
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  ResultHandle synced(PQgetResult(conn));
  if (!PQexitPipelineMode(conn)) throw_connection_error(conn, "describing query");
  // After a failed parse the description only says "aborted": the parse's error is the one to show.
  if (!parsed || PQresultStatus(parsed.get()) != PGRES_COMMAND_OK) return parsed;
  return described;
}

void end_pipeline_quietly(PGconn* conn) noexcept {
  if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF) return;
  if (PQpipelineSync(conn)) {
    // One NULL ends each statement's results; two in a row mean nothing is pending.
    for (int nulls = 0; nulls < 2 && PQstatus(conn) == CONNECTION_OK;) {
      ResultHandle result(PQgetResult(conn));
      if (!result) {
        ++nulls;
        continue;
      }
      nulls = 0;
      if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
    }
  }
  PQexitPipelineMode(conn);
}

bool PgConnection::may_create_temp_tables() {
  if (!may_create_temp_tables_) {
    ResultHandle r = run("SELECT has_database_privilege(current_database(), 'TEMP')", {});
    may_create_temp_tables_ = std::string_view(PQgetvalue(r.get(), 0, 0)) == "t";
  }
  return *may_create_temp_tables_;
}

void PgConnection::finish_active_cursor() {
  if (active_cursor_) std::exchange(active_cursor_, nullptr)->supersede();
  if (!std::exchange(rollback_sent_, false)) return;
  ResultHandle answer(PQgetResult(conn_.get()));
  while (ResultHandle rest{PQgetResult(conn_.get())}) {
  }
  checked(answer.release(), conn_.get(), "rolling back");
  if (PQtransactionStatus(conn_.get()) != PQTRANS_IDLE)
    throw Error(ErrorKind::connection, "rolling back: the transaction did not end", "", true);
}

void PgConnection::rollback_unawaited() {
  finish_active_cursor();
  explicit_transaction_ = false;
  if (!PQsendQuery(conn_.get(), "ROLLBACK")) throw_connection_error(conn_.get(), "rolling back");
  rollback_sent_ = true;
}

ResultHandle PgConnection::run_after(std::string_view setup, std::string_view sql) {
  finish_active_cursor();
  PGconn* conn = conn_.get();
  // Prepared first (on its first use, its own round trip): a pipeline takes no synchronous call.
  const Prepared* statement = transaction_pooler_ ? nullptr : &prepared(sql, 0);
  std::string setup_text(setup);
  sql_text_.assign(sql);
  if (!PQenterPipelineMode(conn)) throw_connection_error(conn, "running statement");
  bool sent = PQsendQueryParams(conn, setup_text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) &&
              (statement ? PQsendQueryPrepared(conn, statement->name.c_str(), 0, nullptr, nullptr, nullptr, 0)
                         : PQsendQueryParams(conn, sql_text_.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) &&
              PQpipelineSync(conn);
  if (!sent) {
    end_pipeline_quietly(conn);
    throw_connection_error(conn, "running statement");
  }
  // Each statement's result, then a NULL; then the Sync's.
  ResultHandle first(PQgetResult(conn));
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  ResultHandle second(PQgetResult(conn));
  while (ResultHandle rest{PQgetResult(conn)}) {
  }
  ResultHandle synced(PQgetResult(conn));
  if (!PQexitPipelineMode(conn)) throw_connection_error(conn, "running statement");
  checked(first.release(), conn, "running statement");
  return checked(second.release(), conn, "running query");
}

std::unique_ptr<Cursor> PgConnection::copy_query(std::string_view sql) {
  std::optional<std::string_view> body = copyable_query(sql);
  if (!body) return nullptr;
  ResultHandle described = checked(describe(sql).release(), conn_.get(), "running query");
  SourceKeys keys = source_keys(sql, described.get());
  if (const int placeholders = PQnparams(described.get())) wrong_param_count(static_cast<std::size_t>(placeholders), 0);
  std::vector<BinaryCodec> codecs = result_codecs(described.get());
  if (codecs.empty()) return nullptr;
  std::vector<Oid> oids;
  auto cursor = std::make_unique<PgCopyCursor>(*this, fmt::format("COPY ({}\n) TO STDOUT (FORMAT binary)", *body),
                                               result_schema(described.get(), oids, keys), std::move(codecs));
  active_cursor_ = cursor.get();
  return cursor;
}

std::unique_ptr<Cursor> PgConnection::query(std::string_view sql, std::span<const Value> params) {
  return send_query(sql, params, true);
}

std::unique_ptr<Cursor> PgConnection::query_page(std::string_view sql, std::span<const Value> params) {
  return send_query(sql, params, false);
}

std::unique_ptr<Cursor> PgConnection::send_query(std::string_view sql, std::span<const Value> params,
                                                 bool row_by_row) {
  finish_active_cursor();
  if (params.empty())
    if (auto cursor = copy_query(sql)) return cursor;
  SourceKeys keys = source_keys(sql);
  for (bool retried = false;; retried = true) {
    const std::vector<BinaryCodec>* codecs = send(sql, params, true);
    if (row_by_row) PQsetSingleRowMode(conn_.get());
    ResultHandle first(PQgetResult(conn_.get()));  // the column descriptions, or the error
    if (!retried && replan(sql, first.get())) continue;
    auto cursor = std::make_unique<PgCursor>(*this, std::move(first), keys, codecs ? *codecs : std::vector<BinaryCodec>{});
    active_cursor_ = cursor.get();
    return cursor;
  }
}

SourceKeys PgConnection::source_keys(std::string_view sql, const PGresult* described) {
  if (auto it = source_keys_.find(sql); it != source_keys_.end()) return it->second;
  ResultHandle own;
  if (!described) {
    // Its error is the query's own: the one it would have given when run.
    own = checked(describe(sql).release(), conn_.get(), "running query");
    described = own.get();
  }
  SourceKeys keys = lookup_source_keys(*this, described);
  if (source_keys_.size() >= kMaxPreparedStatements) source_keys_.clear();
  source_keys_.emplace(std::string(sql), keys);
  return keys;
}

std::uint64_t PgConnection::execute(std::string_view sql, std::span<const Value> params) {
  ResultHandle r = run(sql, params);
  const char* tuples = PQcmdTuples(r.get());
  return tuples && *tuples ? std::strtoull(tuples, nullptr, 10) : 0;
}

void PgConnection::execute_script(std::string_view sql) {
  finish_active_cursor();
  checked(PQexec(conn_.get(), std::string(sql).c_str()), conn_.get(), "running script");
}

void PgConnection::begin() {
  execute_script("BEGIN");
  explicit_transaction_ = true;
}

void PgConnection::commit() {
  explicit_transaction_ = false;
  execute_script("COMMIT");
}

void PgConnection::rollback() {
  explicit_transaction_ = false;
  if (in_transaction()) execute_script("ROLLBACK");
}

bool PgConnection::in_transaction() const noexcept {
  if (rollback_sent_) return false;
  auto status = PQtransactionStatus(conn_.get());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

std::unique_ptr<BulkWriter> PgConnection::bulk_writer(const WriteSpec& spec) {
  return std::make_unique<PgBulkWriter>(*this, spec);
}

std::vector<TableRef> PgConnection::list_tables() {
  ResultHandle r = run(
      "SELECT table_schema, table_name FROM information_schema.tables "
      "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
      {});
  std::vector<TableRef> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(TableRef{PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1)});
  return out;
}

std::optional<TableInfo> PgConnection::describe_table(const TableRef& table) {
  std::vector<Value> name{Value(dialect_.quote_table(table))};
  ResultHandle cols = run(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid::int8, NOT a.attnotnull, a.atttypmod "
      "FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attnum",
      name);
  if (PQntuples(cols.get()) == 0) return std::nullopt;
  TableInfo info{table, {}, {}, std::nullopt};
  for (int i = 0; i < PQntuples(cols.get()); ++i) {
    auto oid = static_cast<Oid>(std::strtoul(PQgetvalue(cols.get(), i, 2), nullptr, 10));
    const PgType* t = find_type(oid);
    info.columns.push_back(Column{PQgetvalue(cols.get(), i, 0), t ? t->type : Type::text,
                                  PQgetvalue(cols.get(), i, 1), PQgetvalue(cols.get(), i, 3)[0] == 't'});
    describe_modifier(oid, std::atoi(PQgetvalue(cols.get(), i, 4)), info.columns.back());
  }
  ResultHandle key = run(
      "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.n",
      name);
  for (int i = 0; i < PQntuples(key.get()); ++i) info.primary_key.emplace_back(PQgetvalue(key.get(), i, 0));
  ResultHandle estimate = run("SELECT reltuples::int8 FROM pg_class WHERE oid = to_regclass($1)", name);
  if (PQntuples(estimate.get()) == 1) {
    std::int64_t n = std::strtoll(PQgetvalue(estimate.get(), 0, 0), nullptr, 10);
    if (n >= 0) info.row_estimate = n;
  }
  return info;
}

void PgConnection::ping() { run("SELECT 1", {}); }

void PgConnection::cancel() noexcept {
  char message[256];
  if (canceller_) PQcancel(canceller_.get(), message, sizeof message);
}

}  // namespace weir::db::postgres
