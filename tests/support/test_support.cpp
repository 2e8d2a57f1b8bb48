#include "support/test_support.hpp"

#include <fcntl.h>
#include <csignal>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "weir/db/connection.hpp"
#include "weir/db/driver.hpp"

extern char** environ;

namespace weir::test {

std::string scalar(db::Connection& connection, const std::string& sql) {
  auto cursor = connection.query(sql);
  Batch batch;
  std::optional<std::string> first;
  while (cursor->next(batch, 64))
    if (!first && batch.rows()) first = batch.at(0, batch.width() - 1).to_text();
  return first.value_or("");
}

std::string unique_suffix() {
  thread_local std::random_device device;
  return std::to_string(::getpid()) + "_" + std::to_string(device() % 100000000);
}

TempDir::TempDir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (;;) {
    path_ = base / ("weir-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string no_server_reason(const char* variable) {
  return std::string(variable) + " is not set: run the tests through tests/harness/with-servers.sh";
}

std::optional<std::string> server_url(const char* variable) {
  const char* value = std::getenv(variable);
  if (value && *value) return std::string(value);
  if (running_under_ci()) ADD_FAILURE() << no_server_reason(variable) << " (CI=true makes a missing server a failure)";
  return std::nullopt;
}

std::optional<TargetDatabase> open_target(const char* url_variable, const TempDir& dir, const std::string& sqlite_file) {
  TargetDatabase target;
  if (url_variable) {
    auto url = server_url(url_variable);
    if (!url) return std::nullopt;
    target.url = *url;
    target.yaml_url = std::string("\"${") + url_variable + "}\"";
  } else {
    target.url = "sqlite:" + dir.file(sqlite_file);
    target.yaml_url = "\"sqlite:" + sqlite_file + "\"";
  }
  db::ConnectionConfig config;
  config.url = Url::parse(target.url);
  target.connection = db::connect(config);
  return target;
}

std::unique_ptr<db::Connection> open_sqlite(const std::string& path) {
  db::ConnectionConfig config;
  config.url = Url::parse("sqlite:" + path);
  return db::connect(config);
}

std::shared_ptr<const Schema> schema_of(const std::vector<std::pair<std::string, Type>>& columns) {
  std::vector<Column> schema;
  for (const auto& [name, type] : columns) {
    Column c;
    c.name = name;
    c.type = type;
    schema.push_back(std::move(c));
  }
  return std::make_shared<const Schema>(std::move(schema));
}

namespace {

// Reads both pipes until they close, so a chatty child never blocks on a full pipe.
// Reads both pipes until the child closes them; false when `deadline` came first.
bool drain(int out_fd, int err_fd, std::string& out, std::string& err, std::chrono::steady_clock::time_point deadline) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open = 2;
  char buf[65536];
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left.count(), 1000))) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

// How long a command a test runs may take (WEIR_TEST_COMMAND_LIMIT seconds, default 480): less
// than ctest's 600 s, so that a hang fails with its threads' stacks rather than in silence.
std::chrono::seconds command_limit() {
  const char* set = std::getenv("WEIR_TEST_COMMAND_LIMIT");
  return std::chrono::seconds(set ? std::max(1, std::atoi(set)) : 480);
}

// argv and envp for posix_spawn: the arguments, and this process's environment plus `env`.
class SpawnArguments {
 public:
  SpawnArguments(std::vector<std::string> argv, const std::vector<std::string>& env) : args_(std::move(argv)) {
    for (char** e = environ; *e; ++e) env_.emplace_back(*e);
    env_.insert(env_.end(), env.begin(), env.end());
    for (auto& a : args_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    for (auto& e : env_) envp_.push_back(e.data());
    envp_.push_back(nullptr);
  }
  char* const* argv() noexcept { return argv_.data(); }
  char* const* envp() noexcept { return envp_.data(); }

 private:
  std::vector<std::string> args_, env_;
  std::vector<char*> argv_, envp_;
};

}  // namespace

std::string thread_stacks(int pid) {
  if (std::system("command -v gdb >/dev/null 2>&1") != 0) return "(gdb is not installed: no stacks)\n";
  const std::string file = std::filesystem::temp_directory_path() / fmt::format("weir-stacks-{}.txt", pid);
  const std::string command =
      fmt::format("gdb -p {} -batch -nx -ex 'thread apply all bt' > {} 2>&1", pid, file);
  if (std::system(command.c_str()) == -1) return "(gdb could not be started: no stacks)\n";
  std::string stacks = read_file(file);
  std::filesystem::remove(file);
  return stacks;
}

