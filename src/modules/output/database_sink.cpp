#include "modules/output/database_sink.hpp"

namespace weir::modules {

void DatabaseSink::connect() {
  disconnect();
  lease_ = pool_->acquire();
  connection_ = &*lease_;
}

// The writers first: they hold statements of the connection.
void DatabaseSink::disconnect() noexcept {
  drop_writers();
  connection_ = nullptr;
  if (!lease_) return;
  lease_.discard();
  pool_->distrust_idle();
}

void DatabaseSink::release() noexcept {
  drop_writers();
  connection_ = nullptr;
  lease_ = {};
}

void DatabaseSink::rollback() noexcept {
  try {
    if (connection_ && connection_->in_transaction()) connection_->rollback();
  } catch (...) {
  }
}

}  // namespace weir::modules
