// Pipelines on real servers: what users rely on when they trust weir with their data —
// nothing lost, nothing repeated, whatever happens to the process or the servers. Most cases
// run on PostgreSQL; kill -9 and a server restart mid-run are tried on PostgreSQL and on MariaDB.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

// What the delivery tests need to know of one kind of server: where the harness put it, the
// test table in its types and SQL, and how to restart it. The SQL names {table} and {rows}.
struct Server {
  const char* name;
  const char* url_variable;
  // The source's and the target's columns, of the types that break naive copies: exact
  // decimals, timestamps, text in several scripts, NULLs, JSON.
  const char* columns;
  // Fills {table} with the rows 1..{rows} and indexes it for the cursor.
  const char* fill_sql;
  // One value: the row count and an md5 over every column of every row, in key order.
  const char* fingerprint_sql;
  std::optional<test::ServerRestart> (*restart)();
};

void PrintTo(const Server& server, std::ostream* os) { *os << server.name; }

const Server kPostgres{
    .name = "Postgres",
    .url_variable = "WEIR_TEST_PG_URL",
    .columns = "(id bigint PRIMARY KEY, updated_at timestamp NOT NULL, amount numeric(14,2), name text, doc jsonb)",
    .fill_sql = "INSERT INTO {table} SELECT g, timestamp '2024-01-01' + g * interval '1 second',"
                " (g * 1.25)::numeric(14,2), CASE WHEN g % 7 = 0 THEN NULL ELSE 'Zoë ' || g || ' 東京' END,"
                " jsonb_build_object('n', g) FROM generate_series(1, {rows}) g;"
                "CREATE INDEX ON {table} (updated_at, id);",
    .fingerprint_sql = "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '')"
                       " FROM {table} t",
    .restart = &test::postgres_restart,
};

const Server kMariadb{
    .name = "Mariadb",
    .url_variable = "WEIR_TEST_MYSQL_URL",
    .columns = "(id bigint PRIMARY KEY, updated_at datetime NOT NULL, amount decimal(14,2), name text, doc json)",
    // seq_1_to_N is a table of MariaDB's Sequence engine.
    .fill_sql = "INSERT INTO {table} SELECT seq, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, seq * 1.25,"
                " IF(seq % 7 = 0, NULL, CONCAT('Zoë ', seq, ' 東京')), JSON_OBJECT('n', seq) FROM seq_1_to_{rows};"
                "CREATE INDEX by_cursor ON {table} (updated_at, id);",
    // MariaDB has no row-to-text cast: QUOTE() spells each column, a NULL as the bare word and
    // the text 'NULL' quoted. The rows' md5s are concatenated rather than the rows, so 32 bytes
    // a row stay far below max_allowed_packet; GROUP_CONCAT's own cap (1 MiB by default) is raised.
    .fingerprint_sql = "SET STATEMENT group_concat_max_len = 1073741824 FOR"
                       " SELECT CONCAT(COUNT(*), ':', COALESCE(MD5(GROUP_CONCAT(MD5(CONCAT_WS(',', QUOTE(id),"
                       " QUOTE(updated_at), QUOTE(amount), QUOTE(name), QUOTE(doc))) ORDER BY id SEPARATOR '')), ''))"
                       " FROM {table}",
    .restart = &test::mariadb_restart,
};

// The source's rows in the mid-run cases: enough that the run is still going when the first
// batches are in the target.
constexpr int kRows = 100'000;

// A source and a target table on one server, a project directory, and weir runs from one
// table to the other.
class DeliveryTest : public ::testing::Test {
 protected:
  // Skips the test when the harness did not start `server` (server_url fails it under CI).
  void connect_to(const Server& server) {
    auto url = test::server_url(server.url_variable);
    if (!url) GTEST_SKIP() << "no " << server.name;
    server_ = &server;
    url_ = *url;
    reconnect();
    suffix_ = test::unique_suffix();
    src_ = "pd_src_" + suffix_;
    dst_ = "pd_dst_" + suffix_;
  }

  // A fresh connection for the test's own queries, e.g. after the server restarted.
  void reconnect() {
    db::ConnectionConfig config;
    config.url = Url::parse(url_);
    db_ = db::connect(config);
  }

  void TearDown() override {
    if (!db_) return;
    db_->execute_script("DROP TABLE IF EXISTS " + src_ + ", " + dst_ + " CASCADE");
    // A checkpoint kept in the target would make the next test's pipeline `copy` resume.
    try {
      db_->execute("DELETE FROM weir_state WHERE pipeline = 'pipeline.yaml#copy'");
    } catch (const Error&) {  // no state table: the test kept its state elsewhere
    }
  }

