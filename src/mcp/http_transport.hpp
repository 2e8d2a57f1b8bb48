// MCP over Streamable HTTP (protocol revisions 2025-03-26 and later), beside the stdio transport
// and over the same Server: https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
//
// One endpoint, /mcp:
//   POST    one JSON-RPC message (Content-Type application/json, else 415; an Accept that
//           admits no type weir could answer with gets 406). initialize opens a session
//           (Mcp-Session-Id in the reply; 503 when max_sessions are open);
//           every later message must carry that header (400 without it, 404 for an unknown or
//           ended session). Notifications and responses: 202 Accepted. Requests: one
//           application/json reply, except tools/call when the client accepts text/event-stream:
//           an SSE stream carrying the call's progress notifications, then its result. Ping and
//           notifications/cancelled never wait behind a running call; a client that drops a
//           call's stream cancels the call (the statement too).
//   GET     405: weir sends nothing unasked, so it offers no standalone stream.
//   DELETE  ends the session, cancelling what it runs.
// Every request: Host and Origin are checked against DNS rebinding (403), the bearer token when
// one is set (401 with WWW-Authenticate: Bearer), MCP-Protocol-Version when sent (400 when weir
// does not speak it). The HTTP library stays inside http_transport.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>

#include "mcp/http_endpoint.hpp"
#include "mcp/http_sessions.hpp"

namespace weir::mcp {

struct HttpOptions {
  HttpEndpoint endpoint;
  std::string token;  // the bearer token clients must send; empty: none (loopback only)
  std::size_t max_sessions = 64;  // open at once; an initialize beyond them gets 503
  std::chrono::seconds session_idle = std::chrono::minutes(30);  // a session idle this long ends
};

// Serves sessions, each with a Server from `new_server`, until `stop` is requested; then ends
// them all (cancelling their calls) and returns 0. Logs "mcp: serving on http://HOST:PORT/mcp"
// once listening (the port chosen when the endpoint's is 0). Throws Error{config} for a
// non-loopback endpoint without a token, Error{connection} when it cannot listen.
int serve_http(NewServer new_server, const HttpOptions& options, std::stop_token stop);

}  // namespace weir::mcp
