// Where `weir mcp --http` listens and who may talk to it: the HOST:PORT it binds and whether that
// is this machine only (loopback), the Host and Origin headers a request may carry (against DNS
// rebinding: a web page's script must not reach a local server through a name of its own), and
// the bearer token. No HTTP library here: these are plain checks on header values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weir::mcp {

struct HttpEndpoint {
  std::string host;        // as given, without the brackets of an IPv6 literal
  std::uint16_t port = 0;  // 0: any free port, chosen when the server binds
  bool loopback = false;   // 127.0.0.0/8, ::1 or localhost: reachable from this machine only
};

// Reads "HOST:PORT": an IPv4 address, a host name or a bracketed IPv6 address, then a port.
// Throws Error{config} naming the value and what is wrong with it.
HttpEndpoint parse_http_endpoint(std::string_view text);

// "HOST:PORT" with an IPv6 address in brackets again, for messages and URLs.
std::string to_string(const HttpEndpoint& endpoint);

// Whether a host name or address (brackets allowed) names this machine's loopback interface.
bool is_loopback_host(std::string_view host);

// Why a request carrying these Host and Origin header values (empty: absent) is refused by a
// server on `endpoint`, or "" when it is not:
//   - on a loopback endpoint, Host must name loopback (a rebinding page sends its own name);
//   - Origin, which browsers send, must name loopback or the endpoint's own host.
std::string refused_origin(const HttpEndpoint& endpoint, std::string_view host, std::string_view origin);

// Whether an Authorization header value is "Bearer <token>" (the scheme in any case), the token
// compared in time independent of where it differs.
bool bearer_matches(std::string_view authorization, std::string_view token);

// Whether an Accept header value admits the media type `type` ("application/json"): named, or
// by a wildcard (`*/*`, `application/*`), unless with q=0. An empty header admits anything.
bool accepts_media(std::string_view accept, std::string_view type);

// Whether a Content-Type header value is the media type `type`, in any case, with or without
// parameters (`application/json; charset=utf-8`).
bool is_media_type(std::string_view content_type, std::string_view type);

// The token held by the environment variable `variable`, registered as a secret so redact() masks
// it wherever it might appear. Throws Error{config} when the variable is unset or empty, or the
// token is shorter than 16 characters or holds a character a header cannot carry.
std::string bearer_token_from_env(std::string_view variable);

}  // namespace weir::mcp
