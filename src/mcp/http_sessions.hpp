// The sessions of MCP over Streamable HTTP: each client that initializes gets an id (sent back
// in the Mcp-Session-Id header, required on every later request) and a Server of its own — its
// own connections and cursors, its own protocol revision — so agents sharing one `weir mcp
// --http` never see each other's work. A session ends when the client DELETEs it, when it has
// been idle too long, or when the server stops; ending it cancels what it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/server.hpp"

namespace weir::mcp {

// Makes the Server of a new session (its tools over connections of its own).
using NewServer = std::function<std::unique_ptr<Server>()>;

struct HttpSession {
  std::string id;  // 32 hex digits from the system's random source
  std::unique_ptr<Server> server;
  // Held while the server handles a message that may run long (initialize, tools/list,
  // tools/call): a session answers them one at a time, as over stdio. Ping and cancellation
  // never wait for it.
  std::mutex turn;
  std::atomic<std::int64_t> last_used{0};  // steady-clock ticks

  void touch() noexcept { last_used = std::chrono::steady_clock::now().time_since_epoch().count(); }
};

class HttpSessions {
 public:
  // At most `max_sessions` at once; one left idle for `idle_limit` is ended.
  explicit HttpSessions(NewServer new_server, std::size_t max_sessions = 64,
                        std::chrono::seconds idle_limit = std::chrono::minutes(30));
  ~HttpSessions();

  // A new session, or nullptr when there are max_sessions busy ones. Thread safe.
  std::shared_ptr<HttpSession> open();
  // The session with this id, or nullptr. Thread safe.
  std::shared_ptr<HttpSession> find(std::string_view id);
  // Ends the session: forgotten, and its running calls cancelled. False when there was none.
  bool close(std::string_view id);
  // Ends every session (the server stops).
  void close_all();
  // Each session's Server::heartbeat() (progress of long calls), and the end of those idle past
  // the limit. Called a few times a second by the transport.
  void heartbeat();

 private:
  std::vector<std::shared_ptr<HttpSession>> all();
  // Forgets the sessions idle past the limit (none busy); the caller ends them, unlocked.
  std::vector<std::shared_ptr<HttpSession>> take_idle_locked();
  static void end(std::vector<std::shared_ptr<HttpSession>>& sessions);

  NewServer new_server_;
  std::size_t max_sessions_;
  std::chrono::seconds idle_limit_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<HttpSession>, std::less<>> sessions_;
};

}  // namespace weir::mcp
