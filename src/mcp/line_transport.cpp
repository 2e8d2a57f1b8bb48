#include "mcp/line_transport.hpp"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "weir/retry.hpp"

namespace weir::mcp {

namespace {

using namespace std::chrono_literals;

constexpr auto kPollInterval = 100ms;   // how soon a stop request or a closed output is seen
constexpr auto kHeartbeatTick = 250ms;  // Server::heartbeat() sends at most one a second a call

// Writes whole lines to the client, from any thread, one at a time; a failed write means the
// client is gone.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}

  void write(const std::string& message) {
    std::lock_guard lock(mutex_);
    if (gone_) return;
    std::string line = message + '\n';
    std::string_view rest = line;
    while (!rest.empty()) {
      ssize_t n = ::write(fd_, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        gone_ = true;
        return;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  bool gone() const noexcept { return gone_; }

 private:
  int fd_;
  std::mutex mutex_;
  std::atomic<bool> gone_{false};
};

// The messages waiting for the worker, in the order they came.
class Inbox {
 public:
  void push(std::string line) {
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(line));
    }
    ready_.notify_one();
  }
  // The next message; nullopt once `stop` is requested (what still waits is dropped).
  std::optional<std::string> pop(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    if (!ready_.wait(lock, stop, [this] { return !lines_.empty(); })) return std::nullopt;
    std::string line = std::move(lines_.front());
    lines_.pop_front();
    return line;
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<std::string> lines_;
};

// Waits up to kPollInterval for input; false when the session should end: the input closed or
// failed, or the client stopped reading our output (a pipe's write end reports an error then).
bool wait_for_input(int in_fd, int out_fd, bool& readable) {
  pollfd fds[2] = {{in_fd, POLLIN, 0}, {out_fd, 0, 0}};
  int n = ::poll(fds, 2, static_cast<int>(kPollInterval.count()));
  if (n < 0) return errno == EINTR;
  if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) return false;
  if (fds[0].revents & POLLNVAL) return false;
  readable = (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  return true;
}

// Reads lines from `in_fd` and hands each to `deliver` until the input ends or the session must.
template <class Deliver>
void read_lines(int in_fd, int out_fd, const LineWriter& out, std::stop_token stop, Deliver deliver) {
  std::string buffer;
  char chunk[64 * 1024];
  while (!stop.stop_requested() && !out.gone()) {
    bool readable = false;
    if (!wait_for_input(in_fd, out_fd, readable)) return;
    if (!readable) continue;
    ssize_t n = ::read(in_fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;  // the client closed its side: MCP's way to end a stdio session
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t begin = 0;
    for (std::size_t end; (end = buffer.find('\n', begin)) != std::string::npos; begin = end + 1) {
      std::string_view line(buffer.data() + begin, end - begin);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) deliver(std::string(line));
    }
    buffer.erase(0, begin);
  }
}

}  // namespace

int serve_lines(Server& server, int in_fd, int out_fd, std::stop_token stop) {
  LineWriter out(out_fd);
  Send send = [&out](const std::string& message) { out.write(message); };
  Inbox inbox;
  std::jthread worker([&](std::stop_token done) {
    while (auto line = inbox.pop(done))
      if (auto reply = server.handle(*line, send)) send(*reply);
  });
  std::jthread ticker([&](std::stop_token done) {
    while (sleep_unless_stopped(kHeartbeatTick, done)) server.heartbeat();
  });
  read_lines(in_fd, out_fd, out, stop, [&](std::string line) {
    if (!server.handle_at_once(line, send)) inbox.push(std::move(line));
  });
  // The client is gone: nothing more is started, and what runs is cancelled on the server.
  worker.request_stop();
  server.end_session();
  return 0;
}

int serve_stdio(Server& server, std::stop_token stop) {
  std::signal(SIGPIPE, SIG_IGN);
  return serve_lines(server, STDIN_FILENO, STDOUT_FILENO, stop);
}

}  // namespace weir::mcp
