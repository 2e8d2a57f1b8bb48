#include "weir/db/pool.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::db {
namespace {
// Waiting for a free connection and its latency are real time; every other time is now_().
using Steady = std::chrono::steady_clock;

std::int64_t millis(Steady::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// Pings `connection`; false (and the error kind) when it fails.
bool still_alive(Connection& connection, ErrorKind& kind) noexcept {
  try {
    if (connection.broken()) {
      kind = ErrorKind::connection;
      return false;
    }
    connection.ping();
    return true;
  } catch (const Error& e) {
    kind = e.kind();
  } catch (...) {
    kind = ErrorKind::internal;
  }
  return false;
}
}  // namespace

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    pool_ = std::move(other.pool_);
    connection_ = std::move(other.connection_);
    born_ = other.born_;
  }
  return *this;
}

Lease::~Lease() { give_back(); }

void Lease::discard() noexcept {
  if (!connection_) return;
  pool_->release(std::move(connection_), born_, false);
  pool_.reset();
}

void Lease::give_back() noexcept {
  if (!connection_) return;
  bool reusable = !connection_->broken();
  if (reusable && connection_->in_transaction()) {
    try {
      connection_->rollback();
    } catch (...) {
      reusable = false;
    }
  }
  pool_->release(std::move(connection_), born_, reusable);
  pool_.reset();
}

std::shared_ptr<Pool> Pool::create(ConnectionConfig config, PoolOptions options, Factory factory, Clock clock) {
  if (options.max_size == 0) throw Error(ErrorKind::config, "pool max size must be at least 1");
  if (options.min_size > options.max_size)
    throw Error(ErrorKind::config, fmt::format("pool min size {} exceeds max size {}", options.min_size, options.max_size));
  if (!factory) factory = [](const ConnectionConfig& c) { return connect(c); };
  if (!clock) clock = [] { return std::chrono::steady_clock::now(); };
  std::shared_ptr<Pool> pool(new Pool(std::move(config), std::move(options), std::move(factory), std::move(clock)));
  pool->maintain();
  return pool;
}

Pool::Pool(ConnectionConfig config, PoolOptions options, Factory factory, Clock clock)
    : config_(std::move(config)), options_(std::move(options)), factory_(std::move(factory)), now_(std::move(clock)) {}

bool Pool::expired(const Idle& idle, Steady::time_point now) const {
  return now - idle.idle_since >= options_.idle_timeout || now - idle.born >= options_.max_lifetime;
}

void Pool::record_error(ErrorKind kind) { ++counters_.errors[kind]; }

void Pool::record_latency(Steady::duration waited) {
  std::int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
  std::size_t bucket = 0;
  while (kAcquireBucketsMicros[bucket] >= 0 && micros > kAcquireBucketsMicros[bucket]) ++bucket;
  ++counters_.acquire_latency[bucket];
  ++counters_.acquired;
}

// One attempt: with_connection() retries under its caller's policy.
std::unique_ptr<Connection> Pool::open_connection() {
  std::unique_ptr<Connection> c = factory_(config_);
  for (const std::string& sql : options_.session_init) c->execute_script(sql);
  return c;
}

std::optional<Pool::Idle> Pool::take_idle(std::unique_lock<std::mutex>& lock) {
  while (!idle_.empty()) {
    Idle item = std::move(idle_.back());
    idle_.pop_back();
    Steady::time_point now = now_();
    bool fresh = !expired(item, now);
    if (fresh && (now - item.idle_since >= options_.validate_after_idle || item.idle_since < distrusted_before_)) {
      lock.unlock();  // a ping is a round trip: not under the lock
      ErrorKind kind{};
      fresh = still_alive(*item.connection, kind);
      lock.lock();
      if (!fresh) record_error(kind);
    }
    if (fresh) return item;
    --total_;
    ++counters_.closed;
    lock.unlock();
    item.connection.reset();
    lock.lock();
  }
  return std::nullopt;
}

