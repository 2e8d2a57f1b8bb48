#include "modules/output/database_sink.hpp"

namespace weir::modules {

// The commit engine makes the commits durable where that matters (CommitEngine::make_durable).
void DatabaseSink::connect() {
  disconnect();
  lease_ = pool_->acquire();
  connection_ = &*lease_;
  connection_->defer_durability(true);
}

// The writers first: they hold statements of the connection.
void DatabaseSink::disconnect() noexcept {
  drop_writers();
  connection_ = nullptr;
  if (!lease_) return;
  lease_.discard();
  pool_->distrust_idle();
}

// The engine made the commits durable before; the pool's next user commits as the URL says.
void DatabaseSink::release() noexcept {
  drop_writers();
  if (connection_) connection_->defer_durability(false);
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
