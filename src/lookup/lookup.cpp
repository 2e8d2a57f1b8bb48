#include "lookup/lookup.hpp"

#include <fmt/format.h>

#include <bit>
#include <unordered_map>

#include "core/value_order.hpp"
#include "weir/log.hpp"

namespace weir::lookup {

LookupConnection::LookupConnection(std::shared_ptr<db::Pool> pool, RetryPolicy policy, std::string subject)
    : pool_(std::move(pool)), policy_(policy), subject_(std::move(subject)) {}

// A server restarting as the run starts is waited out as one restarting mid-run is.
void LookupConnection::open(std::stop_token stop) {
  stop_ = std::move(stop);
  attempt([](db::Connection& c) { c.ping(); });
}

const db::Dialect& LookupConnection::dialect() const {
  return db::Registry::builtin().for_scheme(config().url.scheme).dialect();
}

template <class F>
auto LookupConnection::attempt(F&& fn) -> decltype(fn(std::declval<db::Connection&>())) {
  try {
    return db::with_connection(*pool_, policy_, fn, db::Idempotent::yes,
                               logged_retries(subject_, config().describe(), policy_, stop_));
  } catch (Error& e) {
    throw e.add_context(naming_connection(e, subject_, config().describe()));
  }
}

LookupRows LookupConnection::fetch(const std::string& sql, std::span<const Value> params) {
  return attempt([&](db::Connection& c) {
    LookupRows rows;
    auto cursor = c.query(sql, params);
    Batch batch;
    while (cursor->next(batch, 1024))
      for (std::size_t r = 0; r < batch.rows(); ++r) rows.emplace_back(batch.row(r).begin(), batch.row(r).end());
    return rows;
  });
}

std::shared_ptr<const Schema> LookupConnection::describe(const std::string& sql, std::span<const Value> params) {
  return attempt([&](db::Connection& c) {
    auto cursor = c.query(sql, params);
    Batch first;
    cursor->next(first, 1);
    return cursor->schema();
  });
}

namespace {
const std::shared_ptr<const LookupRows>& no_rows() {
  static const auto empty = std::make_shared<const LookupRows>();
  return empty;
}
}  // namespace

Lookup::Lookup(SqlTemplate sql, LookupOptions options) : sql_(std::move(sql)), batch_(options.batch) {
  plan_ = BatchPlan::make(sql_, why_not_);
  if (options.cache) cache_.emplace(options.cache->first, options.cache->second);
}

void Lookup::open(LookupConnection& connection) {
  connection_ = &connection;
  const db::Dialect& dialect = connection.dialect();
  single_sql_ = sql_.render(dialect);
  batched_sql_.clear();
  if (batched())
    for (std::size_t n = 1; n <= kMaxKeysPerQuery; n *= 2) batched_sql_.push_back(plan_->render(dialect, n));
  // NULL parameters: for the usual `col = {{…}}` nothing matches, so describing is cheap.
  std::vector<Value> nulls(sql_.fields().size());
  columns_ = connection.describe(single_sql_, nulls);
}

void Lookup::fetch(std::span<const Key> keys, std::vector<LookupOutcome>& outcomes) {
  outcomes.assign(keys.size(), LookupOutcome{});
  stats_.keys += keys.size();
  std::vector<std::size_t> missing;
  auto now = LookupCache::Clock::now();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (cache_) outcomes[i].rows = cache_->get(keys[i], now);
    if (!outcomes[i].rows) missing.push_back(i);
  }
  if (batched()) fetch_batched(keys, missing, outcomes);
  else fetch_single(keys, missing, outcomes);
  if (cache_)
    for (std::size_t i : missing)
      if (outcomes[i].rows) cache_->put(keys[i], outcomes[i].rows, now);
}

void Lookup::fetch_batched(std::span<const Key> keys, std::span<const std::size_t> which,
                           std::vector<LookupOutcome>& outcomes) {
  std::vector<std::size_t> sendable;
  sendable.reserve(which.size());
  for (std::size_t i : which) {
    if (keys[i][0].is_null()) outcomes[i].rows = no_rows();
    else sendable.push_back(i);
  }
  for (std::size_t start = 0; start < sendable.size(); start += kMaxKeysPerQuery) {
    auto chunk = std::span(sendable).subspan(start, std::min(kMaxKeysPerQuery, sendable.size() - start));
    if (!batched() || !fetch_chunk(keys, chunk, outcomes)) fetch_single(keys, chunk, outcomes);
  }
}

// One `IN (…)` query for the chunk's keys. False when the chunk has to be redone key by key.
bool Lookup::fetch_chunk(std::span<const Key> keys, std::span<const std::size_t> chunk,
                         std::vector<LookupOutcome>& outcomes) {
  std::size_t padded = std::bit_ceil(chunk.size());
  std::vector<Value> params;
  params.reserve(padded);
  std::unordered_map<std::string, std::shared_ptr<LookupRows>> groups;
  for (std::size_t i : chunk) {
    params.push_back(keys[i][0]);
    groups.try_emplace(canonical_key(keys[i][0]), nullptr);
  }
  while (params.size() < padded) params.push_back(params.back());
  LookupRows rows;
  ++stats_.queries;
  try {
    rows = connection_->fetch(batched_sql_[static_cast<std::size_t>(std::countr_zero(padded))], params);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::connection) return false;  // find out which key it was
    for (std::size_t i : chunk) outcomes[i].error = e;   // retries are spent: the server is gone
    return true;
  }
  ++stats_.batched_queries;
  for (std::vector<Value>& row : rows) {
    auto group = row.size() == columns_->size() + 1 ? groups.find(canonical_key(row.back())) : groups.end();
    if (group == groups.end()) {
      batch_ = false;
      log::warn(fmt::format("{}: the database matched a key that was not asked for (a case-insensitive collation or "
                            "a type conversion?); looking keys up one at a time from now on",
                            sql_.name()));
      return false;
    }
    row.pop_back();
    if (!group->second) group->second = std::make_shared<LookupRows>();
    group->second->push_back(std::move(row));
  }
  for (std::size_t i : chunk) {
    auto& group = groups.find(canonical_key(keys[i][0]))->second;
    outcomes[i].rows = group ? group : no_rows();
  }
  return true;
}

void Lookup::fetch_single(std::span<const Key> keys, std::span<const std::size_t> which,
                          std::vector<LookupOutcome>& outcomes) {
  std::optional<Error> server_gone;
  for (std::size_t i : which) {
    if (server_gone) {
      outcomes[i].error = server_gone;
      continue;
    }
    ++stats_.queries;
    try {
      LookupRows rows = connection_->fetch(single_sql_, keys[i]);
      outcomes[i].rows = rows.empty() ? no_rows() : std::make_shared<const LookupRows>(std::move(rows));
    } catch (const Error& e) {
      outcomes[i].error = e;
      if (e.kind() == ErrorKind::connection) server_gone = e;  // retries are spent; spare the rest
    }
  }
}

LookupStats Lookup::stats() const {
  LookupStats s = stats_;
  if (cache_) s.cache = cache_->stats();
  return s;
}

}  // namespace weir::lookup
