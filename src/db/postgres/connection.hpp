// PostgreSQL connection over libpq: prepared statements cached per connection (unnamed ones,
// parsed with each statement, behind a transaction pooler), streaming results through COPY …
// TO STDOUT (FORMAT binary) where a query allows it and single-row mode otherwise, canonical
// session settings for text parsing (session.hpp).
#pragma once

#include <libpq-fe.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/postgres/binary_codec.hpp"
#include "db/postgres/dialect.hpp"
#include "weir/db/driver.hpp"

namespace weir::db {
template <class Conn>
class StreamingCursor;
}  // namespace weir::db

namespace weir::db::postgres {

struct ConnCloser {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
struct CancelFreer {
  void operator()(PGcancel* c) const noexcept { PQfreeCancel(c); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;
using CancelHandle = std::unique_ptr<PGcancel, CancelFreer>;

// Parameters in libpq's arrays; text format except bytea (binary).
class Params {
 public:
  // `types`: each parameter's type where known (0 where not; none at all is fine), which
  // says how an array is written (param_text's `into_json`).
  void bind(std::span<const Value> values, std::span<const Oid> types = {});
  int size() const noexcept { return static_cast<int>(values_.size()); }
  const char* const* values() const noexcept { return values_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  std::vector<std::string> texts_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
};

// What the catalog says of a result's columns that are a table's own (PQftable, PQftablecol):
// NOT NULL, and part of the table's primary key. A result carries neither, so they are looked
// up before it streams (PgConnection::source_keys), for tables weir creates from it.
struct SourceKey {
  bool not_null = false;
  bool primary_key = false;
};
using SourceKeys = std::vector<SourceKey>;

class PgConnection;
// What the connection needs of the cursor streaming on it (db/common/cut_off_cursor.hpp).
using PgStreamingCursor = StreamingCursor<PgConnection>;

// How bulk upserts, updates and deletes reach the server (URL option bulk_merge): through a
// staged COPY and one merge statement, as prepared statements pipelined one per row, or
// (automatic) staged for batches large enough to gain from it.
enum class BulkMerge { automatic, copy, statements };

class PgConnection final : public Connection {
 public:
  // `transaction_pooler`: a pooler may run each transaction on another server connection, so
  // no statement is kept prepared (session.hpp).
  explicit PgConnection(ConnHandle conn, BulkMerge bulk_merge = BulkMerge::automatic, bool transaction_pooler = false);
  ~PgConnection() override;

  const Dialect& dialect() const noexcept override { return dialect_; }
  std::unique_ptr<Cursor> query(std::string_view sql, std::span<const Value> params) override;
  // In one result, not libpq's single-row mode: that makes a result, with a copy of the column
  // descriptions, per row.
  std::unique_ptr<Cursor> query_page(std::string_view sql, std::span<const Value> params) override;
  std::uint64_t execute(std::string_view sql, std::span<const Value> params) override;
  void execute_script(std::string_view sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const noexcept override;
  std::unique_ptr<BulkWriter> bulk_writer(const WriteSpec& spec) override;
  std::vector<TableRef> list_tables() override;
  std::optional<TableInfo> describe_table(const TableRef& table) override;
  void ping() override;
  // libpq saw the server close the connection (or never got one up).
  bool broken() const noexcept override { return PQstatus(conn_.get()) == CONNECTION_BAD; }
  void cancel() noexcept override;

  PGconn* handle() const noexcept { return conn_.get(); }
  BulkMerge bulk_merge() const noexcept { return bulk_merge_; }
  bool transaction_pooler() const noexcept { return transaction_pooler_; }
  // Whether this role may create temporary tables here (the TEMP privilege), asked once.
  bool may_create_temp_tables();
  // Runs a statement to completion (prepared, or unnamed behind a transaction pooler); throws on error.
  ResultHandle run(std::string_view sql, std::span<const Value> params);
  // After `result` came for the prepared statement of `sql`: when it is a stale plan (see
  // is_stale_plan), drops the statement, reads what is left of the result and returns whether
  // running it again can succeed (not inside a transaction block, which the error aborted).
  bool replan(std::string_view sql, const PGresult* result);
  // Runs `setup` (a statement that returns no rows, such as BEGIN) then `sql` in one round trip:
  // pipeline mode, each with the extended protocol (so neither can carry a second statement),
  // one Sync. Returns `sql`'s whole result (for small ones); throws `setup`'s error, which
  // stops `sql` from running, or `sql`'s.
  ResultHandle run_after(std::string_view setup, std::string_view sql);
  // Sends ROLLBACK and returns without waiting for its answer: the server ends the transaction
  // as soon as it reads it; the next use of the connection reads the answer first (and throws
  // if it was an error). Until then in_transaction() is false.
  void rollback_unawaited();
  // Ends the streaming cursor, if any, and reads an unawaited answer, so the connection can
  // take another statement.
  void finish_active_cursor();
  void set_active_cursor(PgStreamingCursor* cursor) noexcept { active_cursor_ = cursor; }
  // Inside BEGIN … COMMIT: a cancelled statement would abort the whole transaction.
  bool explicit_transaction() const noexcept { return explicit_transaction_; }

 private:
  // A PgCopyCursor for `sql` when COPY can run it (copy_cursor.hpp), else nullptr.
  std::unique_ptr<Cursor> copy_query(std::string_view sql);
  std::unique_ptr<Cursor> send_query(std::string_view sql, std::span<const Value> params, bool row_by_row);
  struct Prepared {
    std::string name;
    std::vector<Oid> param_types;  // as the server inferred them
    // A codec per result column when each column has one (values then come in binary form, as
    // COPY's do: the server formats no text and weir parses none); else empty.
    std::vector<BinaryCodec> result_codecs;
  };
  // The server-side prepared statement for `sql` (prepared on first use); throws
  // Error{config} when the statement takes another number of parameters than `param_count`.
  const Prepared& prepared(std::string_view sql, std::size_t param_count);
  // Binds `params` for `sql`'s parameter types (an array into json is JSON: Params::bind) and
  // sends it: the prepared statement, or behind a transaction pooler the unnamed one, parsed
  // in the same round trip (its types asked for first when an array needs them).
  // With `binary_rows`, a prepared statement whose columns all have a codec asks for its rows
  // in binary form: the codecs to read them with are returned (else nullptr: text).
  const std::vector<BinaryCodec>* send(std::string_view sql, std::span<const Value> params, bool binary_rows = false);
  // The columns `sql` returns, described without running it.
  ResultHandle describe(std::string_view sql);
  // The source keys of `sql`'s result columns (lookup_source_keys), looked up once per SQL;
  // `described` is its description when the caller has it.
  SourceKeys source_keys(std::string_view sql, const PGresult* described = nullptr);

  ConnHandle conn_;
  CancelHandle canceller_;
  PgDialect dialect_;
  // Looked up by string_view: a query's SQL is not copied to find its statement.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, Prepared, SqlHash, std::equal_to<>> statements_;  // SQL → server statement
  std::deque<std::string> statement_order_;                    // oldest first, for eviction
  std::unordered_map<std::string, SourceKeys, SqlHash, std::equal_to<>> source_keys_;  // SQL → its result's
  std::uint64_t next_statement_ = 0;
  Params params_;  // reused by run() and query(): binding allocates nothing in the steady state
  std::string sql_text_;  // the NUL-terminated copy libpq needs of an unnamed statement's SQL
  PgStreamingCursor* active_cursor_ = nullptr;
  bool explicit_transaction_ = false;
  bool rollback_sent_ = false;  // rollback_unawaited()'s answer not read yet
  BulkMerge bulk_merge_;
  bool transaction_pooler_;
  std::optional<bool> may_create_temp_tables_;
};

// Checks a result's status; throws the mapped error for failures.
ResultHandle checked(PGresult* result, PGconn* conn, std::string_view context);

// Leaves pipeline mode after a failure part-way through sending: syncs, reads and drops what
// the server still answers, so the connection takes ordinary statements again.
void end_pipeline_quietly(PGconn* conn) noexcept;

}  // namespace weir::db::postgres
