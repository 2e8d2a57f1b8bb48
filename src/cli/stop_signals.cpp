#include "cli/stop_signals.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>

#include "weir/retry.hpp"

namespace weir::cli {
namespace {

std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "read in a signal handler");
std::atomic<std::string_view*> notice{nullptr};  // what the first signal prints
static_assert(std::atomic<std::string_view*>::is_always_lock_free, "read in a signal handler");

extern "C" void on_stop_signal(int signal) {
  int none = 0;
  if (!received.compare_exchange_strong(none, signal)) _exit(128 + signal);  // the second: no more waiting
  if (const std::string_view* message = notice.load())
    [[maybe_unused]] auto ignored = write(STDERR_FILENO, message->data(), message->size());
}

void handle(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

StopSignals::StopSignals(std::stop_source run, std::string_view message) : notice_(message) {
  received = 0;
  notice = &notice_;
  handle(on_stop_signal);
  relay_ = std::jthread([run](std::stop_token done) mutable {
    while (received.load() == 0)
      if (!sleep_unless_stopped(std::chrono::milliseconds(20), done)) return;
    run.request_stop();
  });
}

StopSignals::~StopSignals() {
  handle(SIG_DFL);
  notice = nullptr;
}

int StopSignals::signal() const noexcept { return received.load(); }

}  // namespace weir::cli
