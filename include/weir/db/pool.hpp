// weir::db::Pool — a connection pool for one endpoint.
//
// acquire() hands out a Lease (RAII: the connection returns to the pool when the lease dies).
// The pool keeps between min_size and max_size connections, closes idle ones after
// idle_timeout and old ones after max_lifetime, validates a connection that sat idle before
// handing it out, runs session_init statements on every new connection, rolls back what a
// lease left open, and reconnects with exponential backoff and full jitter. A circuit breaker
// stops hammering an endpoint that keeps failing: after failure_threshold failed connects in a
// row, acquire() fails fast for open_duration, then lets one attempt through.
//
// with_connection() (below) runs a unit of work on a lease and, when the server goes away
// under it, reruns it on a fresh connection if the work is idempotent.
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
  RetryPolicy reconnect{3, std::chrono::milliseconds(50), std::chrono::milliseconds(2'000), 2.0};
  int failure_threshold = 5;
  std::chrono::milliseconds open_duration{5'000};
};

// Acquire-latency histogram bucket upper bounds, in microseconds (the last is +inf).
inline constexpr std::array<std::int64_t, 8> kAcquireBucketsMicros{50, 100, 250, 500, 1'000, 5'000, 25'000, -1};

struct PoolMetrics {
  std::size_t in_use = 0;
  std::size_t idle = 0;
  std::size_t waiting = 0;
  std::uint64_t created = 0;
  std::uint64_t closed = 0;
  std::uint64_t acquired = 0;
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
  std::chrono::steady_clock::time_point circuit_open_until_{};
  std::chrono::steady_clock::time_point distrusted_before_{};  // idle since before this: ping
  PoolMetrics counters_;
};

// Whether a unit of work may run twice: rerunning a SELECT or an upsert of fixed values gives
// the same outcome; an INSERT without a key, an increment or a money transfer does not.
enum class Idempotent : bool { no = false, yes = true };

// True for a lost connection (the server closed it, restarted, or the network failed): the
// errors with_connection reruns work for.
inline bool is_lost_connection(const Error& e) noexcept {
  return e.kind() == ErrorKind::connection && e.retryable();
}

// Runs `work(Connection&)` on a connection leased from `pool` and returns what it returns.
//
// When the work fails because the connection was lost (is_lost_connection: the server
// restarted under a running query), the broken lease is discarded (never pooled again), the
// pool is told to ping its other idle connections before reuse, and — only if the work is
// Idempotent::yes — the work runs again on a fresh connection: the pool reconnects with its
// own backoff, and `policy` bounds the attempts and the jittered delay between them. Work that
// is Idempotent::no is never rerun once it has started, since it may have taken effect on the
// server before the connection broke; the error propagates. Failing to lease a connection
// (connect refused while the server is down) sends nothing, so that is retried under `policy`
// in both cases. Any other error propagates at once.
//
// The work must not keep references to the Connection beyond its call. A transaction the work
// leaves open is rolled back when the lease returns (see Lease).
template <class F>
auto with_connection(Pool& pool, const RetryPolicy& policy, F&& work, Idempotent idempotent, RetryHooks hooks = {})
    -> std::invoke_result_t<F&, Connection&> {
  std::mt19937_64 rng(hooks.seed);
  for (int attempt = 1;; ++attempt) {
    bool started = false;
    try {
      Lease lease = pool.acquire();
      started = true;
      try {
        return work(*lease);
      } catch (const Error& e) {
        if (is_lost_connection(e)) {
          lease.discard();
          pool.distrust_idle();
        }
        throw;
      }
    } catch (const Error& e) {
      bool rerun = is_lost_connection(e) && (!started || idempotent == Idempotent::yes);
      if (!rerun || attempt >= policy.max_attempts) throw;
      auto wait = policy.delay(attempt, rng);
      if (hooks.on_retry) hooks.on_retry(e, attempt, wait);
      if (hooks.sleep) hooks.sleep(wait);
      else std::this_thread::sleep_for(wait);
    }
  }
}

}  // namespace weir::db
