#include "mcp/http_sessions.hpp"

#include <fmt/format.h>
#include <sys/random.h>

#include <array>
#include <cerrno>

#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::mcp {

namespace {

// 128 bits from the kernel's random source as hex: a session id nobody can guess.
std::string new_session_id() {
  std::array<unsigned char, 16> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorKind::internal, "cannot read the system's random source for a session id");
    got += static_cast<std::size_t>(n);
  }
  std::string id;
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

}  // namespace

HttpSessions::HttpSessions(NewServer new_server, std::size_t max_sessions, std::chrono::seconds idle_limit)
    : new_server_(std::move(new_server)), max_sessions_(max_sessions), idle_limit_(idle_limit) {}

HttpSessions::~HttpSessions() { close_all(); }

std::shared_ptr<HttpSession> HttpSessions::open() {
  auto session = std::make_shared<HttpSession>();
  session->id = new_session_id();
  session->touch();
  std::vector<std::shared_ptr<HttpSession>> idle;
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= max_sessions_) idle = take_idle_locked();
    full = sessions_.size() >= max_sessions_;
  }
  end(idle);
  if (full) return nullptr;
  // Made outside the lock: a server's tools open nothing yet, but other sessions need not wait.
  session->server = new_server_();
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= max_sessions_) return nullptr;  // others opened meanwhile
  sessions_.emplace(session->id, session);
  return session;
}

std::shared_ptr<HttpSession> HttpSessions::find(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second->touch();
  return it->second;
}

bool HttpSessions::close(std::string_view id) {
  std::shared_ptr<HttpSession> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = std::move(it->second);
    sessions_.erase(it);
  }
  // Outside the lock: cancelling a statement takes a round trip to its database.
  session->server->end_session();
  return true;
}

void HttpSessions::close_all() {
  std::map<std::string, std::shared_ptr<HttpSession>, std::less<>> ended;
  {
    std::lock_guard lock(mutex_);
    ended.swap(sessions_);
  }
  for (auto& [id, session] : ended) session->server->end_session();
}

std::vector<std::shared_ptr<HttpSession>> HttpSessions::all() {
  std::vector<std::shared_ptr<HttpSession>> sessions;
  std::lock_guard lock(mutex_);
  for (auto& [id, session] : sessions_) sessions.push_back(session);
  return sessions;
}

std::vector<std::shared_ptr<HttpSession>> HttpSessions::take_idle_locked() {
  std::vector<std::shared_ptr<HttpSession>> idle;
  auto oldest = (std::chrono::steady_clock::now() - idle_limit_).time_since_epoch().count();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    std::shared_ptr<HttpSession> session = it->second;  // outlives the lock on its turn
    // A session whose turn is taken is working (or about to), whatever its last request's age.
    std::unique_lock turn(session->turn, std::try_to_lock);
    if (turn.owns_lock() && session->last_used < oldest) {
      log::info(fmt::format("mcp: session {}… ended after {} s idle", session->id.substr(0, 8), idle_limit_.count()));
      idle.push_back(std::move(session));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return idle;
}

// Outside the lock: ending a session closes its connections, a round trip each.
void HttpSessions::end(std::vector<std::shared_ptr<HttpSession>>& sessions) {
  for (auto& session : sessions) session->server->end_session();
  sessions.clear();
}

void HttpSessions::heartbeat() {
  for (const auto& session : all()) session->server->heartbeat();
  std::vector<std::shared_ptr<HttpSession>> idle;
  {
    std::lock_guard lock(mutex_);
    idle = take_idle_locked();
  }
  end(idle);
}

}  // namespace weir::mcp
