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
  RetryPolicy policy = policy_;
  if (!retry_) {  // a second's attempts: enough to replace the pooled connections an outage broke
    policy.max_attempts = 0;
    policy.max_time = std::chrono::seconds(1);
    policy.initial_delay = std::chrono::milliseconds(20);
    policy.max_delay = std::chrono::milliseconds(200);
  }
  try {
    return db::with_connection(*pool_, policy, fn, db::Idempotent::yes,
                               logged_retries(subject_, config().describe(), policy, stop_));
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

Lookup::Lookup(SqlTemplate sql, LookupOptions options)
    : sql_(std::move(sql)),
      batch_(options.batch),
      preload_refresh_(options.preload_refresh),
      stale_for_(options.stale_for) {
  plan_ = BatchPlan::make(sql_, why_not_);
  if (options.cache) {
    options.cache->stale_for = stale_for_;
    cache_.emplace(*options.cache);
  }
  if (preload_refresh_ && !plan_)
    throw Error(ErrorKind::internal, fmt::format("{}: preload of a query that cannot be batched", sql_.name()));
}

void Lookup::open(LookupConnection& connection) {
  connection_ = &connection;
  const db::Dialect& dialect = connection.dialect();
  single_sql_ = sql_.render(dialect);
  batched_sql_.clear();
  if (batched())
    for (std::size_t n = 1; n <= kMaxKeysPerQuery; n *= 2) batched_sql_.push_back(plan_->render(dialect, n));
  if (preload_refresh_) preload_sql_ = plan_->render_all();
  // NULL parameters: for the usual `col = {{…}}` nothing matches, so describing is cheap.
  std::vector<Value> nulls(sql_.fields().size());
  columns_ = connection.describe(single_sql_, nulls);
}

void Lookup::fetch(std::span<const Key> keys, std::vector<LookupOutcome>& outcomes) {
  outcomes.assign(keys.size(), LookupOutcome{});
  stats_.keys += keys.size();
  auto now = LookupCache::Clock::now();
  // While stale rows are served, a batch does not wait out the retries: one attempt says
  // whether the database is back.
  connection_->retry(!unreachable_);
  if (preload_refresh_) return fetch_preloaded(keys, outcomes, now);
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (cache_) outcomes[i].rows = cache_->get(keys[i], now);
    if (!outcomes[i].rows) missing.push_back(i);
  }
  if (missing.empty()) return;
  if (batched()) fetch_batched(keys, missing, outcomes);
  else fetch_single(keys, missing, outcomes);
  if (!cache_) return;
  for (std::size_t i : missing)
    if (outcomes[i].rows) cache_->put(keys[i], outcomes[i].rows, now);
  serve_stale(keys, missing, outcomes, now);
}

void Lookup::serve_stale(std::span<const Key> keys, std::span<const std::size_t> which,
                         std::vector<LookupOutcome>& outcomes, LookupCache::Clock::time_point now) {
  const Error* unreachable = nullptr;
  bool answered = false;
  for (std::size_t i : which) {
    std::optional<Error>& error = outcomes[i].error;
    answered = answered || !error;
    if (!error || !error->retryable()) continue;
    unreachable = &*error;
    if (auto rows = cache_->stale(keys[i], now)) {
      note_reachable(unreachable);
      outcomes[i].rows = std::move(rows);
      error.reset();
      ++stats_.stale;
    }
  }
  if (answered && !unreachable) note_reachable(nullptr);
}

void Lookup::note_reachable(const Error* unreachable) {
  if (unreachable && !unreachable_) {
    unreachable_ = unreachable->what();
    log::warn(fmt::format("{}: the lookup database cannot be reached; serving rows read up to {:.0f} s ago "
                          "(stale_for), asking for up to 1 s per batch, until it answers: {}",
                          sql_.name(), stale_for_.count() / 1000.0, *unreachable_));
  } else if (!unreachable && unreachable_) {
    unreachable_.reset();
    log::info(fmt::format("{}: the lookup database answers again; no longer serving stale rows", sql_.name()));
  }
}

std::optional<std::string> Lookup::stale_note() const {
  if (!unreachable_) return std::nullopt;
  return fmt::format("{}: serving stale rows ({} so far), the lookup database cannot be reached", sql_.name(), stats_.stale);
}

void Lookup::fetch_preloaded(std::span<const Key> keys, std::vector<LookupOutcome>& outcomes,
                             LookupCache::Clock::time_point now) {
  std::optional<Error> error;
  if (!preloaded_ || now - preloaded_at_ >= *preload_refresh_) {
    if (preload(now, error)) {
      note_reachable(nullptr);
    } else if (preloaded_ && error->retryable() && now - preloaded_at_ <= stale_for_) {
      note_reachable(&*error);  // the rows read before are served
      stats_.stale += keys.size();
      error.reset();
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (error) {
      outcomes[i].error = error;
      continue;
    }
    auto found = keys[i][0].is_null() ? preloaded_->end() : preloaded_->find(canonical_key(keys[i][0]));
    outcomes[i].rows = found == preloaded_->end() ? no_rows() : found->second;
  }
}

bool Lookup::preload(LookupCache::Clock::time_point now, std::optional<Error>& error) {
  ++stats_.queries;
  ++stats_.preloads;
  LookupRows rows;
  try {
    rows = connection_->fetch(preload_sql_, {});
  } catch (const Error& e) {
    error = e;
    return false;
  }
  std::unordered_map<std::string, std::shared_ptr<LookupRows>> groups;
  for (std::vector<Value>& row : rows) {
    std::string key = canonical_key(row.back());
    row.pop_back();
    auto& group = groups[std::move(key)];
    if (!group) group = std::make_shared<LookupRows>();
    group->push_back(std::move(row));
  }
  preloaded_.emplace();
  for (auto& [key, group] : groups) preloaded_->emplace(key, std::move(group));
  preloaded_at_ = now;
  return true;
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
