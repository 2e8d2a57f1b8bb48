// What the SQL outputs (sql_write, sql_apply) share: a Sink over one connection leased from the
// run's pool for its target, whose transactions and savepoints are the connection's. A module
// adds how it writes rows; what holds statements of the connection (bulk writers) it drops in
// drop_writers(), which runs before the connection goes back or is discarded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "pipeline/sink.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"

namespace weir::modules {

class DatabaseSink : public pipeline::Sink {
 public:
  DatabaseSink(const pipeline::ModuleContext& context, db::ConnectionConfig config, std::string path)
      : connection_config_(std::move(config)), pool_(context.pool(connection_config_)), path_(std::move(path)) {}

  void connect() override;
  // A connection found broken is discarded, and the pool checks its idle ones before use.
  void disconnect() noexcept override;
  // The pipeline ended: the connection goes back to the pool.
  void release() noexcept override;
  void retrying() noexcept override { pool_->count_retry(); }
  bool usable() const noexcept override { return lease_ && !lease_->broken(); }
  db::Connection* connection() noexcept override { return connection_; }
  const db::ConnectionConfig* connection_config() const noexcept override { return &connection_config_; }

  void begin() override { connection_->begin(); }
  void commit() override { connection_->commit(); }
  void rollback() noexcept override;
  void savepoint(std::string_view name) override { connection_->savepoint(name); }
  void release_savepoint(std::string_view name) override { connection_->release_savepoint(name); }
  void rollback_to_savepoint(std::string_view name) override { connection_->rollback_to_savepoint(name); }

  std::string location() const override { return connection_config_.describe(); }

 protected:
  // Drops what holds statements of the connection; called before it goes.
  virtual void drop_writers() noexcept {}

  db::ConnectionConfig connection_config_;
  std::shared_ptr<db::Pool> pool_;
  std::string path_;  // the module's YAML path, for messages
  db::Lease lease_;
  db::Connection* connection_ = nullptr;  // the lease's, while held
};

}  // namespace weir::modules
