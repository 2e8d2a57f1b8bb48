// Two runs of one pipeline never overlap: the first holds the pipeline's lock in its state store
// (a SQLite state file, PostgreSQL, MariaDB); a second one exits 4 naming the first (host,
// pid, start) and writes nothing; once the holder is killed with kill -9, the lock is gone
// with it and a new run proceeds, the dead run's journal row marked `crashed`.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "pipeline/run_lock.hpp"
#include "pipeline/state_store.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct StateAt {
  const char* name;
  const char* url_variable;  // nullptr: the default SQLite state file next to the pipeline
};

void PrintTo(const StateAt& s, std::ostream* os) { *os << s.name; }

class RunLockTest : public ::testing::TestWithParam<StateAt> {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / ".weir");
    auto state = test::open_target(GetParam().url_variable, dir_, ".weir/state.db");
    if (!state) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    state_ = std::move(state->connection);
    state_line_ = GetParam().url_variable ? fmt::format("    state: {{ connection: st }}\n") : "";
    state_url_ = state->yaml_url;
    auto source = test::open_sqlite(dir_.file("src.db"));
    source->execute_script("CREATE TABLE src(id INTEGER PRIMARY KEY, name TEXT);"
                           "INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c');");
    file_ = dir_.file("lock_" + test::unique_suffix() + ".yaml");
    key_ = std::filesystem::path(file_).filename().string() + "#p";
    write_project(state_url_);
  }

  // A schedule every second, run without --once: the first run stays up, holding the lock.
  void write_project(const std::string& state_url) {
    test::write_file(file_, fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: "sqlite:dst.db"
  st: {}
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "SELECT id, name FROM src WHERE {{{{cursor}}}} ORDER BY id",
                   cursor: {{ columns: [id] }}, schedule: "* * * * * *" }}
    output: {{ sql_write: {{ connection: dst, table: dst, create_table: true, mode: upsert, key: [id] }} }}
{})",
                                        state_url, state_line_));
  }

  // Waits until the run of the project records itself as running; "" when it never does.
  std::string wait_for_holder() {
    for (auto waited = 0ms; waited < 20s; waited += 100ms) {
      try {
        auto host = test::scalar(*state_, fmt::format("SELECT host FROM weir_runs WHERE pipeline = '{}' AND status = "
                                                      "'running'", key_));
        auto pid = test::scalar(*state_, fmt::format("SELECT pid FROM weir_runs WHERE pipeline = '{}' AND status = "
                                                     "'running'", key_));
        if (!host.empty()) return fmt::format("host {}, pid {}, started ", host, pid);
      } catch (const Error&) {  // the table is not there yet
      }
      std::this_thread::sleep_for(100ms);
    }
    return "";
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> state_;
  std::string state_line_, state_url_, file_, key_;
};

