#include "mcp/http_transport.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "mcp/json_rpc.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/retry.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using httplib::Request;
using httplib::Response;

constexpr const char* kPath = "/mcp";
constexpr std::size_t kMaxBody = 4 << 20;  // a JSON-RPC message; SQL text, not data
constexpr std::size_t kThreads = 16;       // requests served at once, long calls' streams included
constexpr auto kTick = 250ms;              // heartbeats, dropped streams, the stop request
// How long an idle connection is kept for the client's next request: it holds one of the
// threads meanwhile, and a stopping server waits for it.
constexpr std::time_t kKeepAliveSeconds = 2;

void refuse(Response& res, int status, std::string_view text, const json& id = nullptr,
            RpcCode code = RpcCode::transport_error) {
  res.status = status;
  res.set_content(error_message(id, code, text), "application/json");
}

bool accepts(const Request& req, std::string_view type) { return accepts_media(req.get_header_value("Accept"), type); }

// The server's messages for one request as Server-Sent Events, written by the connection's
// thread and, for progress, by others. The sink is the HTTP library's, valid until close().
class SseStream {
 public:
  explicit SseStream(httplib::DataSink& sink) : sink_(&sink) {}

  void send(const std::string& message) {
    std::lock_guard lock(mutex_);
    if (!sink_ || failed_) return;
    std::string event = "event: message\ndata: " + message + "\n\n";
    failed_ = !sink_->write(event.data(), event.size());
  }
  // Whether the client went away while the stream is open: a failed write, or a closed socket.
  bool dropped() {
    std::lock_guard lock(mutex_);
    return sink_ && (failed_ || !sink_->is_writable());
  }
  void close() {
    std::lock_guard lock(mutex_);
    if (sink_ && !failed_) sink_->done();
    sink_ = nullptr;
  }

 private:
  std::mutex mutex_;
  httplib::DataSink* sink_;
  bool failed_ = false;
};

// The streams of running calls, watched so that a client that drops one cancels its call.
class OpenStreams {
 public:
  struct Entry {
    std::shared_ptr<SseStream> stream;
    std::shared_ptr<HttpSession> session;
    json request_id;
  };
  void add(Entry entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  void remove(const std::shared_ptr<SseStream>& stream) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const Entry& e) { return e.stream == stream; });
  }
  // Cancels, as notifications/cancelled would, each call whose client dropped its stream.
  void cancel_dropped() {
    std::vector<Entry> entries;
    {
      std::lock_guard lock(mutex_);
      entries = entries_;
    }
    for (const Entry& e : entries) {
      if (!e.stream->dropped()) continue;
      json params{{"requestId", e.request_id}, {"reason", "the client closed the response stream"}};
      e.session->server->handle_at_once(notification_message("notifications/cancelled", params), [](const std::string&) {});
    }
  }

 private:
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

// The /mcp endpoint's handlers over the sessions.
class McpEndpoint {
 public:
  McpEndpoint(NewServer new_server, const HttpOptions& options)
      : options_(options), sessions_(std::move(new_server), options.max_sessions, options.session_idle) {}

  HttpSessions& sessions() { return sessions_; }
  OpenStreams& streams() { return streams_; }

