// Helpers shared by the test binaries: temporary directories, real-server URLs, running
// the weir binary.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "weir/db/connection.hpp"

namespace weir::db {
// gtest prints WriteCounts in failures as "{inserted 2, updated 1, …}".
inline void PrintTo(const WriteCounts& c, std::ostream* os) {
  *os << "{inserted " << c.inserted << ", updated " << c.updated << ", deleted " << c.deleted << ", unchanged "
      << c.unchanged << ", upserted " << c.upserted << ", not_found " << c.not_found << ", skipped " << c.skipped << "}";
}
}  // namespace weir::db

namespace weir::test {

// The last column of the first row `sql` returns, as text ("" when it returns none): the
// value of `SELECT count(*) …`, or of `SHOW STATUS LIKE …` (name, value). Reads every row.
std::string scalar(db::Connection& connection, const std::string& sql);

// A suffix for the names of the tables, pipelines, roles and routines a test creates on a
// shared server: this process's id and a random number, lowercase digits and `_` only (safe
// in any identifier, at most 16 characters). Different on every call and in every process, so
// ctest's processes, each running one test, never share a table or a checkpoint (an unseeded
// std::rand() gives each of them the same numbers).
std::string unique_suffix();

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The URL the test harness exported in `variable` (e.g. WEIR_TEST_PG_URL), or nullopt; when
// it is unset under CI=true the calling test fails. Tests take it through
// WEIR_SERVER_URL_OR_SKIP, which skips (with the reason) when there is none.
std::optional<std::string> server_url(const char* variable);
bool running_under_ci();
// Why a test needing `variable` cannot run.
std::string no_server_reason(const char* variable);

// In a test body or SetUp: declares `name`, the URL the harness exported in `variable`, or
// skips the test naming the variable (and fails it too under CI=true: a missing server is
// then a broken run, not a reason to pass).
#define WEIR_SERVER_URL_OR_SKIP(name, variable)                                     \
  const std::optional<std::string> name = ::weir::test::server_url(variable);       \
  if (!name) GTEST_SKIP() << ::weir::test::no_server_reason(variable)

// A connection to the SQLite file at `path` (created when missing).
std::unique_ptr<db::Connection> open_sqlite(const std::string& path);

// A schema of the columns named and typed as given, for batches a test builds.
std::shared_ptr<const Schema> schema_of(const std::vector<std::pair<std::string, Type>>& columns);

// A database a test writes to: the harness's server whose URL is in `url_variable`, or, when
// that is null, the SQLite file `sqlite_file` in the test's directory `dir` (the pipeline
// files' working directory). `yaml_url` is how a pipeline file names it, the server's URL
// through its variable.
struct TargetDatabase {
  std::string url;
  std::string yaml_url;
  std::unique_ptr<db::Connection> connection;
};
// nullopt (and, under CI, a failure) when the harness did not start the server.
std::optional<TargetDatabase> open_target(const char* url_variable, const TempDir& dir, const std::string& sqlite_file);

// Restarts the harness's server and returns once it accepts connections again; the calling
// test fails when the restart does.
using ServerRestart = std::function<void()>;
// PostgreSQL through pg_ctl (WEIR_TEST_PG_BIN, _DATA, _LOG), MariaDB through the harness's
// control script (WEIR_TEST_MYSQL_CTL); nullopt, and a failure, when the harness did not
// export them.
std::optional<ServerRestart> postgres_restart();
std::optional<ServerRestart> mariadb_restart();

// The same servers stopped or started on their own ("stop", "start", "restart"); returns once
// the server is down, or accepts connections again.
using ServerControl = std::function<void(const std::string& action)>;
std::optional<ServerControl> postgres_control();
std::optional<ServerControl> mariadb_control();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the weir binary built alongside the tests with `args` (no shell involved), in
// `working_dir` if given, with `env` (NAME=value) added to the environment. A command still
// running after WEIR_TEST_COMMAND_LIMIT seconds (default 480) is killed, and its stderr ends
// with its threads' stacks.
CommandResult run_weir(const std::vector<std::string>& args, const std::string& working_dir = {},
                       const std::vector<std::string>& env = {});

// Runs any program the same way (e.g. psql, sqlite3).
CommandResult run_program(const std::vector<std::string>& argv, const std::string& working_dir = {},
                          const std::vector<std::string>& env = {});

// Every thread's stack of process `pid` (by gdb), to show where a hung weir waits.
std::string thread_stacks(int pid);

// The weir binary running in the background, its stdout and stderr going to files (so the
// test may kill it at any moment: kill -9 mid-run, SIGTERM to drain).
class Background {
 public:
  Background(const std::vector<std::string>& args, const std::string& output_dir,
             const std::vector<std::string>& env = {});
  ~Background();  // kills it if still running
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void signal(int signal_number);
  bool running();
  // Waits for the exit; returns the exit code (128 + signal when killed).
  int wait();
  std::string out() const;
  std::string err() const;
  int pid() const noexcept { return pid_; }
  // Waits until the program's standard error holds `what`, checking every `every`: false when it
  // ended first or `limit` passed (a test then fails at once, not at ctest's timeout).
  bool err_says(const std::string& what, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(20));

 private:
  int pid_ = -1;
  int status_ = -1;
  std::string out_file_, err_file_;
};

// A filesystem mounted for one test, unmounted on destruction: a tmpfs of a given size (a disk
// that fills up), or a file or directory bound read-only onto itself (writes fail even as
// root, where chmod stops nothing). Mounting needs root; when it fails, mounted() is false and
// why() says why, for the test to skip.
class Mount {
 public:
  static Mount tmpfs(const std::string& dir, const std::string& size);
  static Mount read_only(const std::string& path);
  ~Mount();
  Mount(Mount&& other) noexcept : dir_(std::move(other.dir_)), why_(std::move(other.why_)) { other.dir_.clear(); }
  Mount& operator=(Mount&&) = delete;

  bool mounted() const noexcept { return !dir_.empty(); }
  const std::string& why() const noexcept { return why_; }
  // Remounts the tmpfs with another size (the disk is freed up).
  bool resize(const std::string& size);

 private:
  Mount(const std::string& dir, const std::vector<std::vector<std::string>>& commands);
  std::string dir_;  // empty when not mounted
  std::string why_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

// Current resident set size of this process in bytes (from /proc/self/statm).
std::size_t resident_bytes();

}  // namespace weir::test