const StateAt kStates[] = {{"Sqlite", nullptr}, {"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}};

TEST_P(RunLockTest, ASecondRunExits4NamingTheFirstAndRunsOnceTheFirstIsKilled) {
  test::Background first({"run", "--progress", "0s", file_}, dir_.path().string());
  const std::string holder = wait_for_holder();
  ASSERT_FALSE(holder.empty()) << "the first run never recorded itself as running: " << first.err();
  ASSERT_TRUE(first.running()) << first.err();

  auto second = test::run_weir({"run", "--once", "--progress", "0s", file_}, dir_.path().string());
  EXPECT_EQ(second.exit_code, 4) << second.out << second.err;
  EXPECT_THAT(second.err, HasSubstr("another run of pipeline p holds its lock in the state store"));
  EXPECT_THAT(second.err, HasSubstr(holder));
  EXPECT_THAT(second.out, HasSubstr("pipeline p: did not run, another run holds its lock"));
  EXPECT_TRUE(first.running()) << "the second run left the first alone";

  first.signal(SIGKILL);
  EXPECT_EQ(first.wait(), 128 + SIGKILL);
  auto third = test::run_weir({"run", "--once", "--progress", "0s", file_}, dir_.path().string());
  EXPECT_EQ(third.exit_code, 0) << third.out << third.err;
  // The first run may have been killed before or after its first commit: the rows are there
  // once, whichever it was.
  EXPECT_THAT(third.out, HasSubstr(" + dead-lettered 0 + filtered 0 + skipped 0"));
  EXPECT_EQ(test::scalar(*test::open_sqlite(dir_.file("dst.db")), "SELECT count(*) FROM dst"), "3");
  EXPECT_EQ(test::scalar(*state_, fmt::format("SELECT status FROM weir_runs WHERE pipeline = '{}' ORDER BY "
                                              "started_at LIMIT 1", key_)),
            "crashed");
  EXPECT_EQ(test::scalar(*state_, fmt::format("SELECT count(*) FROM weir_runs WHERE pipeline = '{}' AND status = "
                                              "'completed'", key_)),
            "1");
}

INSTANTIATE_TEST_SUITE_P(States, RunLockTest, ::testing::ValuesIn(kStates),
                         [](const auto& info) { return std::string(info.param.name); });

// A lock held in a database lives as long as the session holding it.
class RunLockSessionTest : public RunLockTest {
 protected:
  // Ends the session holding this project's lock from another session, as an operator's
  // pg_terminate_backend / KILL or a network cut would; false when no session holds it.
  bool end_lock_session() {
    db::ConnectionConfig config;
    config.url = Url::parse(*test::server_url(GetParam().url_variable));
    pipeline::StateStore store(config);
    const std::string name = pipeline::run_lock_name(store, pipeline::StateOwner{.pipeline = "p", .key = key_, .fingerprint = ""});
    if (config.url.scheme.starts_with("postgres")) {
      // A bigint advisory key shows in pg_locks as its high (classid) and low (objid) halves.
      return test::scalar(*state_, fmt::format("SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l, "
                                               "(SELECT hashtextextended('{}', 0) AS k) h WHERE l.locktype = "
                                               "'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = "
                                               "((h.k >> 32) & 4294967295) AND l.objid::bigint = (h.k & 4294967295)",
                                               name)) == "1";
    }
    const std::string id = test::scalar(*state_, fmt::format("SELECT IS_USED_LOCK('{}')", name));
    if (id.empty()) return false;
    state_->execute_script("KILL " + id);
    return true;
  }

  // Waits up to `limit` for `run` to exit; false when it is still running.
  static bool ends_within(test::Background& run, std::chrono::milliseconds limit) {
    for (auto waited = 0ms; waited < limit; waited += 100ms) {
      if (!run.running()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return !run.running();
  }
};

// Without the heartbeat the run went on unlocked while a second run could start beside it.
TEST_P(RunLockSessionTest, ARunWhoseLockSessionEndsStopsWithOneLineAndTheNextRunProceeds) {
  test::Background first({"run", "--progress", "0s", file_}, dir_.path().string());
  ASSERT_FALSE(wait_for_holder().empty()) << "the first run never recorded itself as running: " << first.err();
  ASSERT_TRUE(end_lock_session()) << "no session held the pipeline's lock";

  ASSERT_TRUE(ends_within(first, 30s)) << "the run went on without its lock: " << first.err();
  EXPECT_EQ(first.wait(), 1) << first.err();
  EXPECT_THAT(first.err(), HasSubstr("pipeline p lost its run lock: its session to the state store"));
  EXPECT_THAT(first.err(), HasSubstr("the run stops so that no other run of the pipeline overlaps it"));
  EXPECT_EQ(test::scalar(*state_, fmt::format("SELECT status FROM weir_runs WHERE pipeline = '{}' ORDER BY "
                                              "started_at LIMIT 1", key_)),
            "failed");

  auto next = test::run_weir({"run", "--once", "--progress", "0s", file_}, dir_.path().string());
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_EQ(test::scalar(*test::open_sqlite(dir_.file("dst.db")), "SELECT count(*) FROM dst"), "3");
}

const StateAt kServerStates[] = {{"Postgres", "WEIR_TEST_PG_URL"}, {"Mariadb", "WEIR_TEST_MYSQL_URL"}};
INSTANTIATE_TEST_SUITE_P(Servers, RunLockSessionTest, ::testing::ValuesIn(kServerStates),
                         [](const auto& info) { return std::string(info.param.name); });

// PostgreSQL holds the lock in a transaction left open for the run, which a server's
// idle_in_transaction_session_timeout would end: the lock's transaction turns it off. Before,
// a second run took the lock a second after the first did.
class RunLockIdleTimeoutTest : public RunLockTest {};

TEST_P(RunLockIdleTimeoutTest, TheLockOutlivesTheServersIdleInTransactionTimeout) {
  write_project("\"${WEIR_TEST_PG_URL}?options=-c%20idle_in_transaction_session_timeout%3D1000\"");
  test::Background first({"run", "--progress", "0s", file_}, dir_.path().string());
  ASSERT_FALSE(wait_for_holder().empty()) << "the first run never recorded itself as running: " << first.err();
  std::this_thread::sleep_for(3s);  // three times the timeout

  auto second = test::run_weir({"run", "--once", "--progress", "0s", file_}, dir_.path().string());
  EXPECT_EQ(second.exit_code, 4) << second.out << second.err;
  EXPECT_TRUE(first.running()) << first.err();
}

const StateAt kPostgresState[] = {{"Postgres", "WEIR_TEST_PG_URL"}};
INSTANTIATE_TEST_SUITE_P(Servers, RunLockIdleTimeoutTest, ::testing::ValuesIn(kPostgresState),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
