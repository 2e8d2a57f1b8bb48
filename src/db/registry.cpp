#include <fmt/format.h>

#include "db/mysql/driver.hpp"
#include "db/postgres/driver.hpp"
#include "db/sqlite/driver.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::db {

const Registry& Registry::builtin() {
  static const Registry registry = [] {
    Registry r;
    r.add(std::make_unique<sqlite::SqliteDriver>());
    r.add(std::make_unique<postgres::PgDriver>());
    r.add(std::make_unique<mysql::MyDriver>());
    return r;
  }();
  return registry;
}

void Registry::add(std::unique_ptr<Driver> driver) {
  url_schemes_.push_back(driver->url_scheme());
  drivers_.push_back(std::move(driver));
}

std::vector<const Driver*> Registry::drivers() const {
  std::vector<const Driver*> out;
  for (const auto& d : drivers_) out.push_back(d.get());
  return out;
}

const Driver& Registry::for_scheme(std::string_view scheme) const {
  for (const auto& d : drivers_)
    if (d->scheme() == scheme) return *d;
  throw Error(ErrorKind::unsupported,
              fmt::format("no driver for `{}` URLs in this build (available: {})", scheme,
                          fmt::join(schemes(), ", ")));
}

std::vector<std::string_view> Registry::schemes() const {
  std::vector<std::string_view> out;
  for (const auto& d : drivers_) out.push_back(d->scheme());
  return out;
}

std::unique_ptr<Connection> connect(const ConnectionConfig& config) {
  return Registry::builtin().for_scheme(config.url.scheme).connect(config);
}

}  // namespace weir::db

namespace weir {

Url Url::parse(std::string_view text) { return parse(text, db::Registry::builtin().url_schemes()); }

}  // namespace weir
