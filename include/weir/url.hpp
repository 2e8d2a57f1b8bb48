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
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {

// How one scheme's URLs are written. Each driver declares its own (db::Driver::url_scheme()),
// so the URL parser knows no scheme by name.
struct UrlScheme {
  std::string_view name;                        // what Url::scheme holds: "postgres"
  std::span<const std::string_view> aliases{};  // other spellings meaning the same: "postgresql"
  bool file_path = false;                       // scheme:path/to/file, no host: "sqlite:data.db"
};

struct Url {
  std::string scheme;    // normalised to its UrlScheme::name: "postgres", "mysql", "sqlite"
  std::string user;
  std::string password;  // empty when none was given
  std::string host;      // without brackets for IPv6
  std::uint16_t port = 0;  // 0: the driver's default
  std::string database;  // database name; for a file_path scheme the file path (sqlite: or ":memory:")
  std::vector<std::pair<std::string, std::string>> options;  // query parameters, in order
  bool file_path = false;  // written scheme:path (UrlScheme::file_path)

  // Parses a URL of one of the schemes of the drivers in this build (db::Registry::builtin(),
  // defined in db/registry.cpp). Throws Error{config} with the (redacted) URL and what is wrong.
  static Url parse(std::string_view text);
  // The same for the given schemes, matched without regard to case.
  static Url parse(std::string_view text, std::span<const UrlScheme> schemes);

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
