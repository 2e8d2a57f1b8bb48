// The stdio transport of `weir mcp` (src/mcp/line_transport.cpp) over pipes: ping and
// cancellation answered while a call runs, progress heartbeats for a call that asked for them,
// no reply to a cancelled call, and a client that closes its input or stops reading ending the
// session with the running call stopped.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "mcp/line_transport.hpp"
#include "weir/error.hpp"

namespace weir::mcp {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A tool that runs until its call is stopped (or 30 s pass), saying whether it was.
struct Waiter {
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};

  Tool tool() {
    return Tool{.name = "wait",
                .description = "Waits to be cancelled.",
                .input_schema = {{"type", "object"}},
                .output_schema = nullptr,
                .annotations = nullptr,
                .call = [this](const json&, const CallContext& context) {
                  started = true;
                  auto until = std::chrono::steady_clock::now() + 30s;
                  while (!context.stop.stop_requested() && std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(5ms);
                  stopped = context.stop.stop_requested();
                  if (stopped) throw Error(ErrorKind::cancelled, "the call was cancelled");
                  return ToolOutput{json{{"waited", true}}, "waited"};
                }};
  }
};

Tool echo_tool() {
  return Tool{.name = "echo",
              .description = "Says it.",
              .input_schema = {{"type", "object"}},
              .output_schema = nullptr,
              .annotations = nullptr,
              .call = [](const json&, const CallContext&) { return ToolOutput{json{{"said", "hi"}}, "hi"}; }};
}

std::string call(int id, const std::string& tool, const json& meta = nullptr) {
  json params{{"name", tool}, {"arguments", json::object()}};
  if (!meta.is_null()) params["_meta"] = meta;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", params}}.dump() + "\n";
}

// A client's end of the two pipes, the server serving the other on its own thread.
class Session {
 public:
  explicit Session(Server& server) {
    EXPECT_EQ(::pipe(to_server_), 0);
    EXPECT_EQ(::pipe(from_server_), 0);
    served_ = std::async(std::launch::async, [&server, this] {
      return serve_lines(server, to_server_[0], from_server_[1], stop_.get_token());
    });
  }
  ~Session() {
    stop_.request_stop();
    served_.wait();
    for (int fd : {to_server_[0], to_server_[1], from_server_[0], from_server_[1]})
      if (fd >= 0) ::close(fd);
  }

  void send(const std::string& text) { ASSERT_EQ(::write(to_server_[1], text.data(), text.size()), ssize_t(text.size())); }
  void close_input() { ::close(std::exchange(to_server_[1], -1)); }
  void stop_reading() { ::close(std::exchange(from_server_[0], -1)); }
  bool ended_within(std::chrono::seconds limit) { return served_.wait_for(limit) == std::future_status::ready; }

  // The next message from the server, or null after 20 s without one.
  json next() {
    while (true) {
      if (auto end = buffer_.find('\n'); end != std::string::npos) {
        json message = json::parse(buffer_.substr(0, end));
        buffer_.erase(0, end + 1);
        return message;
      }
      pollfd fd{from_server_[0], POLLIN, 0};
      if (::poll(&fd, 1, 20000) != 1) return nullptr;
      char chunk[4096];
      ssize_t n = ::read(from_server_[0], chunk, sizeof chunk);
      if (n <= 0) return nullptr;
      buffer_.append(chunk, std::size_t(n));
    }
  }
  // The next message that is not a progress notification, counting those skipped.
  json next_reply(int* progress_seen = nullptr) {
    json message = next();
    while (message.value("method", "") == "notifications/progress") {
      if (progress_seen) ++*progress_seen;
      message = next();
    }
    return message;
  }

 private:
  int to_server_[2] = {-1, -1};
  int from_server_[2] = {-1, -1};
  std::stop_source stop_;
  std::future<int> served_;
  std::string buffer_;
};

TEST(McpLineTransport, PingAndCancellationAreAnsweredWhileACallRunsAndTheCancelledCallGetsNoReply) {
  Waiter waiter;
  Server server({waiter.tool(), echo_tool()}, ServerInfo{});
  Session client(server);
  client.send(call(1, "wait", {{"progressToken", "p1"}}));
  // Heartbeats while it runs: progress rising, with the token the client gave.
  json progress = client.next();
  EXPECT_EQ(progress["method"], "notifications/progress") << progress;
  EXPECT_EQ(progress["params"]["progressToken"], "p1");
  // About a second apart, the first after a second (later on a loaded machine), in whole seconds.
  int first = progress["params"]["progress"];
  EXPECT_GE(first, 1);
  EXPECT_EQ(progress["params"]["message"], "running for " + std::to_string(first) + " s");
  json second = client.next();
  EXPECT_GT(second["params"]["progress"].get<int>(), first) << second;

  client.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})" "\n");
  EXPECT_EQ(client.next_reply(), (json{{"jsonrpc", "2.0"}, {"id", 2}, {"result", json::object()}}));
  EXPECT_FALSE(waiter.stopped);

  client.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"x"}})" "\n");
  client.send(call(3, "echo"));
  // The calls run in order: the echo's reply comes once the cancelled call has ended, with none for it.
  json reply = client.next_reply();
  EXPECT_EQ(reply["id"], 3) << reply;
  EXPECT_EQ(reply["result"]["structuredContent"], (json{{"said", "hi"}}));
  EXPECT_TRUE(waiter.stopped);
}

TEST(McpLineTransport, ACallCancelledWhileItWaitsItsTurnStopsAtOnce) {
  Waiter first;
  Server server({first.tool(), echo_tool()}, ServerInfo{});
  Session client(server);
  client.send(call(1, "wait"));
  client.send(call(2, "wait"));
  while (!first.started) std::this_thread::sleep_for(5ms);
  client.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}})" "\n");
  client.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})" "\n");
  client.send(call(3, "echo"));
  EXPECT_EQ(client.next_reply()["id"], 3);
}

TEST(McpLineTransport, AClientThatClosesItsInputEndsTheSessionAndStopsTheRunningCall) {
  Waiter waiter;
  Server server({waiter.tool()}, ServerInfo{});
  Session client(server);
  client.send(call(1, "wait"));
  while (!waiter.started) std::this_thread::sleep_for(5ms);
  client.close_input();
  ASSERT_TRUE(client.ended_within(10s));
  EXPECT_TRUE(waiter.stopped);
}

TEST(McpLineTransport, AClientThatStopsReadingEndsTheSessionAndStopsTheRunningCall) {
  Waiter waiter;
  Server server({waiter.tool()}, ServerInfo{});
  Session client(server);
  client.send(call(1, "wait"));
  while (!waiter.started) std::this_thread::sleep_for(5ms);
  client.stop_reading();
  ASSERT_TRUE(client.ended_within(10s));
  EXPECT_TRUE(waiter.stopped);
}

}  // namespace
}  // namespace weir::mcp
