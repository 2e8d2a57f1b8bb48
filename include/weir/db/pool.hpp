// weir::db::Pool — a connection pool for one endpoint.
//
// acquire() hands out a Lease (RAII: the connection returns to the pool when the lease dies).
// The pool keeps between min_size and max_size connections, closes idle ones after
// idle_timeout and old ones after max_lifetime, validates a connection that sat idle before
// handing it out, runs session_init statements on every new connection and rolls back what a
// lease left open. acquire() connects once when it must: retrying is with_connection()'s job
// (below), under the caller's RetryPolicy, so there is one retry loop and one rule for what is
// worth rerunning (worth_rerunning). A circuit breaker stops hammering an endpoint that keeps
// failing: after failure_threshold failed connects in a row, acquire() fails fast for
// open_duration, then lets one attempt through.
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/retry.hpp"

namespace weir::db {

struct PoolOptions {
  std::size_t min_size = 0;
  std::size_t max_size = 10;
  std::chrono::milliseconds acquire_timeout{5'000};
  std::chrono::milliseconds idle_timeout{600'000};
  std::chrono::milliseconds max_lifetime{1'800'000};
  // A connection idle longer than this is pinged before it is handed out.
  std::chrono::milliseconds validate_after_idle{5'000};
  std::vector<std::string> session_init;  // e.g. "SET application_name = 'orders'"
  int failure_threshold = 5;
  std::chrono::milliseconds open_duration{5'000};
};

// Acquire-latency histogram bucket upper bounds, in microseconds (the last is +inf).
inline constexpr std::array<std::int64_t, 8> kAcquireBucketsMicros{50, 100, 250, 500, 1'000, 5'000, 25'000, -1};

struct PoolMetrics {
  std::size_t open = 0;     // connections open now: in use, idle, or being opened
  std::size_t in_use = 0;
  std::size_t idle = 0;
  std::size_t waiting = 0;  // callers waiting in acquire() now
  std::uint64_t created = 0;
  std::uint64_t closed = 0;
  std::uint64_t acquired = 0;
  std::uint64_t waits = 0;    // acquisitions that waited for a connection to be given back
  std::uint64_t retries = 0;  // units of work run again (with_connection, or a caller's count_retry)
  std::map<ErrorKind, std::uint64_t> errors;  // connect and validation failures by kind
  std::array<std::uint64_t, kAcquireBucketsMicros.size()> acquire_latency{};  // counts per bucket
  bool circuit_open = false;
};

class Pool;

// Exclusive use of one pooled connection. Destroying it gives the connection back (rolled
// back if a transaction was left open); discard() closes it instead (after a broken state).
class Lease {
 public:
  Lease() = default;
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&&) noexcept;
  ~Lease();

  Connection& operator*() const noexcept { return *connection_; }
  Connection* operator->() const noexcept { return connection_.get(); }
  explicit operator bool() const noexcept { return connection_ != nullptr; }
  void discard() noexcept;

 private:
  friend class Pool;
  Lease(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> connection, std::chrono::steady_clock::time_point born)
      : pool_(std::move(pool)), connection_(std::move(connection)), born_(born) {}
  void give_back() noexcept;

  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> connection_;
  std::chrono::steady_clock::time_point born_;
};

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  using Factory = std::function<std::unique_ptr<Connection>(const ConnectionConfig&)>;
  // The time idle_timeout, max_lifetime, validate_after_idle and open_duration are measured
  // in. Waiting for a free connection (acquire_timeout) always takes the steady clock's time.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `factory` defaults to db::connect and `clock` to the steady clock; tests pass their own to
  // count or fail connects, and to let time pass without sleeping.
  static std::shared_ptr<Pool> create(ConnectionConfig config, PoolOptions options = {}, Factory factory = {},
                                      Clock clock = {});

  // Waits up to acquire_timeout for a connection; throws Error{timeout} (pool exhausted) or
  // the connect error (Error{connection|auth…}), or Error{connection} while the circuit is open.
  Lease acquire();
  PoolMetrics metrics() const;
  const ConnectionConfig& config() const noexcept { return config_; }
  // Lets the pool hold at least `max_size` connections (one per holder that may keep a lease
  // while the others do: see Pools), so holders never wait on each other.
  void allow_at_least(std::size_t max_size);
  // Counts a unit of work run again on this pool's connections (PoolMetrics::retries).
  void count_retry() noexcept;
  // Closes idle connections past idle_timeout / max_lifetime and tops up to min_size.
  void maintain();
  // The server may have gone away (a leased connection lost it): every connection idle now
  // is pinged before it is handed out again, however briefly it sat.
  void distrust_idle() noexcept;

 private:
  friend class Lease;
  struct Idle {
    std::unique_ptr<Connection> connection;
    std::chrono::steady_clock::time_point born;
    std::chrono::steady_clock::time_point idle_since;
  };
  Pool(ConnectionConfig config, PoolOptions options, Factory factory, Clock clock);

  std::unique_ptr<Connection> open_connection();  // without the lock held
  // The most recently returned idle connection that is still fresh and answers; expired or
  // dead ones are closed on the way. Called with `lock` held; may release it meanwhile.
  std::optional<Idle> take_idle(std::unique_lock<std::mutex>& lock);
  void release(std::unique_ptr<Connection> connection, std::chrono::steady_clock::time_point born, bool reusable);
  void record_error(ErrorKind kind);
  void record_latency(std::chrono::steady_clock::duration waited);
  bool expired(const Idle& idle, std::chrono::steady_clock::time_point now) const;

  ConnectionConfig config_;
  PoolOptions options_;
  Factory factory_;
  Clock now_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::deque<Idle> idle_;  // most recently returned at the back
  std::size_t total_ = 0;  // idle + in use + being opened
  std::size_t waiting_ = 0;
  int consecutive_failures_ = 0;
  std::string last_failure_;  // the last failed connect's message, told while the circuit is open
  std::chrono::steady_clock::time_point circuit_open_until_{};
  std::chrono::steady_clock::time_point distrusted_before_{};  // idle since before this: ping
  PoolMetrics counters_;
};

// Whether a unit of work may run twice: rerunning a SELECT, an upsert of fixed values or a
// transaction that rolled back gives the same outcome; an INSERT without a key, an increment
// or a money transfer does not.
enum class Idempotent : bool { no = false, yes = true };

// The one rule for what is worth running again after `e`, for every user of a database (the
// modules, the commit engine, the state store, the dead letters):
//   - nothing was sent yet (`started` false: connecting failed): only a transient error
//     (e.retryable(): refused while the server is down or restarting, too many connections,
//     a pooler's queue full) — never a refused password, an unknown database or a TLS setup;
//   - the work started: when it is Idempotent::yes, a transient error (deadlock,
//     serialization failure, lock timeout) or any lost connection, even one the driver calls
//     permanent (a killed session can surface as a TLS error; connecting again says so for
//     good if it is); never a data or constraint error, and never work that is not idempotent.
inline bool worth_rerunning(const Error& e, bool started, Idempotent idempotent) noexcept {
  if (!started) return e.retryable();
  return idempotent == Idempotent::yes && worth_rerunning_idempotent(e);
}

// Runs `work` on a connection leased from `pool` and returns what it returns. `work` takes a
// Connection& — or a Lease&, which it may move out to keep the connection past the call (a
// cursor streaming its rows).
//
// A failure is retried under `policy` (attempts, total time, backoff; `hooks.stop` ends the
// waits) when worth_rerunning() says so: leasing failed, or the work is Idempotent::yes and
// met a transient error or a lost connection. A lost connection is discarded (never pooled
// again) and the pool pings its other idle connections before handing them out. Each rerun
// counts in the pool's metrics (retries). Any other error propagates at once.
//
// The work must not keep references to the Connection beyond its call. A transaction the work
// leaves open is rolled back when the lease returns (see Lease).
template <class F>
auto with_connection(Pool& pool, const RetryPolicy& policy, F&& work, Idempotent idempotent, RetryHooks hooks = {})
    -> decltype(auto) {
  bool started = false;
  auto told = std::move(hooks.on_retry);
  hooks.on_retry = [&pool, told](const Error& e, int attempt, std::chrono::milliseconds wait) {
    pool.count_retry();
    if (told) told(e, attempt, wait);
  };
  auto attempt = [&]() -> decltype(auto) {
    started = false;
    Lease lease = pool.acquire();
    started = true;
    try {
      if constexpr (std::is_invocable_v<F&, Lease&>) return work(lease);
      else return work(*lease);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::connection && lease) {
        lease.discard();
        pool.distrust_idle();
      }
      throw;
    }
  };
  return retry_if(policy, [&](const Error& e) { return worth_rerunning(e, started, idempotent); }, attempt,
                  std::move(hooks));
}

}  // namespace weir::db
