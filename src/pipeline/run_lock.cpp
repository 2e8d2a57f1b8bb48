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

namespace weir::pipeline {
namespace {

// The file a SQLite store's lock of `owner` is taken on: beside the store, so that whoever can
// write the store can lock it.
std::string lock_file(const StateStore& store, const StateOwner& owner) {
  return fmt::format("{}.{}.lock", store.config().url.database, hash_text(owner.key));
}

// The query taking a lock held until the session ends however it ends, named by its one
// parameter, without waiting: one row, true (1) when taken. "" for a database without one
// (SQLite: a file lock instead). On PostgreSQL the lock belongs to a transaction left open for
// the run: a session lock taken through a transaction-mode pooler (PgBouncer) would stay with
// the pooled server connection after weir left, locking every later run out; an open
// transaction pins that connection to weir and ends with it. It holds no transaction id, so it
// holds back neither vacuum nor the polls' horizon.
std::string_view try_session_lock_query(const db::Dialect& dialect) {
  if (dialect.name() == "postgres") return "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))";
  if (dialect.name() == "mysql") return "SELECT GET_LOCK(?, 0)";
  return "";
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
    std::string_view query = try_session_lock_query(lock.session_->dialect());
    if (query.empty()) return lock;
    if (lock.session_->dialect().name() == "postgres") lock.session_->begin();
    std::array<Value, 1> params{Value(run_lock_name(store, owner))};
    Batch row;
    if (!lock.session_->query(query, params)->next(row, 1) || row.empty() || row.at(0, 0).is_null())
      throw Error(ErrorKind::internal, "the lock query returned no row");
    const Value& taken = row.at(0, 0);  // a boolean on PostgreSQL, 1 or 0 on MySQL
    if (taken.get_if<bool>() ? !taken.as_bool() : taken.to_text() != "1") return std::nullopt;
  } catch (Error& e) {
    throw e.add_context(fmt::format("taking the pipeline's run lock in the state store {}", config.describe()));
  }
  return lock;
}

RunLock::RunLock(RunLock&& other) noexcept
    : session_(std::move(other.session_)), fd_(std::exchange(other.fd_, -1)) {}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the file releases its flock
  // The session's end releases the database's lock.
}

}  // namespace weir::pipeline
