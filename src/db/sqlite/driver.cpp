#include "db/sqlite/driver.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/text.hpp"
#include "db/sqlite/catalog.hpp"
#include "db/sqlite/connection.hpp"
#include "db/sqlite/decimal_sum.hpp"
#include "db/sqlite/dialect.hpp"
#include "db/sqlite/errors.hpp"
#include "db/sqlite/options.hpp"
#include "db/sqlite/types.hpp"
#include "db/sqlite/wal_buffer.hpp"
#include "weir/error.hpp"

namespace weir::db::sqlite {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, fmt::format("cannot read init script `{}`", path));
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

void remove_database_files(const std::string& path) noexcept {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(path + suffix, ignored);
}

// Builds the database from its init script under a temporary name, then links it into
// place: a connection opened meanwhile (another stage of the same pipeline, another weir) never
// sees a half-initialised file, and exactly one of several racing creators wins.
void create_from_init_script(const SqliteDriver& driver, const ConnectionConfig& config) {
  const std::string& path = config.url.database;
  ConnectionConfig staging = config;
  staging.init_script.clear();
  staging.url.database = fmt::format("{}.weir-init-{}-{}", path, ::getpid(), std::random_device{}());
  try {
    std::string script = read_file(config.init_script);
    auto connection = driver.connect(staging);
    Transaction tx(*connection);
    connection->execute_script(script);
    tx.commit();
  } catch (Error& e) {
    remove_database_files(staging.url.database);
    throw e.add_context(fmt::format("initialising {} from `{}`", config.describe(), config.init_script));
  }
  int linked = ::link(staging.url.database.c_str(), path.c_str());
  int link_errno = errno;
  remove_database_files(staging.url.database);
  if (linked != 0 && link_errno != EEXIST)
    throw Error(ErrorKind::connection, fmt::format("{}: cannot create `{}`: {}", config.describe(), path,
                                                   std::strerror(link_errno)));
}

// Switching a file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once
// rather than waiting out the busy timeout: of several connections opening a new file
// together, all but one would fail. WAL persists in the file, so a connection that finds it
// set leaves it; one that collides tries again until the busy timeout has passed.
void set_journal_mode(SqliteConnection& connection, const std::string& mode, int busy_timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    if (connection.journal_mode() == mode) return;
    try {
      connection.execute_script("PRAGMA journal_mode = " + mode);
      return;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::serialization || std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

const UrlScheme& SqliteDriver::url_scheme() const noexcept {
  static constexpr std::string_view kAliases[] = {"sqlite3"};
  static const UrlScheme scheme{"sqlite", kAliases, true};
  return scheme;
}

const config::Spec& SqliteDriver::url_options() const { return url_options_spec(); }

const Dialect& SqliteDriver::dialect() const {
  static const SqliteDialect dialect;
  return dialect;
}

const Catalog& SqliteDriver::catalog() const {
  static const SqliteCatalog catalog;
  return catalog;
}

std::string SqliteDriver::types_reference() const { return types_reference_markdown(); }

std::unique_ptr<Connection> SqliteDriver::connect(const ConnectionConfig& config) const {
  // Memory statistics take a global mutex on every allocation; weir never reads them.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  Options options = read_options(config);
  const std::string& path = config.url.database;
  bool memory = path == ":memory:";
  if (!memory && (options.open_flags & SQLITE_OPEN_CREATE)) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent))
      throw Error(ErrorKind::connection,
                  fmt::format("{}: directory `{}` does not exist", config.describe(), parent.string()), "",
                  false);
  }
  if (!memory && !config.init_script.empty() && !std::filesystem::exists(path))
    create_from_init_script(*this, config);
  sqlite3* raw = nullptr;
  // Write-ahead logs through wal_buffer.hpp: a transaction's frames reach the kernel in a few writes.
  const int flags = options.open_flags | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, memory ? nullptr : wal_buffer_vfs());
  DbHandle db(raw);
  if (rc != SQLITE_OK) throw_error(db.get(), rc, fmt::format("opening {}", config.describe()));
  sqlite3_extended_result_codes(db.get(), 1);
  // Without this, a double-quoted name that matches no column silently becomes a string.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  register_decimal_sum(db.get());

  auto connection = std::make_unique<SqliteConnection>(std::move(db), path);
  std::string pragmas =
      fmt::format("PRAGMA foreign_keys = {}; PRAGMA synchronous = {}; PRAGMA cache_size = -{}; PRAGMA mmap_size = {};",
                  options.foreign_keys, options.synchronous, options.cache_size_kib, options.mmap_size);
  // A read-only file still lets ATTACH open another one for writing: query_only refuses that too.
  if (config.read_only) pragmas += " PRAGMA query_only = 1;";
  try {
    connection->execute_script(pragmas);
    if (!memory && options.open_flags != SQLITE_OPEN_READONLY) {
      set_journal_mode(*connection, options.journal_mode, options.busy_timeout_ms);
      if (!options.synchronous_given && connection->journal_mode() == "wal") connection->allow_deferred_durability();
    }
  } catch (Error& e) {
    throw e.add_context(fmt::format("opening {}", config.describe()));
  }
  return connection;
}

}  // namespace weir::db::sqlite
