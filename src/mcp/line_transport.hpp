// MCP over a pair of byte streams, one JSON-RPC message per line (the stdio transport): a reading
// thread answers ping and cancellation at once, a worker runs the other messages in order, and a
// ticker sends the progress heartbeats of long calls. The session ends, cancelling the call that
// runs (on the server too), when the client closes its side, stops reading ours, or `stop` is
// requested (SIGTERM, Ctrl-C).
#pragma once

#include <stop_token>

#include "mcp/server.hpp"

namespace weir::mcp {

// Serves one client reading `in_fd` and writing `out_fd` until it goes; returns 0.
int serve_lines(Server& server, int in_fd, int out_fd, std::stop_token stop);

// serve_lines() on stdin and stdout, with SIGPIPE ignored so a client that went away is a failed
// write, not the end of the process.
int serve_stdio(Server& server, std::stop_token stop);

}  // namespace weir::mcp
