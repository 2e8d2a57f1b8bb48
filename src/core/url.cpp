#include "weir/url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "core/text.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir {
namespace {

// An IPv6 address as a URL writes it in brackets: hex digits, colons (at least one) and dots (an
// embedded IPv4 address), then optionally a zone after '%' (`fe80::1%eth0`).
bool is_ipv6_literal(std::string_view host) {
  const std::string_view address = host.substr(0, host.find('%'));
  const std::string_view zone = host.substr(address.size() == host.size() ? host.size() : address.size() + 1);
  auto in_address = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; };
  auto in_zone = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; };
  return address.find(':') != std::string_view::npos && std::all_of(address.begin(), address.end(), in_address) &&
         (address.size() == host.size() || (!zone.empty() && std::all_of(zone.begin(), zone.end(), in_zone)));
}

// The URL with whatever sits between the user name and the last '@' masked: a malformed
// URL may not be recognisable to redact(), and its password is not registered yet.
std::string mask_userinfo(std::string_view text) {
  auto at = text.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  auto sep = text.find("://");
  std::size_t start = sep != std::string_view::npos && sep < at ? sep + 3 : 0;
  auto colon = text.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(text);
  return std::string(text.substr(0, colon + 1)) + "***" + std::string(text.substr(at));
}

// Whatever the scheme: an unknown one (`odbc:…;PWD=…`) is shown with its credentials masked too.
[[noreturn]] void bad_url(std::string_view text, std::string_view why) {
  throw Error(ErrorKind::config,
              fmt::format("invalid connection URL `{}`: {}", mask_credentials(mask_userinfo(text)), why));
}

// Percent-decodes `part` (the `what` of the URL `text`). A '%' that starts no escape is most
// often a special character pasted raw into a password: say how to write it, never the value.
std::string decode_part(std::string_view part, std::string_view text, std::string_view what) {
  try {
    return percent_decode(part);
  } catch (const Error&) {
    bad_url(text, fmt::format("the {} holds a `%` not followed by two hex digits: percent-encode special "
                              "characters (`%` as %25, `@` as %40, `/` as %2F){}",
                              what, what == "password" ? ", or give the password in `password:` instead" : ""));
  }
}

const UrlScheme* find_scheme(std::string_view written, std::span<const UrlScheme> schemes) {
  std::string name = to_lower(written);
  for (const UrlScheme& s : schemes) {
    if (s.name == name) return &s;
    for (std::string_view alias : s.aliases)
      if (alias == name) return &s;
  }
  return nullptr;
}

std::string scheme_names(std::span<const UrlScheme> schemes) {
  std::vector<std::string_view> names;
  for (const UrlScheme& s : schemes) {
    names.push_back(s.name);
    names.insert(names.end(), s.aliases.begin(), s.aliases.end());
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string scheme_examples(std::span<const UrlScheme> schemes) {
  std::vector<std::string> examples;
  for (const UrlScheme& s : schemes)
    examples.push_back(s.file_path ? fmt::format("{}:file.db", s.name) : fmt::format("{}://user@host/db", s.name));
  return fmt::format("{}", fmt::join(examples, ", "));
}

void parse_query(std::string_view query, std::string_view text, Url& url) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = decode_part(pair.substr(0, eq), text, "query");
    std::string value = eq == std::string_view::npos ? "" : decode_part(pair.substr(eq + 1), text, "query");
    url.set_option(key, value);
  }
}

// A file path: "sqlite:path", "sqlite:///abs", "sqlite://relative", "sqlite::memory:"
void parse_file_path(std::string_view rest, std::string_view text, Url& url) {
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    // sqlite:///abs/path keeps its leading '/'; sqlite://path is relative
  }
  auto q = rest.find('?');
  if (q != std::string_view::npos) {
    parse_query(rest.substr(q + 1), text, url);
    rest = rest.substr(0, q);
  }
  url.database = decode_part(rest, text, "database path");
  if (url.database.empty()) bad_url(text, fmt::format("no database file (try {}:path/to/file.db)", url.scheme));
}

