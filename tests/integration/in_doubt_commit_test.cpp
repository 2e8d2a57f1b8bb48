// A COMMIT whose answer was lost is in doubt, not rolled back. A proxy between sql_write and
// the server forwards the batch's COMMIT and then cuts the connection (the server commits, the
// client hears nothing) — or cuts it instead of forwarding the COMMIT (the server rolls back).
// With the state in the target, the engine reads the checkpoint back before replaying: the
// batch lands exactly once either way, on PostgreSQL and MariaDB.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>

#include "pipeline/runner.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

// Forwards loopback TCP connections to `port`. The first client message holding COMMIT is
// forwarded then cut (forward_then_cut) or cut unforwarded (cut_instead).
class CommitCuttingProxy {
 public:
  enum class Mode { forward_then_cut, cut_instead };

  CommitCuttingProxy(std::uint16_t upstream, Mode mode) : upstream_(upstream), mode_(mode) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("proxy: cannot listen");
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~CommitCuttingProxy() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    for (auto& t : pumps_) t.join();
  }

  std::uint16_t port() const noexcept { return port_; }
  int cuts() const noexcept { return cuts_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(upstream_);
      if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(client);
        close(server);
        continue;
      }
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  static bool holds_commit(const char* data, std::size_t n) {
    std::string text(data, n);
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text.find("COMMIT") != std::string::npos;
  }

  // Both directions of one connection, until either side closes or the COMMIT is cut.
  void pump(int client, int server) {
    char buffer[65536];
    for (bool open = true; open && !stopping_;) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (poll(p, 2, 100) <= 0) continue;
      for (int side = 0; side < 2 && open; ++side) {
        if (!(p[side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = read(p[side].fd, buffer, sizeof buffer);
        if (n <= 0) {
          open = false;
          break;
        }
        bool cut = side == 0 && cuts_ == 0 && holds_commit(buffer, std::size_t(n));
        if (!(cut && mode_ == Mode::cut_instead)) send(p[1 - side].fd, buffer, std::size_t(n), MSG_NOSIGNAL);
        if (cut) {
          ++cuts_;
          open = false;
        }
      }
    }
    close(client);
    close(server);
  }

  std::uint16_t upstream_;
  Mode mode_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> cuts_{0};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;  // joined on destruction; only the acceptor adds to it
};

struct Case {
  const char* name;
  const char* url_variable;
  CommitCuttingProxy::Mode mode;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class InDoubtCommit : public ::testing::TestWithParam<Case> {};

TEST_P(InDoubtCommit, TheBatchLandsOnceWhetherOrNotTheLostCommitCommitted) {
  WEIR_SERVER_URL_OR_SKIP(server_url, GetParam().url_variable);
  test::TempDir dir;
  Url upstream = Url::parse(*server_url);
  CommitCuttingProxy proxy(upstream.port, GetParam().mode);
  Url through = upstream;
  through.host = "127.0.0.1";
  through.port = proxy.port();
  through.set_option("sslmode", "disable");  // the proxy reads the statements
  db::ConnectionConfig direct;
  direct.url = upstream;
  auto target = db::connect(direct);
  const std::string table = "in_doubt_" + test::unique_suffix();
  target->execute("CREATE TABLE " + table + " (id INTEGER, name VARCHAR(20))");  // no key: a replay doubles rows
  test::open_sqlite(dir.file("src.db"))->execute_script(
      "CREATE TABLE s(id INTEGER PRIMARY KEY, name TEXT);"
      "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 10) INSERT INTO s SELECT x, 'n' || x FROM r;");
  test::write_file(dir.file("p.yaml"), "connections:\n  src: \"sqlite:src.db\"\n  dst: \"" +
                                           through.to_string_with_password() + "\"\npipelines:\n  " + table + ":\n"
                                           "    input: { sql_poll: { connection: src, query: \"SELECT id, name FROM s "
                                           "WHERE {{cursor}} ORDER BY id\", cursor: { columns: [id] } } }\n"
                                           "    output: { sql_write: { connection: dst, table: " + table + " } }\n"
                                           "    state: { connection: dst }\n");
  pipeline::Project project = pipeline::load_project(dir.file("p.yaml"));
  auto stats = pipeline::run_all(project).at(0);
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(test::scalar(*target, "SELECT count(*) FROM " + table), "10");
  EXPECT_EQ(test::scalar(*target, "SELECT count(DISTINCT id) FROM " + table), "10");
  EXPECT_EQ(stats.rows_written, 10u);
  EXPECT_EQ(test::scalar(*target, "SELECT position FROM weir_state WHERE pipeline = 'p.yaml#" + table + "'"), R"([["int64","10"]])");
  target->execute("DROP TABLE " + table);
}

// mode: replace commits once per run, and a plain input has no position to read back: a run
// whose COMMIT answer was lost fails saying it may have committed (never "rolled back"), and
// running it again replaces the rows again — the same 10 rows whether the lost COMMIT landed.
TEST_P(InDoubtCommit, AReplacingRunInDoubtSaysSoAndARerunReplacesItsRows) {
  WEIR_SERVER_URL_OR_SKIP(server_url, GetParam().url_variable);
  test::TempDir dir;
  Url upstream = Url::parse(*server_url);
  db::ConnectionConfig direct;
  direct.url = upstream;
  auto target = db::connect(direct);
  const std::string table = "in_doubt_replace_" + test::unique_suffix();
  target->execute("CREATE TABLE " + table + " (id INTEGER, name VARCHAR(20))");
  target->execute("INSERT INTO " + table + " VALUES (99, 'old')");
  test::open_sqlite(dir.file("src.db"))->execute_script(
      "CREATE TABLE s(id INTEGER PRIMARY KEY, name TEXT);"
      "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 10) INSERT INTO s SELECT x, 'n' || x FROM r;");
  auto run = [&](const Url& url) {
    test::write_file(dir.file("p.yaml"), "connections:\n  src: \"sqlite:src.db\"\n  dst: \"" +
                                             url.to_string_with_password() + "\"\npipelines:\n  p:\n"
                                             "    input: { sql_poll: { connection: src, query: \"SELECT id, name FROM s\" } }\n"
                                             "    output: { sql_write: { connection: dst, table: " + table +
                                             ", mode: replace } }\n"
                                             "    state: { connection: dst }\n");
    pipeline::Project project = pipeline::load_project(dir.file("p.yaml"));
    return pipeline::run_all(project).at(0);
  };
  CommitCuttingProxy proxy(upstream.port, GetParam().mode);  // cuts the first COMMIT only
  Url through = upstream;
  through.host = "127.0.0.1";
  through.port = proxy.port();
  through.set_option("sslmode", "disable");  // the proxy reads the statements
  {
    auto stats = run(through);
    EXPECT_EQ(proxy.cuts(), 1);
    EXPECT_NE(stats.error.find("replacing the rows of `" + table + "` (the connection was lost during COMMIT: the run "
                               "may have committed or not; run it again, a replacing run is safe to repeat)"),
              std::string::npos)
        << stats.error;
    EXPECT_EQ(stats.error.find("rolled back"), std::string::npos) << stats.error;
    const bool landed = GetParam().mode == CommitCuttingProxy::Mode::forward_then_cut;
    {
      // The server may still be ending the lost transaction (its COMMIT was on the wire when
      // the proxy cut): deleting the old row, rolled back, waits on its lock until it has.
      db::Transaction wait_for_the_lost_one(*target);
      target->execute("DELETE FROM " + table + " WHERE id = 99");
    }
    EXPECT_EQ(test::scalar(*target, "SELECT count(*) FROM " + table), landed ? "10" : "1");
  }
  auto again = run(through);  // the same connection, so the same pipeline identity
  EXPECT_EQ(again.error, "");
  EXPECT_EQ(test::scalar(*target, "SELECT concat(count(*), ' ', count(DISTINCT id), ' ', sum(id)) FROM " + table),
            "10 10 55");
  target->execute("DROP TABLE " + table);
}

INSTANTIATE_TEST_SUITE_P(
    Servers, InDoubtCommit,
    ::testing::Values(Case{"PostgresCommitted", "WEIR_TEST_PG_URL", CommitCuttingProxy::Mode::forward_then_cut},
                      Case{"PostgresRolledBack", "WEIR_TEST_PG_URL", CommitCuttingProxy::Mode::cut_instead},
                      Case{"MariadbCommitted", "WEIR_TEST_MYSQL_URL", CommitCuttingProxy::Mode::forward_then_cut},
                      Case{"MariadbRolledBack", "WEIR_TEST_MYSQL_URL", CommitCuttingProxy::Mode::cut_instead}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