  // Every request, any path: Host and Origin, then the token.
  httplib::Server::HandlerResponse admit(const Request& req, Response& res) const {
    std::string refused = refused_origin(options_.endpoint, req.get_header_value("Host"), req.get_header_value("Origin"));
    if (!refused.empty()) {
      refuse(res, 403, "Forbidden: " + refused);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!options_.token.empty() && !bearer_matches(req.get_header_value("Authorization"), options_.token)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"weir mcp\"");
      refuse(res, 401, "Unauthorized: send the server's token as `Authorization: Bearer TOKEN`");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void post(const Request& req, Response& res) {
    if (!is_media_type(req.get_header_value("Content-Type"), "application/json"))
      return refuse(res, 415, "Unsupported Media Type: POST a JSON-RPC message as application/json");
    // Lenient as the protocol's clients need: either type will do (weir answers a tools/call on an
    // event stream when the client takes one, anything else as JSON).
    if (!accepts(req, "application/json") && !accepts(req, "text/event-stream"))
      return refuse(res, 406, "Not Acceptable: the client must accept application/json and text/event-stream");
    json message, id;
    Incoming in;
    try {
      in = read_message(req.body, message, id);
    } catch (const RpcError& e) {
      return refuse(res, 400, e.what(), id, e.code());
    }
    if (in.kind == Incoming::Kind::request && in.method == "initialize") return initialize(req.body, res);
    std::shared_ptr<HttpSession> session = session_of(req, res);
    if (!session) return;
    Server& server = *session->server;
    if (in.kind != Incoming::Kind::request) {
      // Notifications and responses: taken in at once (cancellation), nothing to answer.
      if (!server.handle_at_once(req.body, [](const std::string&) {})) server.handle(req.body);
      res.status = 202;
      return;
    }
    std::string pong;
    if (server.handle_at_once(req.body, [&pong](const std::string& reply) { pong = reply; }))
      return res.set_content(pong, "application/json");
    if (in.method == "tools/call" && accepts(req, "text/event-stream")) return stream_call(session, req.body, *in.id, res);
    std::optional<std::string> reply;
    {
      std::lock_guard turn(session->turn);
      reply = server.handle(req.body);
    }
    if (reply) return res.set_content(*reply, "application/json");
    res.status = 202;  // a call cancelled meanwhile: the protocol sends no reply for it
  }

  void remove(const Request& req, Response& res) {
    std::string id = req.get_header_value("Mcp-Session-Id");
    if (id.empty()) return refuse(res, 400, "Bad Request: Mcp-Session-Id header is required");
    if (!sessions_.close(id)) return refuse(res, 404, "Session not found: it ended or never existed");
    res.status = 200;
  }

 private:
  void initialize(const std::string& body, Response& res) {
    std::shared_ptr<HttpSession> session = sessions_.open();
    if (!session) return refuse(res, 503, "Service Unavailable: too many sessions; end one (DELETE) or retry later");
    std::optional<std::string> reply;
    {
      std::lock_guard turn(session->turn);
      reply = session->server->handle(body);
    }
    std::string text = reply.value_or("");
    if (json::parse(text, nullptr, false).contains("error"))
      sessions_.close(session->id);  // a failed initialize opens nothing
    else
      res.set_header("Mcp-Session-Id", session->id);
    res.set_content(text, "application/json");
  }

  // The session a request names, or nullptr with the refusal written.
  std::shared_ptr<HttpSession> session_of(const Request& req, Response& res) {
    std::string id = req.get_header_value("Mcp-Session-Id");
    if (id.empty()) {
      refuse(res, 400, "Bad Request: Mcp-Session-Id header is required (the reply to initialize gives it)");
      return nullptr;
    }
    std::string version = req.get_header_value("MCP-Protocol-Version");
    auto versions = supported_protocol_versions();
    if (!version.empty() && std::find(versions.begin(), versions.end(), version) == versions.end()) {
      refuse(res, 400, fmt::format("Bad Request: unsupported MCP-Protocol-Version `{}` (weir speaks {})",
                                   version.substr(0, 40), fmt::join(versions, ", ")));
      return nullptr;
    }
    std::shared_ptr<HttpSession> session = sessions_.find(id);
    if (!session) refuse(res, 404, "Session not found: it ended or never existed; initialize a new one");
    return session;
  }

  // Runs a tools/call on the response's own SSE stream: its progress, then its result.
  void stream_call(const std::shared_ptr<HttpSession>& session, const std::string& body, const json& id, Response& res) {
    res.set_header("Cache-Control", "no-cache");
    // Exactly this type: the HTTP library would compress (and so hold back) any other text/*.
    res.set_chunked_content_provider("text/event-stream", [this, session, body, id](std::size_t, httplib::DataSink& sink) {
      auto stream = std::make_shared<SseStream>(sink);
      streams_.add({stream, session, id});
      Send send = [stream](const std::string& message) { stream->send(message); };
      std::optional<std::string> reply;
      {
        std::lock_guard turn(session->turn);
        reply = session->server->handle(body, send);
      }
      if (reply) stream->send(*reply);
      streams_.remove(stream);
      stream->close();
      return true;
    });
  }

  const HttpOptions& options_;
  HttpSessions sessions_;
  OpenStreams streams_;
};

void route(httplib::Server& http, McpEndpoint& mcp) {
  http.set_pre_routing_handler([&mcp](const Request& req, Response& res) { return mcp.admit(req, res); });
  http.Post(kPath, [&mcp](const Request& req, Response& res) { mcp.post(req, res); });
  http.Delete(kPath, [&mcp](const Request& req, Response& res) { mcp.remove(req, res); });
  http.Get(kPath, [](const Request&, Response& res) {
    res.set_header("Allow", "POST, DELETE");
    refuse(res, 405, "Method Not Allowed: weir offers no standalone event stream; POST messages instead");
  });
  http.set_exception_handler([](const Request&, Response& res, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log::error(fmt::format("mcp: internal error answering an HTTP request: {}", redact(e.what())));
    } catch (...) {
    }
    refuse(res, 500, "internal error", nullptr, RpcCode::internal_error);
  });
  http.set_logger([](const Request& req, const Response& res) {
    log::debug(fmt::format("mcp: {} {} -> {}", req.method, req.path, res.status));
  });
}

