// Pooled point SELECTs by primary key from `clients` threads sharing a weir::db::Pool of as
// many connections, for `seconds`: the workload of `pgbench -S` (bench/point_select.sh runs
// both). Prints transactions per second and the pool's acquire-latency p95.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "weir/db/pool.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s URL CLIENTS SECONDS ACCOUNTS\n", argv[0]);
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  weir::db::ConnectionConfig config;
  config.url = weir::Url::parse(argv[1]);
  const int clients = std::atoi(argv[2]);
  const auto duration = std::chrono::seconds(std::atoi(argv[3]));
  const std::int64_t accounts = std::atoll(argv[4]);
  weir::db::PoolOptions options;
  options.max_size = static_cast<std::size_t>(clients);
  options.min_size = options.max_size;
  options.acquire_timeout = std::chrono::seconds(30);
  auto pool = weir::db::Pool::create(config, options);

  std::atomic<bool> stop{false};
  std::vector<std::uint64_t> done(clients, 0);
  std::vector<std::vector<std::int64_t>> waits(clients);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::uniform_int_distribution<std::int64_t> pick(1, accounts);
      std::vector<weir::Value> params(1);
      weir::Batch batch;
      while (!stop.load(std::memory_order_relaxed)) {
        auto asked = Clock::now();
        weir::db::Lease lease = pool->acquire();
        waits[t].push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - asked).count());
        params[0] = weir::Value(pick(rng));
        auto cursor = lease->query("SELECT abalance FROM pgbench_accounts WHERE aid = $1", params);
        while (cursor->next(batch, 10)) {
        }
        ++done[t];
      }
    });
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& th : threads) th.join();

  std::uint64_t total = 0;
  std::vector<std::int64_t> all;
  for (int t = 0; t < clients; ++t) {
    total += done[t];
    all.insert(all.end(), waits[t].begin(), waits[t].end());
  }
  std::sort(all.begin(), all.end());
  double p95_ms = all.empty() ? 0 : all[all.size() * 95 / 100] / 1000.0;
  std::printf("%.1f %.3f\n", double(total) / std::chrono::duration<double>(duration).count(), p95_ms);
  return 0;
}
