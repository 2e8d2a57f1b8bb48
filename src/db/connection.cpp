#include "weir/db/connection.hpp"

#include "weir/db/driver.hpp"
#include "weir/log.hpp"

namespace weir::db {

void Connection::savepoint(std::string_view name) {
  execute("SAVEPOINT " + dialect().quote_identifier(name));
}

void Connection::release_savepoint(std::string_view name) {
  execute("RELEASE SAVEPOINT " + dialect().quote_identifier(name));
}

void Connection::rollback_to_savepoint(std::string_view name) {
  execute("ROLLBACK TO SAVEPOINT " + dialect().quote_identifier(name));
}

WriteCounts& WriteCounts::operator+=(const WriteCounts& other) noexcept {
  inserted += other.inserted;
  updated += other.updated;
  deleted += other.deleted;
  unchanged += other.unchanged;
  upserted += other.upserted;
  not_found += other.not_found;
  skipped += other.skipped;
  return *this;
}

Transaction::Transaction(Connection& connection) : connection_(&connection) { connection_->begin(); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_->rollback();
  } catch (const std::exception& e) {
    log::warn(std::string("rollback failed: ") + e.what());
  }
}

void Transaction::commit() {
  open_ = false;
  connection_->commit();
}

std::string ConnectionConfig::identity() const {
  Url bare = url;
  bare.password.clear();
  bare.options.clear();
  return bare.to_string();
}

std::string ConnectionConfig::describe() const {
  if (name.empty()) return url.to_string();
  return "connection `" + name + "` (" + url.to_string() + ")";
}

}  // namespace weir::db