// Binds the endpoint; the port bound (the chosen one when asked for 0).
int bind(httplib::Server& http, const HttpEndpoint& endpoint) {
  // SO_REUSEADDR only: the library's default SO_REUSEPORT would let a second server share the
  // port, each getting some of the clients, instead of failing.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  int port = endpoint.port == 0 ? http.bind_to_any_port(endpoint.host)
                                : (http.bind_to_port(endpoint.host, endpoint.port) ? endpoint.port : -1);
  if (port <= 0)
    throw Error(ErrorKind::connection, fmt::format("cannot listen on {}: the port is taken, or the address is not "
                                                   "this machine's",
                                                   to_string(endpoint)));
  return port;
}

}  // namespace

int serve_http(NewServer new_server, const HttpOptions& options, std::stop_token stop) {
  if (!options.endpoint.loopback && options.token.empty())
    throw Error(ErrorKind::config, fmt::format("--http {} is reachable from other machines: give a bearer token with "
                                               "--token-env VAR (or listen on 127.0.0.1)",
                                               to_string(options.endpoint)));
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-response is a failed write, not the end
  McpEndpoint mcp(std::move(new_server), options);
  httplib::Server http;
  // The library owns the queue it is given (its API takes a raw pointer).
  http.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  http.set_payload_max_length(kMaxBody);
  http.set_keep_alive_timeout(kKeepAliveSeconds);
  route(http, mcp);
  HttpEndpoint bound = options.endpoint;
  bound.port = static_cast<std::uint16_t>(bind(http, options.endpoint));
  log::info(fmt::format("mcp: serving on http://{}{}", to_string(bound), kPath));

  std::atomic<bool> listening{true};
  std::jthread ticker([&](std::stop_token done) {
    while (!stop.stop_requested() && sleep_unless_stopped(kTick, done)) {
      mcp.sessions().heartbeat();
      mcp.streams().cancel_dropped();
    }
    // Every call cancelled first, so that the threads running them finish and stop() returns.
    mcp.sessions().close_all();
    // stop() does nothing before the listening loop runs, and must be called once.
    while (listening && !http.is_running()) std::this_thread::sleep_for(20ms);
    if (listening) http.stop();
  });
  http.listen_after_bind();
  listening = false;
  ticker.request_stop();
  return 0;
}

}  // namespace weir::mcp
