#include "pipeline/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "weir/db/driver.hpp"
#include "weir/error.hpp"
#include "weir/retry.hpp"

namespace weir::pipeline {
namespace {

// The file a SQLite store's lock of `owner` is taken on: beside the store, so that whoever can
// write the store can lock it.
std::string lock_file(const StateStore& store, const StateOwner& owner) {
  return fmt::format("{}.{}.lock", store.config().url.database, hash_text(owner.key));
}

}  // namespace

std::string run_lock_name(const StateStore& store, const StateOwner& owner) {
  const Url& url = store.config().url;
  return "weir.run." + hash_text(fmt::format("{}:{}/{}#{}", url.host, url.port, url.database, owner.key));
}

std::optional<RunLock> RunLock::try_take(const StateStore& store, const StateOwner& owner) {
  const db::ConnectionConfig& config = store.config();
  RunLock lock;
  if (config.url.file_path) {
    if (config.url.database == ":memory:") return lock;
    const std::string path = lock_file(store, owner);
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    lock.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock.fd_ < 0)
      throw Error(ErrorKind::permission,
                  fmt::format("cannot open the lock file {} of the state store {}: {}", path, config.describe(),
                              std::strerror(errno)),
                  std::to_string(errno));
    if (::flock(lock.fd_, LOCK_EX | LOCK_NB) == 0) return lock;
    if (errno == EWOULDBLOCK) return std::nullopt;
    throw Error(ErrorKind::internal, fmt::format("cannot lock {}: {}", path, std::strerror(errno)),
                std::to_string(errno));
  }
  try {
    lock.session_ = db::connect(config);
    const db::Dialect::SessionLock session_lock = lock.session_->dialect().session_lock();
    if (session_lock.try_query.empty()) return lock;
    if (session_lock.in_transaction) lock.session_->begin();
    std::array<Value, 1> params{Value(run_lock_name(store, owner))};
    Batch row;
    if (!lock.session_->query(session_lock.try_query, params)->next(row, 1) || row.empty() || row.at(0, 0).is_null())
      throw Error(ErrorKind::internal, "the lock query returned no row");
    const Value& taken = row.at(0, 0);  // a boolean on PostgreSQL, 1 or 0 on MySQL
    if (taken.get_if<bool>() ? !taken.as_bool() : taken.to_text() != "1") return std::nullopt;
  } catch (Error& e) {
    throw e.add_context(fmt::format("taking the pipeline's run lock in the state store {}", config.describe()));
  }
  return lock;
}

RunLock::RunLock(RunLock&& other) noexcept
    : session_(std::move(other.session_)), fd_(std::exchange(other.fd_, -1)), watcher_(std::move(other.watcher_)) {}

void RunLock::watch(std::function<void(const Error&)> on_lost, std::chrono::milliseconds every) {
  if (!session_) return;
  // The thread holds the session itself, which stays put when the RunLock moves.
  watcher_ = std::jthread([session = session_.get(), on_lost = std::move(on_lost), every](std::stop_token stop) {
    while (sleep_unless_stopped(every, stop)) {
      try {
        session->ping();
      } catch (const Error& e) {
        on_lost(e);
        return;
      }
    }
  });
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the file releases its flock
  // The session's end releases the database's lock.
}

}  // namespace weir::pipeline
