#include "weir/secret.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "weir/url.hpp"

namespace weir {
namespace {

struct SecretRegistry {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;  // longest first, so a secret containing another wins
};

SecretRegistry& registry() {
  static SecretRegistry r;
  return r;
}

// A password may hold '/', '?' or '#' unencoded, so the user-info part runs to the last '@'
// before any of these.
bool ends_authority(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == '`' || c == ',' || c == ')' ||
         c == '>';
}

// Masks the password of every scheme://user:password@host in `text`.
std::string mask_url_passwords(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (true) {
    auto sep = text.find("://", pos);
    if (sep == std::string_view::npos) break;
    std::size_t start = sep + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end])) ++end;
    std::string_view authority = text.substr(start, end - start);
    auto at = authority.rfind('@');
    auto colon = authority.find(':');
    out.append(text.substr(pos, start - pos));
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out.append(authority.substr(0, colon + 1));
      out.append("***");
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

// Keys that carry a credential in key=value connection strings: ODBC and ADO (`PWD=`,
// `Password=`), libpq conninfo (`password=`, `sslpassword=`) and URL query parameters.
bool is_secret_key(std::string_view key) {
  static constexpr std::array<std::string_view, 10> kKeys{"password", "pwd",     "pass",   "passwd",
                                                          "sslpassword", "secret", "token", "api_key",
                                                          "apikey",      "access_token"};
  std::string lower;
  for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kKeys.begin(), kKeys.end(), lower) != kKeys.end();
}

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// Where the value starting at `start` ends: a quoted ('…', "…") or braced ({…}, ODBC) value
// runs to its closing character, any other to the next separator.
std::size_t value_end(std::string_view text, std::size_t start) {
  if (start < text.size() && (text[start] == '\'' || text[start] == '"' || text[start] == '{')) {
    char close = text[start] == '{' ? '}' : text[start];
    auto end = text.find(close, start + 1);
    return end == std::string_view::npos ? text.size() : end + 1;
  }
  std::size_t end = start;
  while (end < text.size() && text[end] != ';' && text[end] != '&' && text[end] != '`' &&
         !std::isspace(static_cast<unsigned char>(text[end])))
    ++end;
  return end;
}

// Masks the value of every `password=…`, `PWD=…` (and the like) in `text`, whatever the
// connection string around it: ODBC, libpq conninfo, a URL's query.
std::string mask_secret_pairs(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (auto eq = text.find('='); eq != std::string_view::npos; eq = text.find('=', eq + 1)) {
    if (eq < pos) continue;
    std::size_t key_end = eq;  // libpq allows `password = …`
    while (key_end > pos && text[key_end - 1] == ' ') --key_end;
    std::size_t key_start = key_end;
    while (key_start > pos && is_key_char(text[key_start - 1])) --key_start;
    std::size_t value_start = eq + 1;
    while (value_start < text.size() && text[value_start] == ' ') ++value_start;
    if (!is_secret_key(text.substr(key_start, key_end - key_start)) || value_start >= text.size()) continue;
    std::size_t end = value_end(text, value_start);
    if (end == value_start) continue;
    out.append(text.substr(pos, value_start - pos));
    out.append("***");
    pos = end;
    eq = end - 1;
  }
  out.append(text.substr(pos));
  return out;
}

void replace_all(std::string& text, std::string_view needle) {
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 3))
    text.replace(pos, needle.size(), "***");
}

}  // namespace

void register_secret(std::string_view secret) {
  if (secret.size() < 4) return;
  auto& r = registry();
  std::unique_lock lock(r.mutex);
  for (std::string form : {std::string(secret), percent_encode(secret)}) {
    if (std::find(r.secrets.begin(), r.secrets.end(), form) != r.secrets.end()) continue;
    r.secrets.push_back(std::move(form));
  }
  std::sort(r.secrets.begin(), r.secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string mask_credentials(std::string_view text) { return mask_secret_pairs(mask_url_passwords(text)); }

std::string redact(std::string_view text) {
  std::string out = mask_credentials(text);
  auto& r = registry();
  std::shared_lock lock(r.mutex);
  for (const std::string& secret : r.secrets) replace_all(out, secret);
  return out;
}

}  // namespace weir
