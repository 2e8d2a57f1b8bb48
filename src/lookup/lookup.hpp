// Lookup — one parameterised query run for many keys, as sql_call's queries do.
//
// A key is the values of the query's `{{…}}` templates for one record. fetch() takes the
// distinct keys of a batch and answers each with its rows or its error:
//
//   1. the cache (when configured) answers what it holds;
//   2. a batchable query (sql_batch.hpp) runs once per 1024 keys with `key IN (…)`, the
//      list padded to a power of two by repeating a key, so at most 11 statement shapes are
//      ever prepared; rows go back to their key through the added key column, matched by
//      canonical_key(). A NULL key matches nothing (as `= NULL` would) and is not sent;
//   3. everything else runs once per key.
//
// A preloaded lookup (`preload`) reads every key's rows with the batchable query's condition
// left out, once and then again when `refresh` has passed, and answers keys from memory.
// With `stale_for`, a key the unreachable database (its retries spent) cannot answer gets the
// rows cached or preloaded for it no longer ago than that; the log says when this starts and
// ends, and stale_note() says so meanwhile.
//
// When a batched query fails, its keys are retried one by one so that an error lands on the
// key that caused it. When it returns a row whose key matches none that was asked for, the
// database compared keys differently (a case-insensitive collation, '42abc' = 42 …): that
// chunk is redone key by key and the query is no longer batched.
//
// LookupConnection runs each statement on a connection leased from the run's pool, rerun on
// another after a transient failure (a dropped connection, a deadlock, a timeout) under a
// RetryPolicy before an error reaches a key (db::with_connection). Used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "lookup/lookup_cache.hpp"
#include "lookup/sql_batch.hpp"
#include "lookup/sql_template.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"
#include "weir/retry.hpp"

namespace weir::lookup {

class LookupConnection {
 public:
  // `subject` names the lookups in logs and errors, e.g. "pipelines.p.filters[0].sql_call: lookup".
  LookupConnection(std::shared_ptr<db::Pool> pool, RetryPolicy policy, std::string subject = "lookup");

  // Checks the database can be reached now, retrying as the policy allows (throws what
  // connecting throws) until `stop`, the run's, is requested; later retries end on it too.
  void open(std::stop_token stop = {});
  // The driver's dialect: the SQL is rendered once, before any connection is leased for it.
  const db::Dialect& dialect() const;
  const db::ConnectionConfig& config() const noexcept { return pool_->config(); }

  // Runs `sql` and reads every row. Transient errors are retried, on a new connection when
  // the old one failed; what is left is thrown with the connection's description (no
  // credentials) as context.
  LookupRows fetch(const std::string& sql, std::span<const Value> params);
  // Whether a failed statement is tried again as the policy allows (true) or only for a second.
  void retry(bool on) noexcept { retry_ = on; }
  // The columns `sql` returns, read from its first row at most.
  std::shared_ptr<const Schema> describe(const std::string& sql, std::span<const Value> params);

 private:
  template <class F>
  auto attempt(F&& fn) -> decltype(fn(std::declval<db::Connection&>()));

  std::shared_ptr<db::Pool> pool_;
  RetryPolicy policy_;
  std::stop_token stop_;
  std::string subject_;
  bool retry_ = true;
};

// A key's answer: rows, or why there are none.
struct LookupOutcome {
  std::shared_ptr<const LookupRows> rows;
  std::optional<Error> error;
};

struct LookupStats {
  std::uint64_t keys = 0;             // distinct keys asked for
  std::uint64_t queries = 0;          // statements run (batched, single and preloads)
  std::uint64_t batched_queries = 0;  // of which `IN (…)` statements
  std::uint64_t preloads = 0;         // of which reads of the whole result
  std::uint64_t stale = 0;            // keys answered past their ttl, the database unreachable
  LookupCache::Stats cache;
};

struct LookupOptions {
  bool batch = true;
  std::optional<CacheOptions> cache;
  // Reads every key's rows with one query, again once this old; needs a batchable query.
  std::optional<std::chrono::milliseconds> preload_refresh;
  // How old cached or preloaded rows may be served while the database cannot be reached.
  std::chrono::milliseconds stale_for{0};
};

class Lookup {
 public:
  using Key = std::vector<Value>;
  static constexpr std::size_t kMaxKeysPerQuery = 1024;

  Lookup(SqlTemplate sql, LookupOptions options);

  // Renders the SQL for the connection's dialect and reads the result columns.
  void open(LookupConnection& connection);

  const SqlTemplate& sql() const noexcept { return sql_; }
  // The columns each row has (without the batch key column); valid after open().
  const Schema& columns() const noexcept { return *columns_; }
  // Whether keys are looked up together; false with why_not() set when the SQL cannot be.
  bool batched() const noexcept { return plan_.has_value() && batch_; }
  const std::string& why_not_batched() const noexcept { return why_not_; }

  // Answers keys[i] in outcomes[i]. Lookup failures are outcomes, never exceptions. While the
  // database cannot be reached (retries spent), keys whose rows were read within stale_for
  // are answered with them.
  void fetch(std::span<const Key> keys, std::vector<LookupOutcome>& outcomes);

  LookupStats stats() const;
  // Set while answers are served stale: since when, and why (for progress lines).
  std::optional<std::string> stale_note() const;

 private:
  void fetch_batched(std::span<const Key> keys, std::span<const std::size_t> which,
                     std::vector<LookupOutcome>& outcomes);
  bool fetch_chunk(std::span<const Key> keys, std::span<const std::size_t> chunk,
                   std::vector<LookupOutcome>& outcomes);
  void fetch_single(std::span<const Key> keys, std::span<const std::size_t> which,
                    std::vector<LookupOutcome>& outcomes);
  void fetch_preloaded(std::span<const Key> keys, std::vector<LookupOutcome>& outcomes, LookupCache::Clock::time_point now);
  // Reads the whole result into preloaded_; false (error set) when it failed.
  bool preload(LookupCache::Clock::time_point now, std::optional<Error>& error);
  // Answers from the cache the keys in `which` whose lookup the unreachable database failed.
  void serve_stale(std::span<const Key> keys, std::span<const std::size_t> which, std::vector<LookupOutcome>& outcomes,
                   LookupCache::Clock::time_point now);
  // Logs when the database stops or starts answering again.
  void note_reachable(const Error* unreachable);

  SqlTemplate sql_;
  std::optional<BatchPlan> plan_;
  std::string why_not_;
  bool batch_;
  std::optional<LookupCache> cache_;
  LookupConnection* connection_ = nullptr;
  std::string single_sql_;
  std::vector<std::string> batched_sql_;  // by log2 of the padded key count
  std::shared_ptr<const Schema> columns_ = std::make_shared<const Schema>();
  LookupStats stats_;
  std::optional<std::chrono::milliseconds> preload_refresh_;
  std::chrono::milliseconds stale_for_;
  std::string preload_sql_;
  std::optional<std::unordered_map<std::string, std::shared_ptr<const LookupRows>>> preloaded_;  // by canonical_key
  LookupCache::Clock::time_point preloaded_at_;
  std::optional<std::string> unreachable_;  // the error, while the database does not answer
};

}  // namespace weir::lookup