void parse_authority(std::string_view authority, std::string_view text, Url& url) {
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    url.user = decode_part(userinfo.substr(0, colon), text, "user name");
    if (colon != std::string_view::npos) {
      url.password = decode_part(userinfo.substr(colon + 1), text, "password");
      register_secret(url.password);
    }
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url(text, "unclosed '[' in IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    if (!is_ipv6_literal(url.host)) bad_url(text, "the host in brackets is not an IPv6 address (as `[::1]`)");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') bad_url(text, "unexpected text after IPv6 host");
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.substr(0, colon).find(':') != std::string_view::npos)
      bad_url(text, "a host with `:` in it is an IPv6 address, written in brackets (as `[::1]:5432`)");
    url.host = decode_part(authority.substr(0, colon), text, "host");
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      bad_url(text, fmt::format("port `{}` is not a number from 1 to 65535", port));
    url.port = static_cast<std::uint16_t>(value);
  }
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size() ||
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr != text.data() + i + 3)
      throw Error(ErrorKind::config, "malformed percent-escape in connection URL");
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += char(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

Url Url::parse(std::string_view text, std::span<const UrlScheme> schemes) {
  Url url;
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    bad_url(text, fmt::format("expected scheme:…, e.g. {}", scheme_examples(schemes)));
  const UrlScheme* scheme = find_scheme(text.substr(0, colon), schemes);
  if (!scheme)
    bad_url(text, fmt::format("unknown scheme `{}` (known: {})", text.substr(0, colon), scheme_names(schemes)));
  url.scheme = scheme->name;
  url.file_path = scheme->file_path;
  std::string_view rest = text.substr(colon + 1);
  if (url.file_path) {
    parse_file_path(rest, text, url);
    return url;
  }
  if (!rest.starts_with("//")) bad_url(text, fmt::format("expected {}://host/…", url.scheme));
  rest.remove_prefix(2);
  // A password may hold an unencoded '/' or '?': the host starts after the last '@'.
  auto at = rest.rfind('@');
  std::size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  auto q = rest.find('?', host_start);
  if (q != std::string_view::npos) {
    parse_query(rest.substr(q + 1), text, url);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/', host_start);
  parse_authority(rest.substr(0, slash), text, url);
  if (slash != std::string_view::npos) url.database = decode_part(rest.substr(slash + 1), text, "database name");
  return url;
}

std::optional<std::string_view> Url::option(std::string_view key) const noexcept {
  for (const auto& [k, v] : options)
    if (k == key) return v;
  return std::nullopt;
}

void Url::set_option(std::string_view key, std::string_view value) {
  for (auto& [k, v] : options)
    if (k == key) {
      v = value;
      return;
    }
  options.emplace_back(key, value);
}

namespace {
// The host as parse() reads it back: an IPv6 literal in brackets (read as written), any other
// host with the characters that delimit a URL's parts percent-encoded (it is read decoded).
std::string render_host(const std::string& host) {
  if (is_ipv6_literal(host)) return "[" + host + "]";
  std::string out;
  for (char c : host) {
    if (std::string_view("%@/?:[]").find(c) != std::string_view::npos)
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}

std::string render(const Url& url, bool with_password) {
  std::string out = url.scheme + ":";
  if (url.file_path) {
    if (url.database.starts_with("//")) out += "//";  // parse() drops the first two slashes
    for (char c : url.database) {
      if (c == '%' || c == '?' || c == '#' || c == '&') out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      else out += c;
    }
  } else {
    out += "//";
    if (!url.user.empty() || !url.password.empty()) {
      out += percent_encode(url.user);
      if (!url.password.empty()) out += with_password ? ":" + percent_encode(url.password) : ":***";
      out += '@';
    }
    out += render_host(url.host);
    if (url.port) out += fmt::format(":{}", url.port);
    if (!url.database.empty()) out += "/" + percent_encode(url.database);
  }
  char sep = '?';
  for (const auto& [k, v] : url.options) {
    out += sep;
    out += percent_encode(k) + "=" + percent_encode(v);
    sep = '&';
  }
  return out;
}
}  // namespace

// A credential among the options (`?sslpassword=…`) is masked too.
std::string Url::to_string() const { return mask_credentials(render(*this, false)); }
std::string Url::to_string_with_password() const { return render(*this, true); }

}  // namespace weir
