#include "mcp/http_endpoint.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "core/text.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {

namespace {

constexpr std::size_t kMinTokenLength = 16;

bool is_ipv4(const std::string& host) {
  in_addr address{};
  return ::inet_pton(AF_INET, host.c_str(), &address) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr address{};
  return ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// A DNS name: letters, digits, hyphens and dots, not all digits and dots (that is a bad IPv4).
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-') return false;
  bool letter = false;
  for (char c : host) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha || c == '-';
    if (!alpha && !(c >= '0' && c <= '9') && c != '-' && c != '.') return false;
  }
  return letter;
}

std::uint16_t parse_port(std::string_view text, std::string_view port) {
  bool digits = !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  int value = digits ? std::atoi(std::string(port).c_str()) : -1;
  if (value < 0 || value > 65535)
    throw Error(ErrorKind::config, fmt::format("--http `{}`: `{}` is not a port (0 to 65535, 0 for any free one)", text, port));
  return static_cast<std::uint16_t>(value);
}

// "host:port", "[v6]:port" or "host" → the host, lower-cased, without brackets; "" when unreadable.
std::string host_part(std::string_view authority) {
  if (authority.starts_with('[')) {
    auto end = authority.find(']');
    return end == std::string_view::npos ? "" : to_lower(authority.substr(1, end - 1));
  }
  auto colon = authority.find(':');
  return to_lower(authority.substr(0, colon));
}

}  // namespace

HttpEndpoint parse_http_endpoint(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    auto end = text.find("]:");
    if (end != std::string_view::npos) host = text.substr(1, end - 1), port = text.substr(end + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon), port = text.substr(colon + 1);
  }
  if (host.empty() || port.empty())
    throw Error(ErrorKind::config, fmt::format("--http `{}`: expected HOST:PORT, such as 127.0.0.1:8808", text));
  HttpEndpoint endpoint{std::string(host), parse_port(text, port), false};
  bool valid = text.starts_with('[') ? is_ipv6(endpoint.host)
                                     : is_ipv4(endpoint.host) || (is_host_name(host) && host.find(':') == std::string_view::npos);
  if (!valid)
    throw Error(ErrorKind::config, fmt::format("--http `{}`: `{}` is not an IP address or a host name{}", text, host,
                                               host.find(':') != std::string_view::npos ? " (write an IPv6 address in brackets: [::1]:8808)" : ""));
  endpoint.loopback = is_loopback_host(endpoint.host);
  return endpoint;
}

std::string to_string(const HttpEndpoint& endpoint) {
  if (endpoint.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", endpoint.host, endpoint.port);
  return fmt::format("{}:{}", endpoint.host, endpoint.port);
}

bool is_loopback_host(std::string_view host) {
  std::string name = host.starts_with('[') ? host_part(host) : to_lower(host);
  if (name == "localhost" || name == "::1") return true;
  in_addr address{};
  return ::inet_pton(AF_INET, name.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

std::string refused_origin(const HttpEndpoint& endpoint, std::string_view host, std::string_view origin) {
  if (endpoint.loopback && !host.empty() && !is_loopback_host(host_part(host)))
    return fmt::format("Host `{}` does not name this machine's loopback, which this server listens on", host);
  if (origin.empty()) return "";
  auto scheme_end = origin.find("://");
  std::string origin_host;
  if (scheme_end != std::string_view::npos) {
    std::string_view authority = origin.substr(scheme_end + 3);
    origin_host = host_part(authority.substr(0, authority.find('/')));
  }
  if (!origin_host.empty() && (is_loopback_host(origin_host) || iequals(origin_host, endpoint.host))) return "";
  return fmt::format("Origin `{}` may not use this server (only this machine's pages may)", origin);
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size() || !iequals(authorization.substr(0, scheme.size()), scheme)) return false;
  std::string_view given = trim(authorization.substr(scheme.size()));
  unsigned char differ = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    differ |= static_cast<unsigned char>(given[i] ^ (token.empty() ? 0 : token[i % token.size()]));
  return differ == 0 && !token.empty();
}

namespace {

// A media range without its parameters, and whether a `q=0` parameter refuses it.
std::string_view media_range(std::string_view item, bool& refused) {
  auto semicolon = item.find(';');
  std::string_view params = semicolon == std::string_view::npos ? "" : item.substr(semicolon + 1);
  refused = false;
  while (!params.empty()) {
    auto next = params.find(';');
    std::string_view param = trim(params.substr(0, next));
    if (param.size() > 2 && iequals(param.substr(0, 2), "q=") &&
        param.substr(2).find_first_not_of("0.") == std::string_view::npos)
      refused = true;
    params = next == std::string_view::npos ? "" : params.substr(next + 1);
  }
  return trim(item.substr(0, semicolon));
}

}  // namespace

bool accepts_media(std::string_view accept, std::string_view type) {
  if (trim(accept).empty()) return true;
  std::string_view family = type.substr(0, type.find('/') + 1);  // "application/"
  while (!accept.empty()) {
    auto comma = accept.find(',');
    bool refused = false;
    std::string_view range = media_range(accept.substr(0, comma), refused);
    bool matches = iequals(range, type) || range == "*/*" ||
                   (range.size() == family.size() + 1 && iequals(range.substr(0, family.size()), family) && range.back() == '*');
    if (matches && !refused) return true;
    accept = comma == std::string_view::npos ? "" : accept.substr(comma + 1);
  }
  return false;
}

bool is_media_type(std::string_view content_type, std::string_view type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), type);
}

std::string bearer_token_from_env(std::string_view variable) {
  const char* value = std::getenv(std::string(variable).c_str());
  if (!value || !*value)
    throw Error(ErrorKind::config, fmt::format("--token-env {}: the environment variable is not set or empty", variable));
  std::string token = value;
  register_secret(token);
  bool printable = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 127; });
  if (!printable)
    throw Error(ErrorKind::config, fmt::format("--token-env {}: the token holds a space or a character an HTTP header "
                                               "cannot carry",
                                               variable));
  if (token.size() < kMinTokenLength)
    throw Error(ErrorKind::config, fmt::format("--token-env {}: the token has {} characters; use at least {} (e.g. "
                                               "`openssl rand -hex 32`)",
                                               variable, token.size(), kMinTokenLength));
  return token;
}

}  // namespace weir::mcp
