// postgres_cdc on a real PostgreSQL, stopping and going on: a stop inside a 200,000-row
// source transaction (into jsonl, and through sql_apply into PostgreSQL and SQLite) resumes
// with nothing lost or doubled; a server restarting mid-stream is ridden out in the same run;
// a heartbeat moves an idle slot on.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <functional>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

std::uint64_t rows_read(const std::string& err) {
  std::uint64_t most = 0;
  for (std::size_t at = 0; (at = err.find(": read ", at)) != std::string::npos;) {
    at += 7;
    most = std::max<std::uint64_t>(most, std::strtoull(err.c_str() + at, nullptr, 10));
  }
  return most;
}

// A stop inside a 200,000-row source transaction, made certain by holding the output: weir
// reads into the transaction, its output is blocked by a lock the test holds (`hold` takes
// it, `release` lets it go), SIGTERM comes, and only once weir said it is stopping is the
// lock released. The output then finishes the few batches already queued, far from the
// transaction's end. Returns the LSN before the big transaction.
std::string stop_inside_large_transaction(db::Connection& db, const std::string& t,
                                          const std::string& file, const test::TempDir& dir,
                                          const std::function<void()>& hold, const std::function<void()>& release,
                                          std::string& err) {
  db.execute(fmt::format("INSERT INTO {} SELECT g, 'row ' || g FROM generate_series(1, 10) g", t));
  std::string before_big = test::scalar(db, "SELECT pg_current_wal_lsn()::text");
  db.execute(fmt::format("INSERT INTO {} SELECT g, 'row ' || g FROM generate_series(11, 200010) g", t));
  for (int i = 0; i < 3; ++i)
    db.execute(fmt::format("INSERT INTO {0} SELECT g, 'row ' || g FROM generate_series({1}, {1} + 9) g", t,
                           200'011 + 10 * i));
  hold();
  test::Background weir({"run", file, "--progress", "100ms"}, dir.path());
  // Into the big transaction: more read than the 10 rows before it.
  EXPECT_TRUE(eventually([&] { return rows_read(weir.err()) >= 10'010; })) << weir.err();
  weir.signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return weir.err().find("weir: stopping") != std::string::npos; })) << weir.err();
  release();
  EXPECT_EQ(weir.wait(), 143) << weir.err();
  err = weir.err();
  return before_big;
}

// jsonl has no transactions: it commits batch by batch inside the source transaction, and the
// stop saves the position of its last line; the restart goes on from the next change.
TEST_F(PostgresCdcTest, AStopInsideALargeTransactionResumesAtItsNextChangeNothingLostOrDoubled) {
  std::string t = table("big", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({t});
  ASSERT_EQ(run_once(file).exit_code, 0);
  ASSERT_NE(saved_position(), "");
  create_oracle_slot();
  // Holding the pipeline's checkpoint row holds the output at its first commit.
  auto holder = db::connect(config_);
  std::string err;
  std::string before_big = stop_inside_large_transaction(
      *db_, t, file, dir_,
      [&] {
        holder->execute("BEGIN");
        holder->execute("SELECT 1 FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "' FOR UPDATE");
      },
      [&] { holder->execute("ROLLBACK"); }, err);

  std::string position = saved_position();
  std::size_t delivered = lines_of(out()).size();
  ASSERT_GT(delivered, 10u) << err;
  ASSERT_LT(delivered, 100'000u) << "the stop came long after the output was released: " << err;
  EXPECT_EQ(position.find("end_lsn"), std::string::npos) << "saved mid-transaction: " << position;
  EXPECT_NE(position.find(fmt::format("\"index\":{}", delivered - 10 - 1)), std::string::npos) << position;
  // The server sent more of the transaction than the output committed: the slot stays
  // before the cut transaction, never past it.
  EXPECT_TRUE(lsn_at_most(*db_, confirmed_flush(), before_big)) << confirmed_flush() << " passed " << before_big;

  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> ours = canonical_weir(out());
  std::vector<std::string> theirs = canonical_oracle(oracle({t}));
  ASSERT_EQ(theirs.size(), 200'040u);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

}  // namespace

// sql_apply commits a source transaction whole: the stop rolls back what it wrote of the big
// one, the slot is not confirmed past the transaction before it, and the restart applies it
// again from its start — every row once.
void PostgresCdcTest::stop_inside_large_transaction_applied(bool sqlite, bool streamed) {
  std::string t = table("bigsrc", "id bigint PRIMARY KEY, v text");
  std::string target = sqlite ? "bigdst" : table("bigdst", "id bigint PRIMARY KEY, v text");
  std::string target_url = sqlite ? "\"sqlite:dst.db?busy_timeout=600000\"" : "\"${WEIR_TEST_PG_URL}\"";
  std::unique_ptr<db::Connection> dst = db::connect(config_);
  if (sqlite) {
    db::ConnectionConfig config;
    config.url = Url::parse("sqlite:" + dir_.file("dst.db"));
    dst = db::connect(config);
    dst->execute("CREATE TABLE bigdst (id bigint PRIMARY KEY, v text)");
  }
  std::string source = streamed ? "\"${WEIR_TEST_PG_URL}?options=-c%20logical_decoding_work_mem%3D64kB\""
                                : "\"${WEIR_TEST_PG_URL}\"";
  std::string file = pipeline_file({t}, source, "",
                                   fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", t, target),
                                   target_url);
  ASSERT_EQ(run_once(file).exit_code, 0);
  // A lock on the target holds the output at its first write.
  auto holder = sqlite ? nullptr : db::connect(config_);
  auto hold = [&] {
    if (sqlite) {
      dst->execute("BEGIN IMMEDIATE");
    } else {
      holder->execute("BEGIN");
      holder->execute(fmt::format("LOCK TABLE {} IN SHARE MODE", target));
    }
  };
  auto release = [&] { (sqlite ? *dst : *holder).execute("ROLLBACK"); };
  std::string err;
  std::string before_big = stop_inside_large_transaction(*db_, t, file, dir_, hold, release, err);

  EXPECT_NE(err.find("the input stopped inside a source transaction; its "), std::string::npos) << err;
  EXPECT_EQ(test::scalar(*dst, fmt::format("SELECT count(*) FROM {} WHERE id > 10", target)), "0");
  EXPECT_TRUE(lsn_at_most(*db_, confirmed_flush(), before_big)) << confirmed_flush() << " passed " << before_big;
  std::string position = saved_position();
  EXPECT_TRUE(position.empty() || position.find("end_lsn") != std::string::npos) << position;

  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string summary = "SELECT count(*) || ' ' || sum(id) || ' ' || min(v) || ' ' || max(v) FROM ";
  EXPECT_EQ(test::scalar(*dst, summary + target), test::scalar(*db_, summary + t));
  EXPECT_EQ(test::scalar(*dst, "SELECT count(*) FROM " + target), "200040");
}

namespace {

TEST_F(PostgresCdcTest, AStopInsideALargeTransactionAppliedToPostgresRollsItBackAndTheRestartAppliesItOnce) {
  stop_inside_large_transaction_applied(false);
}

TEST_F(PostgresCdcTest, AStopInsideALargeTransactionAppliedToSqliteRollsItBackAndTheRestartAppliesItOnce) {
  stop_inside_large_transaction_applied(true);
}

// The same with the transaction streamed by the server while in progress: replayed from weir's
// temporary file at its commit, stopped there, streamed again whole on the restart.
TEST_F(PostgresCdcTest, AStopInsideAStreamedTransactionAppliedToPostgresRollsItBackAndTheRestartAppliesItOnce) {
  stop_inside_large_transaction_applied(false, true);
  EXPECT_NE(test::scalar(*db_, fmt::format("SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '{}'",
                                           slot_)),
            "0");
}

// ---- a server restarting, an idle database -----------------------------------------------------

// Adds `lines` (YAML, 8 spaces deep) to the postgres_cdc section of `file`.
void add_input_options(const std::string& file, const std::string& lines) {
  std::string text = test::read_file(file);
  text.insert(text.find("    output:"), lines);
  test::write_file(file, text);
}

// The server restarts while weir streams: it connects again by itself and goes on from where
// it was, in the same run: every change once, none lost, none twice.
TEST_F(PostgresCdcTest, AServerRestartMidStreamIsRiddenOutNothingLostOrDoubled) {
  auto restart = test::postgres_restart();
  if (!restart) GTEST_SKIP() << "the harness did not say how to restart its PostgreSQL";
  std::string t = table("restarted", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({t});
  add_input_options(file, "        retry: { max_time: 60s }\n");
  // The state elsewhere: a server shutting down waits for weir to confirm all it sent, which
  // weir does only once the output committed and the checkpoint is saved.
  std::string text = test::read_file(file);
  text.replace(text.find("state_db: \"${WEIR_TEST_PG_URL}\""), 31, "state_db: \"sqlite:state.db\"");
  test::write_file(file, text);
  ASSERT_EQ(run_once(file).exit_code, 0);
  create_oracle_slot();
  insert_transactions(*db_, t, 30, 2'000);
  test::Background weir({"run", file}, dir_.path());
  ASSERT_TRUE(eventually([&] { return lines_of(out()).size() >= 4'000; })) << weir.err();
  (*restart)();
  db_ = db::connect(config_);
  insert_transactions(*db_, t, 5, 100, 60'001);
  EXPECT_TRUE(eventually([&] { return lines_of(out()).size() >= 60'500; }, 60s)) << weir.err();
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 143) << weir.err();
  EXPECT_NE(weir.err().find("connecting again"), std::string::npos) << weir.err();
  std::vector<std::string> ours = canonical_weir(out()), theirs = canonical_oracle(oracle({t}));
  ASSERT_EQ(theirs.size(), 60'500u);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

// `heartbeat` runs its statement while the captured tables are idle; by default a WAL message
// (pg_logical_emit_message), which moves the slot on past where WAL stood when weir started.
TEST_F(PostgresCdcTest, AHeartbeatRunsItsQueryAndMovesAnIdleSlotOn) {
  std::string t = table("idle", "id bigint PRIMARY KEY");
  std::string beats = table("beats", "at timestamptz");
  std::string file = pipeline_file({t});
  ASSERT_EQ(run_once(file).exit_code, 0);
  {
    add_input_options(file, fmt::format("        heartbeat: 200ms\n        heartbeat_query: \"INSERT INTO {} VALUES (now())\"\n", beats));
    test::Background weir({"run", file}, dir_.path());
    EXPECT_TRUE(eventually([&] { return std::stoi(test::scalar(*db_, "SELECT count(*) FROM " + beats)) >= 3; }))
        << weir.err();
    weir.signal(SIGTERM);
    weir.wait();
  }
  std::string text = test::read_file(file);
  text.erase(text.find("        heartbeat_query:"), text.find("    output:") - text.find("        heartbeat_query:"));
  test::write_file(file, text);
  std::string started = test::scalar(*db_, "SELECT pg_current_wal_lsn()::text");
  test::Background weir({"run", file}, dir_.path());
  EXPECT_TRUE(eventually([&] { return !lsn_at_most(*db_, confirmed_flush(), started); })) << confirmed_flush();
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 143) << weir.err();
}

}  // namespace
}  // namespace weir::cdc_test
