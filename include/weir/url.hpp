// weir::Url — a parsed connection URL.
//
//   postgres://user:pass@host:5432/db?sslmode=require   (also postgresql://)
//   mysql://user:pass@[::1]:3306/db                      (also mariadb://)
//   sqlite:relative/path.db   sqlite:///abs/path.db   sqlite::memory:
//
// User, password, database and option values are percent-decoded. to_string() is the only
// way a URL is ever printed, and it masks the password unless asked not to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {

struct Url {
  std::string scheme;    // normalised: "postgres", "mysql" or "sqlite"
  std::string user;
  std::string password;  // empty when none was given
  std::string host;      // without brackets for IPv6
  std::uint16_t port = 0;  // 0: the driver's default
  std::string database;  // database name; for sqlite the file path or ":memory:"
  std::vector<std::pair<std::string, std::string>> options;  // query parameters, in order

  // Throws Error{config} with the (redacted) URL and what is wrong with it.
  static Url parse(std::string_view text);

  std::optional<std::string_view> option(std::string_view key) const noexcept;
  void set_option(std::string_view key, std::string_view value);

  // postgres://app:***@host:5432/db?sslmode=require
  std::string to_string() const;
  // The same with the real password: for handing to a client library, never for printing.
  std::string to_string_with_password() const;

  bool operator==(const Url&) const = default;
};

// Decodes %XX escapes; throws Error{config} on a malformed escape.
std::string percent_decode(std::string_view text);
// Escapes everything but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);

}  // namespace weir