  void make_source(int rows) {
    db_->execute_script("CREATE TABLE " + src_ + " " + server_->columns + ";" +
                        fmt::format(fmt::runtime(server_->fill_sql), fmt::arg("table", src_), fmt::arg("rows", rows)));
  }

  void make_target() { db_->execute_script("CREATE TABLE " + dst_ + " " + server_->columns); }

  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }

  std::string fingerprint(const std::string& table) {
    return scalar(fmt::format(fmt::runtime(server_->fingerprint_sql), fmt::arg("table", table)));
  }

  // The pipeline reads pages of `page` rows and commits every `pages_per_batch` pages.
  std::string project(const std::string& mode, const std::string& state_line, int page = 1000,
                      int pages_per_batch = 1) {
    std::string url = "\"${" + std::string(server_->url_variable) + "}\"";
    std::string yaml = "connections:\n  src: " + url + "\n  dst: " + url + "\n"
                       "pipelines:\n  copy:\n    input:\n      sql_poll:\n        connection: src\n"
                       "        query: \"SELECT * FROM " + src_ + " WHERE {{cursor}} ORDER BY updated_at, id\"\n"
                       "        cursor: { columns: [updated_at, id] }\n"
                       "        page_size: " + std::to_string(page) + "\n"
                       "    output:\n      sql_write:\n        connection: dst\n        table: " + dst_ + "\n"
                       "        mode: " + mode + "\n        key: [id]\n        batch: { rows: " +
                       std::to_string(page * pages_per_batch) + " }\n" + state_line;
    std::string file = dir_.file("pipeline.yaml");
    test::write_file(file, yaml);
    return file;
  }

  // Starts `weir run`, waits until some rows are in the target, then does `act` to it.
  template <class Act>
  int interrupt_mid_run(const std::string& file, Act act) {
    test::Background weir({"run", "--progress", "0s", file}, dir_.path().string());
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (scalar("SELECT count(*) FROM " + dst_) == "0" && std::chrono::steady_clock::now() < deadline &&
           weir.running())
      std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(weir.running()) << "the run ended before it could be interrupted: " << weir.err();
    act(weir);
    int code = weir.wait();
    last_err_ = weir.err();
    return code;
  }

  // Copies kRows rows with `mode` (and `state_line`, as for project()), kills weir with SIGKILL
  // mid-run (while it runs, some rows committed and some not), then runs the pipeline again:
  // the target must end identical to the source. A batch spans ten pages, so the kill most
  // likely finds a transaction that already holds written rows, which the second run must
  // write again, and only once. Returns the second run.
  test::CommandResult kill_nine_then_run_again(const std::string& mode, const std::string& state_line) {
    make_source(kRows);
    make_target();
    std::string file = project(mode, state_line, 1000, 10);
    int code = interrupt_mid_run(file, [](test::Background& w) { w.signal(SIGKILL); });
    EXPECT_EQ(code, 128 + SIGKILL) << "weir was killed, not finished: " << last_err_;
    int committed = std::stoi(scalar("SELECT count(*) FROM " + dst_));
    EXPECT_GT(committed, 0) << "the kill came after the first commit";
    EXPECT_LT(committed, kRows) << "the kill came before the last commit";
    auto again = run_once(file);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
    return again;
  }

  test::CommandResult run_once(const std::string& file) {
    return test::run_weir({"run", "--once", "--progress", "0s", file}, dir_.path().string());
  }

  const Server* server_ = nullptr;
  std::string url_;
  std::unique_ptr<db::Connection> db_;
  std::string suffix_, src_, dst_, last_err_;
  test::TempDir dir_;
};

// The cases whose own SQL is PostgreSQL's.
class PipelineDelivery : public DeliveryTest {
 protected:
  void SetUp() override { connect_to(kPostgres); }
  void expect_rejected_rows_in_dead_letters(const std::string& url, const std::string& write_options);
};

// The cases that run on each server, as the pipeline's source and its target at once.
class PipelineDeliveryOnEachServer : public DeliveryTest, public ::testing::WithParamInterface<Server> {
 protected:
  void SetUp() override { connect_to(GetParam()); }
};

