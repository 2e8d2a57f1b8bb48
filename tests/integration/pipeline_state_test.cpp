// Checkpoints on real servers: whose they are and what happens when they cannot be saved.
// A checkpoint belongs to one pipeline of one project file, made with one input and output;
// checkpoints of earlier weir versions are taken over; a state store that cannot be written
// stops the run without writing a batch twice. Each case keeps its state both in the default
// store (.weir/state.db) and in the target, on PostgreSQL and on MariaDB.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

struct Server {
  const char* name;
  const char* url_variable;
  const char* fill_sql;  // rows {from}..{to} into {table} (id bigint, name varchar(40))
};

void PrintTo(const Server& server, std::ostream* os) { *os << server.name; }

const Server kPostgres{"Postgres", "WEIR_TEST_PG_URL",
                       "INSERT INTO {table} SELECT g, 'row ' || g FROM generate_series({from}, {to}) g"};
const Server kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL",
                      "INSERT INTO {table} SELECT seq, CONCAT('row ', seq) FROM seq_{from}_to_{to}"};

// The state lines of a pipeline: the default store, and the target's database.
const std::string kDefaultState;
const std::string kStateInTarget = "    state: { connection: db }\n";

// The weir_state of weir before checkpoints had owners: keyed by the pipeline name alone.
constexpr const char* kLegacyStateTable =
    "CREATE TABLE weir_state (pipeline VARCHAR(255) NOT NULL PRIMARY KEY, position TEXT NOT NULL, "
    "updated_at VARCHAR(40) NOT NULL)";

class StateTest : public ::testing::Test {
 protected:
  void connect_to(const Server& server) {
    auto url = test::server_url(server.url_variable);
    if (!url) GTEST_SKIP() << "no " << server.name;
    server_ = &server;
    db::ConnectionConfig config;
    config.url = Url::parse(*url);
    db_ = db::connect(config);
    suffix_ = test::unique_suffix();
    pipeline_ = "sync_" + suffix_;
  }

  void TearDown() override {
    if (!db_) return;
    for (const std::string& table : tables_) db_->execute("DROP TABLE IF EXISTS " + table);
    try {
      db_->execute("DELETE FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'");
    } catch (const Error&) {  // no state in this server
    }
  }

  // A table (id bigint, name), keyed by id unless `keyed` is false, holding the rows 1..rows.
  std::string table(const std::string& name, int rows, bool keyed = true) {
    std::string t = name + "_" + suffix_;
    tables_.push_back(t);
    db_->execute(fmt::format("CREATE TABLE {} (id bigint{}, name varchar(40))", t, keyed ? " PRIMARY KEY" : ""));
    if (rows) add_rows(t, 1, rows);
    return t;
  }
  void add_rows(const std::string& t, int from, int to) {
    db_->execute(fmt::format(fmt::runtime(server_->fill_sql), fmt::arg("table", t), fmt::arg("from", from),
                             fmt::arg("to", to)));
  }

  // Writes `file`: pipeline `pipeline_` copying `src` into `dst` by an id cursor.
  std::string project(const std::string& file, const std::string& src, const std::string& dst,
                      const std::string& state_line, const std::string& columns = "*", int batch = 100) {
    std::string yaml = fmt::format(
        "connections:\n  db: \"${{{}}}\"\npipelines:\n  {}:\n    input:\n      sql_poll:\n        connection: db\n"
        "        query: \"SELECT {} FROM {} WHERE {{{{cursor}}}} ORDER BY id\"\n"
        "        cursor: {{ columns: [id] }}\n        page_size: {}\n"
        "    output:\n      sql_write: {{ connection: db, table: {}, create_table: true, batch: {{ rows: {} }} }}\n{}",
        server_->url_variable, pipeline_, columns, src, batch, dst, batch, state_line);
    test::write_file(dir_.file(file), yaml);
    return dir_.file(file);
  }

  test::CommandResult run(const std::string& file, bool reset = false) {
    std::vector<std::string> args{"run", "--once", "--progress", "0s", file};
    if (reset) args.push_back("--reset");
    return test::run_weir(args, dir_.path().string());
  }

  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }
  std::string state_db() const { return dir_.file(".weir/state.db"); }
  std::string sqlite(const std::string& sql) {
    auto r = test::run_program({"sqlite3", state_db(), sql});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  const Server* server_ = nullptr;
  std::unique_ptr<db::Connection> db_;
  std::string suffix_, pipeline_;
  std::vector<std::string> tables_;
  test::TempDir dir_;
};

class PipelineState : public StateTest, public ::testing::WithParamInterface<Server> {
 protected:
  void SetUp() override { connect_to(GetParam()); }
};