Lease Pool::acquire() {
  const Steady::time_point started = Steady::now();
  const Steady::time_point deadline = started + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  ++waiting_;
  struct WaitingGuard {
    std::size_t& waiting;
    ~WaitingGuard() { --waiting; }
  } guard{waiting_};
  bool waited = false;
  for (;;) {
    if (std::optional<Idle> item = take_idle(lock)) {
      ++counters_.in_use;
      record_latency(Steady::now() - started);
      return Lease(shared_from_this(), std::move(item->connection), item->born);
    }
    Steady::time_point now = now_();
    if (now < circuit_open_until_) {
      record_error(ErrorKind::connection);
      // The last connect's own error (it names the connection), so a caller that gives up meanwhile
      // says why the server could not be reached, not only that the pool stopped trying.
      throw Error(ErrorKind::connection,
                  fmt::format("{} ({} connects failed in a row; not trying again for {} ms)", last_failure_,
                              consecutive_failures_, millis(circuit_open_until_ - now)));
    }
    if (total_ < options_.max_size) {
      ++total_;
      lock.unlock();
      std::unique_ptr<Connection> connection;
      try {
        connection = open_connection();
      } catch (const Error& e) {
        lock.lock();
        --total_;
        record_error(e.kind());
        last_failure_ = e.what();
        if (++consecutive_failures_ >= options_.failure_threshold)
          circuit_open_until_ = now_() + options_.open_duration;
        available_.notify_one();
        throw;
      }
      lock.lock();
      consecutive_failures_ = 0;
      ++counters_.created;
      ++counters_.in_use;
      record_latency(Steady::now() - started);
      return Lease(shared_from_this(), std::move(connection), now_());
    }
    if (!waited) ++counters_.waits;
    waited = true;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        total_ >= options_.max_size) {
      record_error(ErrorKind::timeout);
      throw Error(ErrorKind::timeout, fmt::format("{}: no pooled connection became free within {} ms ({} in use)",
                                                  config_.describe(), options_.acquire_timeout.count(),
                                                  counters_.in_use));
    }
  }
}

void Pool::release(std::unique_ptr<Connection> connection, Steady::time_point born, bool reusable) {
  std::unique_lock lock(mutex_);
  --counters_.in_use;
  Steady::time_point now = now_();
  if (reusable && now - born < options_.max_lifetime) {
    idle_.push_back(Idle{std::move(connection), born, now});
  } else {
    --total_;
    ++counters_.closed;
  }
  available_.notify_one();
  lock.unlock();
  connection.reset();  // closing may take a round trip: not under the lock
}

PoolMetrics Pool::metrics() const {
  std::lock_guard lock(mutex_);
  PoolMetrics m = counters_;
  m.idle = idle_.size();
  m.open = total_;
  m.waiting = waiting_;
  m.circuit_open = now_() < circuit_open_until_;
  return m;
}

void Pool::allow_at_least(std::size_t max_size) {
  std::lock_guard lock(mutex_);
  options_.max_size = std::max(options_.max_size, max_size);
}

void Pool::count_retry() noexcept {
  std::lock_guard lock(mutex_);
  ++counters_.retries;
}

void Pool::distrust_idle() noexcept {
  std::lock_guard lock(mutex_);
  distrusted_before_ = now_();
}

void Pool::maintain() {
  std::vector<std::unique_ptr<Connection>> to_close;
  std::size_t to_open = 0;
  {
    std::lock_guard lock(mutex_);
    Steady::time_point now = now_();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (expired(*it, now)) {
        to_close.push_back(std::move(it->connection));
        it = idle_.erase(it);
        --total_;
        ++counters_.closed;
      } else {
        ++it;
      }
    }
    if (total_ < options_.min_size) {
      to_open = options_.min_size - total_;
      total_ += to_open;
    }
  }
  to_close.clear();
  for (std::size_t i = 0; i < to_open; ++i) {
    std::unique_ptr<Connection> c;
    try {
      c = open_connection();
    } catch (const Error& e) {
      std::lock_guard lock(mutex_);
      total_ -= to_open - i;
      record_error(e.kind());
      throw;
    }
    std::lock_guard lock(mutex_);
    ++counters_.created;
    Steady::time_point now = now_();
    idle_.push_back(Idle{std::move(c), now, now});
    available_.notify_one();
  }
}

}  // namespace weir::db