// Rows were left unread, so the run says INTERRUPTED and exits 143 — what it committed is
// checkpointed all the same.
TEST_F(PipelineDelivery, SigtermDrainsCheckpointsAndExits143) {
  make_source(kRows);
  make_target();
  std::string file = project("insert", "    state: { connection: dst }\n");
  int code = interrupt_mid_run(file, [](test::Background& w) { w.signal(SIGTERM); });
  EXPECT_EQ(code, 143) << last_err_;
  EXPECT_NE(last_err_.find("stopping"), std::string::npos) << last_err_;
  int drained = std::stoi(scalar("SELECT count(*) FROM " + dst_));
  EXPECT_GT(drained, 0);
  EXPECT_LT(drained, kRows);
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read " + std::to_string(kRows - drained) + " rows"), std::string::npos)
      << "the second run starts where the first committed: " << r.out;
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
}

TEST_F(PipelineDelivery, IncrementalRunsReadOnlyNewRows) {
  make_source(1000);
  make_target();
  std::string file = project("insert", "", 300);
  auto first = run_once(file);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("read 1000 rows, wrote 1000 rows"), std::string::npos) << first.out;
  db_->execute_script("INSERT INTO " + src_ +
                      " SELECT g, timestamp '2025-01-01' + g * interval '1 second', g, 'new', NULL"
                      " FROM generate_series(1001, 1500) g");
  auto second = run_once(file);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("read 500 rows, wrote 500 rows"), std::string::npos) << second.out;
  auto third = run_once(file);
  EXPECT_NE(third.out.find("read 0 rows"), std::string::npos) << third.out;
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
}

TEST_F(PipelineDelivery, LagHoldsBackRowsYoungerThanTheWindow) {
  db_->execute_script("CREATE TABLE " + src_ + " (id bigint PRIMARY KEY, updated_at timestamp NOT NULL);"
                      "INSERT INTO " + src_ + " VALUES (1, now() AT TIME ZONE 'UTC' - interval '2 hours'),"
                      " (2, now() AT TIME ZONE 'UTC' - interval '1 minute');");
  std::string yaml = "connections:\n  pg: \"${WEIR_TEST_PG_URL}\"\npipelines:\n  lagged:\n    input:\n      sql_poll:\n"
                     "        connection: pg\n        query: \"SELECT * FROM " + src_ +
                     " WHERE {{cursor}} ORDER BY updated_at, id\"\n"
                     "        cursor: { columns: [updated_at, id], lag: 1h }\n"
                     "    output:\n      sql_write: { connection: pg, table: " + dst_ + ", create_table: true }\n";
  test::write_file(dir_.file("lag.yaml"), yaml);
  auto r = run_once(dir_.file("lag.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT string_agg(id::text, ',') FROM " + dst_), "1")
      << "the row younger than the lag waits for a later run";
}

