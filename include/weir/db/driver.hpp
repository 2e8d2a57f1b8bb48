// weir::db::Driver and the registry that picks one by URL scheme.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/db/connection.hpp"
#include "weir/url.hpp"

namespace weir::config {
struct Spec;
}

namespace weir::db {

class Catalog;
class Dialect;

struct ConnectionConfig {
  std::string name;  // the name in weir.yaml, or empty for a bare URL; used in messages
  Url url;           // password already resolved from {env:…}/{file:…}
  // A SQL script file run, in one transaction, when connect() creates the database (an
  // absent SQLite file). If it fails the new database is removed: nothing half-made stays.
  std::string init_script;
  // Set in the config file (connections.NAME.read_only …), applied by the driver. A read-only
  // connection refuses writes in the database itself (PostgreSQL default_transaction_read_only,
  // MySQL's session transaction mode, SQLite's read-only open), and commands that write refuse it
  // before anything reaches the server.
  bool read_only = false;
  std::optional<std::chrono::milliseconds> connect_timeout{};  // nullopt: the URL's or driver's default
  std::optional<std::chrono::milliseconds> query_timeout{};    // nullopt: the URL's, or no limit

  // What messages call this connection: "connection `shop` (postgres://app:***@h/db)".
  std::string describe() const;
  // Which database this is, whatever it is called and however it is reached:
  // "postgres://app@h:5432/db", without password or options.
  std::string identity() const;
};

// A database driver: everything weir knows of one kind of database is declared here, so adding
// a driver means registering it (db/registry.cpp) and nothing else outside its folder.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string_view name() const noexcept = 0;
  // The URL scheme it serves, its aliases and how its URLs are written.
  virtual const UrlScheme& url_scheme() const noexcept = 0;
  // The normalised URL scheme this driver serves (Url::scheme).
  std::string_view scheme() const noexcept { return url_scheme().name; }
  // Its URL options (`?name=value`), declared once: validation without connecting, connect()
  // and `weir reference config` all read this spec.
  virtual const config::Spec& url_options() const = 0;
  // Its SQL dialect, without a connection.
  virtual const Dialect& dialect() const = 0;
  // Its catalog queries (tables, constraints, indexes, the server's version).
  virtual const Catalog& catalog() const = 0;
  // Its part of docs/types.md (`weir reference types`): how native types map to logical ones,
  // in Markdown, without a heading.
  virtual std::string types_reference() const = 0;
  // Opens a connection; throws Error{connection|auth|config}.
  virtual std::unique_ptr<Connection> connect(const ConnectionConfig& config) const = 0;

  // How many connections writing one table at once a bulk copy into this database uses when
  // not told (weir sync without --jobs), and the most that help (0: no limit).
  struct BulkWriters {
    std::size_t by_default = 1;
    std::size_t at_most = 0;
  };
  virtual BulkWriters bulk_writers() const noexcept { return {}; }
};

// The drivers compiled into this build, registered explicitly (db/registry.cpp).
class Registry {
 public:
  static const Registry& builtin();
  void add(std::unique_ptr<Driver> driver);
  // Throws Error{unsupported} naming the scheme and the available drivers.
  const Driver& for_scheme(std::string_view scheme) const;
  std::vector<std::string_view> schemes() const;
  // Every driver's UrlScheme, in registration order (what Url::parse accepts).
  std::span<const UrlScheme> url_schemes() const noexcept { return url_schemes_; }
  std::vector<const Driver*> drivers() const;

 private:
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::vector<UrlScheme> url_schemes_;
};

// Registry::builtin().for_scheme(config.url.scheme).connect(config)
std::unique_ptr<Connection> connect(const ConnectionConfig& config);

}  // namespace weir::db