// Two files in one folder, each with a pipeline of the same name: before, the second resumed
// from the first's checkpoint and skipped the rows it had seen.
TEST_P(PipelineState, TwoFilesWithOnePipelineNameKeepTheirOwnCheckpoints) {
  for (const std::string& state : {kDefaultState, kStateInTarget}) {
    SCOPED_TRACE(state.empty() ? "default state" : "state in the target");
    std::string src_a = table(state.empty() ? "st_a" : "st_ta", 300);
    std::string src_b = table(state.empty() ? "st_b" : "st_tb", 600);
    std::string a = project("a.yaml", src_a, src_a + "_copy", state);
    std::string b = project("b.yaml", src_b, src_b + "_copy", state);
    tables_.insert(tables_.end(), {src_a + "_copy", src_b + "_copy"});
    auto r = run(a);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("read 300 rows, wrote 300 rows"), std::string::npos) << r.out;
    r = run(b);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("read 600 rows, wrote 600 rows"), std::string::npos) << r.out;
    EXPECT_EQ(scalar("SELECT count(*) FROM " + src_b + "_copy"), "600");
    r = run(a);
    EXPECT_NE(r.out.find("read 0 rows"), std::string::npos) << "a kept its own checkpoint: " << r.out;
  }
}

// A checkpoint made with another output table or query is refused with one line naming what
// changed and --reset; before, the run read 0 rows and never created the new table.
TEST_P(PipelineState, ChangedInputOrOutputRefusesTheCheckpointNamingReset) {
  for (const std::string& state : {kDefaultState, kStateInTarget}) {
    SCOPED_TRACE(state.empty() ? "default state" : "state in the target");
    std::string src = table(state.empty() ? "st_src" : "st_tsrc", 300);
    std::string first = src + "_first", second = src + "_second";
    tables_.insert(tables_.end(), {first, second});
    auto r = run(project("p.yaml", src, first, state));
    ASSERT_EQ(r.exit_code, 0) << r.err;

    std::string file = project("p.yaml", src, second, state);
    r = run(file);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find(fmt::format("weir: pipeline {} failed: {}: the checkpoint in ", pipeline_, file)),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("was made with another output.table (changed since it was saved); run with --reset to "
                         "start from the beginning, or undo the change\n"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(db_->describe_table(db::TableRef{"", second}).has_value()) << "nothing ran";

    r = run(project("p.yaml", src, first, state, "id, name"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("made with another input.query"), std::string::npos) << r.err;

    r = run(project("p.yaml", src, second, state), true);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("read 300 rows, wrote 300 rows"), std::string::npos) << r.out;
    EXPECT_EQ(scalar("SELECT count(*) FROM " + second), "300");
  }
}

// Checkpoints saved by earlier weir versions (weir_state without a fingerprint column, keyed
// by the pipeline name) resume where they were, and are then the file's own.
TEST_P(PipelineState, CheckpointsOfEarlierVersionsAreTakenOver) {
  const std::string legacy_row =
      fmt::format("INSERT INTO weir_state VALUES ('{}', '[[\"int64\",\"300\"]]', '2024-01-01T00:00:00Z')", pipeline_);
  for (const std::string& state : {kDefaultState, kStateInTarget}) {
    SCOPED_TRACE(state.empty() ? "default state" : "state in the target");
    std::string src = table(state.empty() ? "st_old" : "st_told", 1000);
    std::string dst = table(state.empty() ? "st_old_copy" : "st_told_copy", 300);
    if (state.empty()) {
      std::filesystem::create_directories(dir_.file(".weir"));
      sqlite(std::string(kLegacyStateTable) + ";" + legacy_row);
    } else {
      // Replaced by the old shape; the run leaves it in the new one, which every test uses.
      db_->execute("DROP TABLE IF EXISTS weir_state");
      db_->execute(kLegacyStateTable);
      db_->execute(legacy_row);
    }
    std::string file = project("old.yaml", src, dst, state);
    auto r = run(file);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("read 700 rows, wrote 700 rows"), std::string::npos) << r.out;
    EXPECT_EQ(scalar("SELECT count(*) FROM " + dst), "1000");
    std::string owner = "SELECT pipeline || ' ' || position FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'";
    if (state.empty()) {
      EXPECT_EQ(sqlite(owner), "old.yaml#" + pipeline_ + " [[\"int64\",\"1000\"]]");
      EXPECT_EQ(sqlite("SELECT count(*) FROM weir_state WHERE fingerprint LIKE 'input.connection=%'"), "1");
    } else {
      EXPECT_EQ(scalar("SELECT CONCAT(pipeline, ' ', position) FROM weir_state WHERE pipeline LIKE '%" + pipeline_ +
                       "'"),
                "old.yaml#" + pipeline_ + " [[\"int64\",\"1000\"]]");
      EXPECT_EQ(scalar("SELECT count(*) FROM weir_state WHERE fingerprint LIKE 'input.connection=%'"), "1");
    }
    r = run(file);
    EXPECT_NE(r.out.find("read 0 rows"), std::string::npos) << r.out;
    // Another file's pipeline of the same name no longer finds the old checkpoint.
    tables_.push_back(dst + "_other");
    r = run(project("other.yaml", src, dst + "_other", state));
    EXPECT_NE(r.out.find("read 1000 rows, wrote 1000 rows"), std::string::npos) << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, PipelineState, ::testing::Values(kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

// A state store of its own (the default .weir/state.db) that cannot be written, into a
// PostgreSQL target.
class UnwritableState : public StateTest {
 protected:
  void SetUp() override { connect_to(kPostgres); }

  // Starts `weir run --once` on FILE in the background and returns once its first batch is in
  // DST, so the test can take the state store's lock mid-run.
  std::unique_ptr<test::Background> start_until_first_batch(const std::string& file, const std::string& dst) {
    auto weir = std::make_unique<test::Background>(
        std::vector<std::string>{"run", "--once", "--progress", "0s", file}, dir_.path().string());
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (scalar("SELECT count(*) FROM " + dst) == "0" && std::chrono::steady_clock::now() < deadline &&
           weir->running())
      std::this_thread::sleep_for(5ms);
    return weir;
  }
};

// Read-only from the start (the file; its folder stays writable, as a user's chmod leaves it):
// the run stops before the first batch, naming the store. As root chmod stops nothing, so the
// file is bound read-only onto itself instead.
TEST_F(UnwritableState, ReadOnlyStoreStopsBeforeTheFirstBatch) {
  std::string src = table("st_ro", 300), dst = table("st_ro_copy", 0);
  std::string file = project("ro.yaml", src, dst, kDefaultState);
  auto r = run(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  add_rows(src, 301, 3000);
  std::optional<test::Mount> read_only;
  if (geteuid() == 0) {
    read_only.emplace(test::Mount::read_only(state_db()));
    if (!read_only->mounted()) GTEST_SKIP() << read_only->why();
  } else {
    chmod(state_db().c_str(), 0444);
  }
  r = run(file);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("the state store connection `state` (sqlite:" + state_db() + ") cannot be written"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("writing to `" + dst + "`"), std::string::npos) << "not the target's fault: " << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + dst), "300") << "no batch without its checkpoint";
}

// The store becomes unwritable mid-run: another connection holds its write lock until weir
// ends. Saving is retried for the default 30 s, then the run stops; the batch already committed
// in the target is not written again (before: replayed on every retry, each time committed
// again); the error names the store.
TEST_F(UnwritableState, StoreLockedMidRunStopsWithoutWritingABatchTwice) {
  std::string src = table("st_lock", 50000), dst = table("st_lock_copy", 0, false);
  std::string file = project("lock.yaml", src, dst, kDefaultState, "*", 500);
  auto started = start_until_first_batch(file, dst);
  test::Background& weir = *started;
  ASSERT_TRUE(weir.running()) << "the run ended before the lock: " << weir.err();
  auto lock = test::open_sqlite(state_db());
  lock->begin();  // BEGIN IMMEDIATE: the write lock, until rolled back
  int code = weir.wait();
  lock->rollback();
  EXPECT_EQ(code, 1) << weir.err();
  EXPECT_NE(weir.err().find("the batch is committed in the target, but its checkpoint could not be saved to the "
                            "state store connection `state` (sqlite:" + state_db() + "); stopping"),
            std::string::npos)
      << weir.err();
  EXPECT_EQ(weir.err().find("writing the batch again"), std::string::npos) << weir.err();
  std::string counts = scalar("SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || max(id) FROM " + dst);
  int rows = std::stoi(counts);
  EXPECT_EQ(counts, fmt::format("{} {} {}", rows, rows, rows)) << "each row once, in whole batches from the first";
  EXPECT_EQ(rows % 500, 0);
  EXPECT_LT(rows, 50000);
}

// The store locked for a moment mid-run (a backup, another process's write) is waited out
// under the retry policy, as every database is: the run completes, each row once (before: it
// stopped at the first busy answer).
TEST_F(UnwritableState, StoreLockedForAMomentIsWaitedOut) {
  std::string src = table("st_wait", 50000), dst = table("st_wait_copy", 0, false);
  std::string file = project("wait.yaml", src, dst, kDefaultState, "*", 500);
  auto started = start_until_first_batch(file, dst);
  test::Background& weir = *started;
  ASSERT_TRUE(weir.running()) << "the run ended before the lock: " << weir.err();
  {
    auto lock = test::open_sqlite(state_db());
    lock->begin();  // BEGIN IMMEDIATE: the write lock, until rolled back
    std::this_thread::sleep_for(8s);  // longer than SQLite's busy_timeout: the save fails, then is retried
    lock->rollback();
  }
  EXPECT_EQ(weir.wait(), 0) << weir.err();
  EXPECT_NE(weir.err().find("state store: saving the checkpoint on connection `state`"), std::string::npos)
      << weir.err();
  EXPECT_EQ(scalar("SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || max(id) FROM " + dst), "50000 50000 50000");
}

}  // namespace
}  // namespace weir