// Each row records the transaction that wrote it: with `batch.rows` unset, a batch that
// fills its 5000 rows before `interval` passes grows on (up to 50,000 rows), so this copy of
// 20,000 rows commits once; with `rows: 5000` written out it commits every 5000 rows.
TEST_F(PipelineDelivery, AFastCopyCommitsLargerBatchesWhenRowsIsLeftUnset) {
  make_source(20000);
  db_->execute_script("CREATE TABLE " + dst_ + " (id bigint PRIMARY KEY, tx bigint NOT NULL DEFAULT txid_current())");
  auto copy_with = [&](const std::string& batch) {
    db_->execute("TRUNCATE " + dst_);
    std::string yaml = "connections:\n  pg: \"${WEIR_TEST_PG_URL}\"\npipelines:\n  fast:\n    input:\n"
                       "      sql_poll: { connection: pg, query: \"SELECT id FROM " + src_ + "\", page_size: 1000 }\n"
                       "    output:\n      sql_write: { connection: pg, table: " + dst_ + ", batch: " + batch + " }\n";
    test::write_file(dir_.file("fast.yaml"), yaml);
    auto r = run_once(dir_.file("fast.yaml"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM " + dst_), "20000");
    return scalar("SELECT count(DISTINCT tx) FROM " + dst_);
  };
  EXPECT_EQ(copy_with("{ interval: 1h }"), "1");
  EXPECT_EQ(copy_with("{ rows: 5000, interval: 1h }"), "4");
}

// A batch with a row breaking a foreign key and one breaking a unique key, written with
// `write_options`: both rows in the dead letters with their kinds, every other row committed.
void PipelineDelivery::expect_rejected_rows_in_dead_letters(const std::string& url, const std::string& write_options) {
  db_->execute_script("CREATE TABLE " + src_ + "_parent (id int PRIMARY KEY);"
                      "INSERT INTO " + src_ + "_parent SELECT generate_series(1, 10);"
                      "CREATE TABLE " + src_ + " (id int PRIMARY KEY, parent int, code text);"
                      "INSERT INTO " + src_ + " SELECT g, 1 + g % 10, 'c' || g FROM generate_series(1, 1000) g;"
                      "UPDATE " + src_ + " SET parent = 99 WHERE id = 500;"
                      "CREATE TABLE " + dst_ + " (id int PRIMARY KEY, parent int REFERENCES " + src_ +
                      "_parent(id), code text UNIQUE);"
                      "INSERT INTO " + dst_ + " VALUES (0, 1, 'c700');");
  std::string letters = "pd_letters_" + suffix_;
  std::string yaml = "connections:\n  pg: \"" + url + "\"\npipelines:\n  dl:\n    input:\n      sql_poll:\n"
                     "        connection: pg\n        query: \"SELECT * FROM " + src_ + " ORDER BY id\"\n"
                     "    output:\n      sql_write: { connection: pg, table: " + dst_ + ", batch: { rows: 5000 }" +
                     write_options + " }\n"
                     "    dead_letter: { connection: pg, table: " + letters + " }\n";
  test::write_file(dir_.file("dl.yaml"), yaml);
  auto r = run_once(dir_.file("dl.yaml"));
  ASSERT_EQ(r.exit_code, 3) << r.err;  // completed with rejected rows
  EXPECT_NE(r.out.find("wrote 998 rows, 2 to dead letters"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + dst_), "999");
  EXPECT_EQ(scalar("SELECT string_agg(error_kind || ':' || (record::jsonb->>'id'), ',' ORDER BY error_kind) FROM " +
                   letters),
            "foreign_key:500,unique:700");
  EXPECT_NE(scalar("SELECT error_message FROM " + letters + " WHERE error_kind = 'unique'").find("code"),
            std::string::npos);
  db_->execute_script("DROP TABLE " + letters + "; DROP TABLE " + dst_ + "; DROP TABLE " + src_ + "_parent CASCADE");
}

TEST_F(PipelineDelivery, RejectedRowsGoToDeadLettersWithTheirKinds) {
  expect_rejected_rows_in_dead_letters("${WEIR_TEST_PG_URL}", "");
}

// The same through PostgreSQL's staged merge, every bisected half staged too.
TEST_F(PipelineDelivery, RejectedRowsOfAStagedUpsertGoToDeadLetters) {
  Url staged = Url::parse(url_);
  staged.set_option("bulk_merge", "copy");
  expect_rejected_rows_in_dead_letters(staged.to_string_with_password(), ", mode: upsert, key: [id]");
}

// The checkpoint is in the default store (.weir/state.db), saved after each commit, so the
// second run may write a committed batch again: upserts make that harmless.
TEST_P(PipelineDeliveryOnEachServer, KillNineThenRestartUpsertEndsIdentical) {
  kill_nine_then_run_again("upsert", "");
}

// The checkpoint is in the target, committed in the transaction of the rows it covers (on
// MariaDB, rows that LOAD DATA LOCAL INFILE loaded into that transaction). Insert mode rejects
// a repeated row (primary key) into the dead letters: any row written twice shows there, any
// row lost in the fingerprint.
TEST_P(PipelineDeliveryOnEachServer, KillNineThenRestartInsertWithStateInTargetIsExactlyOnce) {
  auto again = kill_nine_then_run_again("insert", "    state: { connection: dst }\n");
  EXPECT_EQ(again.out.find("dead letters"), std::string::npos) << again.out;
  EXPECT_EQ(scalar("SELECT count(*) FROM weir_dead_letters"), "0");
}

// The server goes down and comes back while the pipeline reads from it and writes to it: the
// reader asks for its page again, the writer replays its rolled-back batch, and the run ends
// with the target identical to the source.
TEST_P(PipelineDeliveryOnEachServer, ServerRestartMidRunCompletesAfterReconnecting) {
  auto restart = GetParam().restart();
  if (!restart) return;
  make_source(kRows);
  make_target();
  std::string file = project("upsert", "");
  int code = interrupt_mid_run(file, [&](test::Background&) { (*restart)(); });
  EXPECT_EQ(code, 0) << last_err_;
  // The restart reached both ends mid-run, not a run that had already finished.
  EXPECT_NE(last_err_.find("input.sql_poll: query on connection `src`"), std::string::npos)
      << "the reader lost its connection: " << last_err_;
  EXPECT_NE(last_err_.find("output.sql_write: "), std::string::npos) << "the writer lost its connection: " << last_err_;
  reconnect();
  EXPECT_EQ(fingerprint(dst_), fingerprint(src_));
}

INSTANTIATE_TEST_SUITE_P(Servers, PipelineDeliveryOnEachServer, ::testing::Values(kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
