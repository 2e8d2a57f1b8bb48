#include "db/sqlite/wal_checkpointer.hpp"

#include <fmt/format.h>

#include "weir/log.hpp"

namespace weir::db::sqlite {

std::unique_ptr<WalCheckpointer> WalCheckpointer::start(SqliteConnection& writer) {
  const char* file = sqlite3_db_filename(writer.handle(), "main");
  if (!file || !*file || writer.journal_mode() != "wal") return nullptr;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle own(raw);
  if (rc != SQLITE_OK) return nullptr;
  // A checkpoint syncs as its connection is told to: as the writer's (synchronous=off: never).
  const std::string sync = fmt::format("PRAGMA synchronous = {}", writer.pragma_int("synchronous"));
  if (sqlite3_exec(own.get(), sync.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return nullptr;
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(writer.handle(), std::move(own)));
}

WalCheckpointer::WalCheckpointer(sqlite3* writer, DbHandle own) : writer_(writer), own_(std::move(own)) {
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);  // replaces SQLite's auto-checkpoint
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_, kCheckpointPages);  // takes the hook back
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int log_pages) {
  auto& c = *static_cast<WalCheckpointer*>(self);
  if (log_pages < kCheckpointPages) return SQLITE_OK;
  std::unique_lock lock(c.mutex_);
  if (c.failed_) {
    lock.unlock();
    sqlite3_wal_checkpoint(db, schema);  // what SQLite's own hook does
    return SQLITE_OK;
  }
  c.asked_ = true;
  c.wake_.notify_one();
  if (log_pages >= kWalLimitPages) {
    // A checkpoint that starts after this commit: one already running may not cover it.
    const std::uint64_t covering = c.started_ + 1;
    c.done_.wait(lock, [&] { return c.finished_ >= covering || c.failed_; });
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return asked_ || stop_; });
    if (stop_) return;
    asked_ = false;
    ++started_;
    lock.unlock();
    // PASSIVE: copies what no reader still needs and never waits; a busy checkpoint (another
    // connection's running) leaves the pages to the next one.
    int rc = sqlite3_wal_checkpoint_v2(own_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::string failure = rc == SQLITE_OK || rc == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
                              ? std::string()
                              : sqlite3_errmsg(own_.get());
    lock.lock();
    ++finished_;
    failed_ = !failure.empty();
    done_.notify_all();
    if (failed_) {
      log::warn(fmt::format("SQLite: checkpointing `{}` in the background failed ({}); its writer checkpoints "
                            "on its commits again",
                            sqlite3_db_filename(own_.get(), "main"), failure));
      return;
    }
  }
}

}  // namespace weir::db::sqlite
