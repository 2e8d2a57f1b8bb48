// SIGINT and SIGTERM, for the one run a `weir run` process makes: the first requests a stop on
// that run's stop source (the pipelines finish their current batches, see runner.hpp), the
// second exits at once with 128 + the signal.
#pragma once

#include <atomic>
#include <stop_token>
#include <string_view>
#include <thread>

namespace weir::cli {

class StopSignals {
 public:
  // Installs the handlers; `run` is the source whose token the run was given. The first signal
  // prints `message` on stderr (one line, ending in a newline).
  explicit StopSignals(std::stop_source run, std::string_view message = kFinishing);
  // Restores the default handlers.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The signal that stopped the run (SIGINT, SIGTERM), or 0.
  int signal() const noexcept;

  static constexpr std::string_view kFinishing =
      "weir: stopping: finishing the current batches (press Ctrl-C again to abort)\n";

 private:
  std::string_view notice_;
  // A signal handler may only touch lock-free atomics: this thread turns the signal it
  // recorded into the stop request.
  std::jthread relay_;
};

}  // namespace weir::cli