CommandResult run_program(const std::vector<std::string>& argv, const std::string& working_dir,
                          const std::vector<std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) posix_spawn_file_actions_addclose(&actions, fd);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());

  SpawnArguments spawn(argv, env);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, spawn.argv()[0], &actions, nullptr, spawn.argv(), spawn.envp());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result;
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = "cannot start " + argv[0];
    return result;
  }
  const std::chrono::seconds limit = command_limit();
  if (!drain(out_pipe[0], err_pipe[0], result.out, result.err, std::chrono::steady_clock::now() + limit)) {
    result.err += fmt::format("\n[test] `{}` did not end within {} s: killed. Its threads:\n{}", argv[0], limit.count(),
                              thread_stacks(pid));
    kill(pid, SIGKILL);
    drain(out_pipe[0], err_pipe[0], result.out, result.err, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<ServerControl> postgres_control() {
  const char* bin = std::getenv("WEIR_TEST_PG_BIN");
  const char* data = std::getenv("WEIR_TEST_PG_DATA");
  const char* log = std::getenv("WEIR_TEST_PG_LOG");
  if (!bin || !data || !log) {
    ADD_FAILURE() << "the harness exports WEIR_TEST_PG_BIN, _DATA and _LOG";
    return std::nullopt;
  }
  // The harness runs as root, where PostgreSQL refuses to: pg_ctl runs as postgres, from a
  // directory that user may enter.
  return ServerControl([bin = std::string(bin), data = std::string(data), log = std::string(log)](
                           const std::string& action) {
    auto r = run_program(
        {"runuser", "-u", "postgres", "--", bin + "/pg_ctl", "-D", data, "-l", log, "-w", "-m", "fast", action}, "/");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  });
}

std::optional<ServerControl> mariadb_control() {
  const char* ctl = std::getenv("WEIR_TEST_MYSQL_CTL");
  if (!ctl) {
    ADD_FAILURE() << "the harness exports WEIR_TEST_MYSQL_CTL";
    return std::nullopt;
  }
  return ServerControl([ctl = std::string(ctl)](const std::string& action) {
    auto r = run_program({ctl, action}, "/");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  });
}

std::optional<ServerRestart> postgres_restart() {
  auto control = postgres_control();
  if (!control) return std::nullopt;
  return ServerRestart([control = *control] { control("restart"); });
}

std::optional<ServerRestart> mariadb_restart() {
  auto control = mariadb_control();
  if (!control) return std::nullopt;
  return ServerRestart([control = *control] { control("restart"); });
}

CommandResult run_weir(const std::vector<std::string>& args, const std::string& working_dir,
                       const std::vector<std::string>& env) {
  std::vector<std::string> argv{WEIR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, working_dir, env);
}

Background::Background(const std::vector<std::string>& args, const std::string& output_dir,
                       const std::vector<std::string>& env)
    : out_file_(output_dir + "/weir.out"), err_file_(output_dir + "/weir.err") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv{WEIR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnArguments spawn(argv, env);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, spawn.argv()[0], &actions, nullptr, spawn.argv(), spawn.envp());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start weir");
  pid_ = pid;
}

Background::~Background() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait();
  }
}

void Background::signal(int signal_number) {
  if (status_ < 0) kill(pid_, signal_number);
}

bool Background::running() {
  if (status_ >= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int Background::wait() {
  if (status_ >= 0) return status_;
  int status = 0;
  waitpid(pid_, &status, 0);
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return status_;
}

std::string Background::out() const { return read_file(out_file_); }
std::string Background::err() const { return read_file(err_file_); }

bool Background::err_says(const std::string& what, std::chrono::milliseconds limit, std::chrono::milliseconds every) {
  for (auto until = std::chrono::steady_clock::now() + limit;; std::this_thread::sleep_for(every)) {
    if (err().find(what) != std::string::npos) return true;
    if (!running() || std::chrono::steady_clock::now() >= until) return err().find(what) != std::string::npos;
  }
}

Mount::Mount(const std::string& dir, const std::vector<std::vector<std::string>>& commands) {
  for (const auto& command : commands) {
    auto r = run_program(command);
    if (r.exit_code != 0) {
      why_ = "`" + command[0] + "` failed (mounting needs root): " + r.err;
      if (!dir_.empty()) run_program({"umount", dir_});
      dir_.clear();
      return;
    }
    dir_ = dir;
  }
}

Mount Mount::tmpfs(const std::string& dir, const std::string& size) {
  std::filesystem::create_directories(dir);
  return Mount(dir, {{"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir}});
}

Mount Mount::read_only(const std::string& path) {
  return Mount(path, {{"mount", "--bind", path, path}, {"mount", "-o", "remount,bind,ro", path}});
}

bool Mount::resize(const std::string& size) {
  return mounted() && run_program({"mount", "-o", "remount,size=" + size, dir_}).exit_code == 0;
}

Mount::~Mount() {
  if (mounted()) run_program({"umount", dir_});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace weir::test
