#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <string>
#include <vector>

#include "weir/retry.hpp"

namespace weir {
namespace {

using std::chrono::milliseconds;

RetryPolicy policy(int attempts, int initial_ms, int max_ms, double multiplier = 2.0) {
  RetryPolicy p;
  p.max_attempts = attempts;
  p.initial_delay = milliseconds(initial_ms);
  p.max_delay = milliseconds(max_ms);
  p.multiplier = multiplier;
  return p;
}

// Hooks that never sleep and record what they were told; their clock moves by the sleeps.
struct Recorder {
  std::chrono::steady_clock::time_point clock{};
  std::vector<milliseconds> slept;
  std::vector<int> attempts;
  std::vector<milliseconds> announced;
  std::vector<std::string> messages;

  RetryHooks hooks(std::uint64_t seed = 1) {
    RetryHooks h;
    h.sleep = [this](milliseconds d) {
      slept.push_back(d);
      clock += d;
    };
    h.now = [this] { return clock; };
    h.on_retry = [this](const Error& e, int attempt, milliseconds d) {
      attempts.push_back(attempt);
      announced.push_back(d);
      messages.emplace_back(e.what());
    };
    h.seed = seed;
    return h;
  }
};

TEST(Retry, BackoffCapGrowsByMultiplierUpToMaxDelay) {
  RetryPolicy p = policy(10, 100, 1000);
  EXPECT_EQ(p.backoff_cap(1), milliseconds(100));
  EXPECT_EQ(p.backoff_cap(2), milliseconds(200));
  EXPECT_EQ(p.backoff_cap(3), milliseconds(400));
  EXPECT_EQ(p.backoff_cap(4), milliseconds(800));
  EXPECT_EQ(p.backoff_cap(5), milliseconds(1000));
  EXPECT_EQ(p.backoff_cap(6), milliseconds(1000));
  EXPECT_EQ(p.backoff_cap(200), milliseconds(1000));
  EXPECT_EQ(p.backoff_cap(100000), milliseconds(1000)) << "huge attempt numbers must not overflow";

  RetryPolicy triple = policy(10, 10, 100000, 3.0);
  EXPECT_EQ(triple.backoff_cap(1), milliseconds(10));
  EXPECT_EQ(triple.backoff_cap(2), milliseconds(30));
  EXPECT_EQ(triple.backoff_cap(3), milliseconds(90));

  RetryPolicy flat = policy(10, 250, 10000, 1.0);
  EXPECT_EQ(flat.backoff_cap(7), milliseconds(250));
}

TEST(Retry, DefaultPolicy) {
  RetryPolicy p;
  EXPECT_EQ(p.max_attempts, 5);
  EXPECT_EQ(p.backoff_cap(1), milliseconds(100));
  EXPECT_LE(p.backoff_cap(1000), milliseconds(10000));
}

TEST(Retry, DelayIsJitteredWithinTheCap) {
  RetryPolicy p = policy(10, 100, 1000);
  std::mt19937_64 rng(12345);
  for (int attempt = 1; attempt <= 6; ++attempt) {
    const milliseconds cap = p.backoff_cap(attempt);
    std::set<long long> seen;
    bool low = false, high = false;
    for (int i = 0; i < 2000; ++i) {
      milliseconds d = p.delay(attempt, rng);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d, cap);
      seen.insert(d.count());
      low |= d < cap / 4;
      high |= d > cap * 3 / 4;
    }
    EXPECT_GT(seen.size(), 10u) << "delay must be jittered, attempt " << attempt;
    EXPECT_TRUE(low && high) << "delays should spread over [0, cap], attempt " << attempt;
  }
}

TEST(Retry, ReturnsTheValueAfterTransientFailures) {
  RetryPolicy p = policy(5, 100, 1000);
  Recorder rec;
  int calls = 0;
  int result = retry(
      p,
      [&] {
        ++calls;
        if (calls <= 2) throw Error(ErrorKind::connection, "refused #" + std::to_string(calls));
        return 42;
      },
      rec.hooks());
  EXPECT_EQ(result, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(rec.attempts, (std::vector<int>{1, 2}));
  ASSERT_EQ(rec.slept.size(), 2u);
  EXPECT_EQ(rec.slept, rec.announced) << "on_retry is told the delay that is then slept";
  EXPECT_LE(rec.slept[0], p.backoff_cap(1));
  EXPECT_LE(rec.slept[1], p.backoff_cap(2));
  EXPECT_EQ(rec.messages, (std::vector<std::string>{"refused #1", "refused #2"}));
}

TEST(Retry, FirstSuccessNeedsNoSleep) {
  Recorder rec;
  int calls = 0;
  std::string s = retry(policy(3, 1, 1), [&] { ++calls; return std::string("ok"); }, rec.hooks());
  EXPECT_EQ(s, "ok");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(rec.slept.empty());
  EXPECT_TRUE(rec.attempts.empty());
}

TEST(Retry, StopsAfterMaxAttemptsAndRethrowsTheLastError) {
  Recorder rec;
  int calls = 0;
  try {
    retry(policy(4, 10, 100), [&]() -> int {
      ++calls;
      throw Error(ErrorKind::timeout, "timed out, try " + std::to_string(calls), "57014");
    }, rec.hooks());
    FAIL() << "retry() returned after only failures";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
    std::string message = e.what();
    EXPECT_TRUE(message.starts_with("gave up after 4 attempts in ")) << message;
    EXPECT_TRUE(message.ends_with(" s: timed out, try 4")) << message;
    EXPECT_EQ(e.code(), "57014");
  }
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(rec.slept.size(), 3u) << "no sleep after the last attempt";
  EXPECT_EQ(rec.attempts, (std::vector<int>{1, 2, 3}));
}

TEST(Retry, SingleAttemptPolicyNeverRetries) {
  Recorder rec;
  int calls = 0;
  EXPECT_THROW(retry(policy(1, 10, 100), [&] { ++calls; throw Error(ErrorKind::deadlock, "x"); },
                     rec.hooks()),
               Error);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(rec.slept.empty());
}

TEST(Retry, NonRetryableErrorsPropagateAtOnce) {
  for (ErrorKind kind : {ErrorKind::syntax, ErrorKind::unique, ErrorKind::auth, ErrorKind::config}) {
    Recorder rec;
    int calls = 0;
    try {
      retry(policy(5, 10, 100), [&] { ++calls; throw Error(kind, "permanent"); }, rec.hooks());
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind);
    }
    EXPECT_EQ(calls, 1) << to_string(kind);
    EXPECT_TRUE(rec.slept.empty());
    EXPECT_TRUE(rec.attempts.empty());
  }
  // a driver may mark a normally-transient kind as not retryable
  Recorder rec;
  int calls = 0;
  EXPECT_THROW(retry(policy(5, 10, 100),
                     [&] { ++calls; throw Error(ErrorKind::connection, "no such file", "14", false); },
                     rec.hooks()),
               Error);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, ForeignExceptionsAreNotRetried) {
  Recorder rec;
  int calls = 0;
  EXPECT_THROW(retry(policy(5, 10, 100), [&] { ++calls; throw std::runtime_error("boom"); },
                     rec.hooks()),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, VoidFunctionsWork) {
  Recorder rec;
  int calls = 0;
  retry(policy(3, 10, 100), [&] {
    if (++calls < 3) throw Error(ErrorKind::serialization, "busy");
  }, rec.hooks());
  EXPECT_EQ(calls, 3);
}

TEST(Retry, FixedSeedIsDeterministic) {
  auto run = [](std::uint64_t seed) {
    Recorder rec;
    EXPECT_THROW(retry(policy(12, 1000, 1'000'000), [] { throw Error(ErrorKind::deadlock, "d"); },
                       rec.hooks(seed)),
                 Error);
    return rec.slept;
  };
  auto a = run(7);
  auto b = run(7);
  ASSERT_EQ(a.size(), 11u);
  EXPECT_EQ(a, b);
  EXPECT_NE(run(8), a) << "a different seed should give different delays";
}

TEST(Retry, MaxTimeBoundsTheRetryingAndTheLastAttemptStartsAtIt) {
  Recorder rec;
  RetryPolicy p = policy(0, 100, 400);
  p.max_time = milliseconds(3000);
  int calls = 0;
  try {
    retry(p, [&] {
      ++calls;
      throw Error(ErrorKind::connection, "refused");
    }, rec.hooks());
    FAIL() << "retry() returned after only failures";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("gave up after {} attempts in 3.0 s: refused", calls));
  }
  milliseconds total{0};
  for (auto d : rec.slept) total += d;
  EXPECT_EQ(total, milliseconds(3000)) << "the last wait is cut short to end at max_time";
  EXPECT_GE(calls, 8) << "waits of at most 400 ms fill 3 s with many attempts";
  EXPECT_EQ(rec.attempts.size(), std::size_t(calls - 1));
}

TEST(Retry, AttemptsAndMaxTimeTogetherStopAtWhicheverComesFirst) {
  Recorder rec;
  RetryPolicy p = policy(3, 100, 400);
  p.max_time = milliseconds(60'000);
  int calls = 0;
  EXPECT_THROW(retry(p, [&] {
    ++calls;
    throw Error(ErrorKind::connection, "refused");
  }, rec.hooks()), Error);
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(policy(0, 100, 400).allows_another(1, milliseconds(0))) << "no limit at all means no retries";
}

TEST(Retry, RecoveryIsReportedWithTheAttemptCount) {
  Recorder rec;
  RetryHooks hooks = rec.hooks();
  int recovered_after = 0;
  hooks.on_recovered = [&](int attempts, milliseconds) { recovered_after = attempts; };
  int calls = 0;
  retry(policy(5, 10, 100), [&] {
    if (++calls < 3) throw Error(ErrorKind::connection, "refused");
  }, hooks);
  EXPECT_EQ(recovered_after, 3);
}

TEST(Retry, AStopRequestEndsTheWaitAndTheErrorPropagatesSayingSo) {
  std::stop_source stop;
  RetryPolicy policy{.max_attempts = 5, .initial_delay = std::chrono::hours(1), .max_delay = std::chrono::hours(1)};
  RetryHooks hooks;
  hooks.stop = stop.get_token();
  hooks.seed = 7;
  // Asked to stop just as the hour-long wait begins: it ends at once.
  hooks.on_retry = [&](const Error&, int, std::chrono::milliseconds wait) {
    EXPECT_GT(wait.count(), 0);
    stop.request_stop();
  };
  int calls = 0;
  try {
    retry(policy, [&] {
      ++calls;
      throw Error(ErrorKind::connection, "server closed the connection", "", true);
    }, hooks);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "stopped while retrying, after 1 attempt: server closed the connection");
  }
  EXPECT_EQ(calls, 1);
}

TEST(Retry, AStopRequestedDuringAnAttemptEndsTheRetrying) {
  std::stop_source stop;
  RetryHooks hooks;
  hooks.stop = stop.get_token();
  hooks.sleep = [](std::chrono::milliseconds) {};
  int calls = 0;
  EXPECT_THROW(retry(RetryPolicy{.max_attempts = 5}, [&] {
    if (++calls == 2) stop.request_stop();
    throw Error(ErrorKind::connection, "refused", "", true);
  }, hooks), Error);
  EXPECT_EQ(calls, 2);
}

TEST(Retry, SleepUnlessStoppedWakesOnTheStopRequest) {
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  EXPECT_FALSE(sleep_unless_stopped(std::chrono::hours(1), stop.get_token()));
  stopper.join();
  EXPECT_TRUE(sleep_unless_stopped(std::chrono::milliseconds(1), std::stop_token{}));
}

}  // namespace
}  // namespace weir
