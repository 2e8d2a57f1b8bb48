#include "weir/secret.hpp"

#include <algorithm>
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

std::string redact(std::string_view text) {
  std::string out = mask_url_passwords(text);
  auto& r = registry();
  std::shared_lock lock(r.mutex);
  for (const std::string& secret : r.secrets) replace_all(out, secret);
  return out;
}

}  // namespace weir
