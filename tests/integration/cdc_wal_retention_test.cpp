// The WAL a postgres_cdc slot holds on the server, on a real PostgreSQL: a captured table that
// stays idle while the server writes 1 GB of WAL elsewhere (another database, and messages
// in the captured database that no table change comes with) keeps the slot's retained WAL
// (pg_current_wal_lsn() - restart_lsn) under 64 MB, by weir confirming the keepalives'
// position (no heartbeat configured). A slot dropped, or invalidated by max_slot_wal_keep_size,
// while weir streams: weir exits non-zero within seconds naming the slot and `--reset`. A slot
// still held by another walsender when weir starts is waited for.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using namespace std::chrono_literals;
using test::eventually;

constexpr std::int64_t kMiB = 1 << 20;

class CdcWalRetention : public cdc_test::PostgresCdcTest {
 protected:
  void SetUp() override {
    PostgresCdcTest::SetUp();
    if (IsSkipped()) return;
    table_ = table("idle", "id bigint PRIMARY KEY, v text");
    other_db_ = "weir_other_" + s_;
    file_ = pipeline_file({table_});
  }

  void TearDown() override {
    if (db_ && reset_keep_size_) {
      db_->execute("ALTER SYSTEM RESET max_slot_wal_keep_size");
      db_->execute("SELECT pg_reload_conf()");
    }
    if (db_) db_->execute(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", other_db_));
    PostgresCdcTest::TearDown();
  }

  // A connection to a database of its own on the same server, which weir does not read.
  std::unique_ptr<db::Connection> other_database() {
    db_->execute("CREATE DATABASE " + other_db_);
    db::ConnectionConfig other = config_;
    other.url.database = other_db_;
    return db::connect(other);
  }
  // Writes `mib` MiB of WAL through `db` in non-transactional logical messages of 16 MiB.
  static void write_wal(db::Connection& db, int mib) {
    for (int i = 0; i < mib / 16; ++i)
      db.execute("SELECT pg_logical_emit_message(false, 'weir_test_filler', repeat('x', 16 * 1024 * 1024))");
  }
  std::int64_t retained() {
    return std::stoll(test::scalar(*db_, fmt::format("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) "
                                                     "FROM pg_replication_slots WHERE slot_name = '{}'",
                                                     slot_)));
  }
  bool active() {
    return test::scalar(*db_, fmt::format("SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = '{}'",
                                          slot_)) == "1";
  }
  std::string wal_lsn() { return test::scalar(*db_, "SELECT pg_current_wal_lsn()::text"); }

  // weir streaming, once a first change of the captured table reached its output.
  std::unique_ptr<test::Background> streaming() {
    EXPECT_EQ(run_once(file_).exit_code, 0);
    db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one')", table_));
    auto weir = std::make_unique<test::Background>(std::vector<std::string>{"run", file_}, dir_.path().string());
    EXPECT_TRUE(eventually([&] { return active() && !out().empty(); })) << weir->err();
    return weir;
  }

  std::string table_, other_db_, file_;
  bool reset_keep_size_ = false;
};

TEST_F(CdcWalRetention, AnIdleCapturedTableKeepsRetainedWalUnder64MbWhileAGigabyteIsWrittenElsewhere) {
  ASSERT_EQ(run_once(file_).exit_code, 0);  // the slot
  auto other = other_database();
  test::Background weir({"run", file_}, dir_.path());
  ASSERT_TRUE(eventually([&] { return active(); })) << weir.err();
  const std::string started = wal_lsn();
  std::int64_t most = 0;
  for (int chunk = 0; chunk < 32; ++chunk) {
    // Half of it in another database, half as messages of the captured one with no change.
    write_wal(chunk % 2 ? *db_ : *other, 32);
    // A checkpoint logs the running transactions, where the slot's restart_lsn may move to (the
    // server's background writer logs them every 15 s; this test writes faster than that).
    db_->execute("CHECKPOINT");
    std::int64_t now = 0;
    EXPECT_TRUE(eventually([&] { return (now = retained()) < 64 * kMiB; }, 10s))
        << "chunk " << chunk << ": the slot retains " << now / kMiB << " MiB; " << weir.err();
    most = std::max(most, now);
    ASSERT_TRUE(weir.running()) << weir.err();
  }
  std::int64_t written =
      std::stoll(test::scalar(*db_, fmt::format("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{}')", started)));
  EXPECT_GE(written, 1024 * kMiB);
  std::cout << fmt::format("[ wal      ] {} MiB of WAL written, the slot retained at most {} MiB once settled\n",
                           written / kMiB, most / kMiB);
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 143) << weir.err();
  EXPECT_EQ(out(), "");  // nothing of the captured table
}

// The stop must come from the slot, not from the connection: weir rides out a lost connection.
void expect_lost_slot_error(test::Background& weir, const std::string& slot, const std::string& what) {
  const auto from = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return !weir.running(); }, 20s)) << "weir still runs: " << weir.err();
  std::cout << fmt::format("[ stopped  ] {} ms after: {}\n",
                           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - from)
                               .count(),
                           what);
  int code = weir.wait();
  EXPECT_EQ(code, 2) << weir.err();
  EXPECT_NE(weir.err().find(fmt::format("replication slot `{}` {}", slot, what)), std::string::npos) << weir.err();
  EXPECT_NE(weir.err().find("Run again with --reset"), std::string::npos) << weir.err();
}

TEST_F(CdcWalRetention, ASlotDroppedWhileStreamingStopsWeirNamingItAndTheRecovery) {
  auto weir = streaming();
  // weir connects again at once: end its walsender until the slot is free to drop.
  bool dropped = eventually([&] {
    db_->execute(fmt::format("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{}' "
                             "AND active_pid IS NOT NULL",
                             slot_));
    try {
      db_->execute(fmt::format("SELECT pg_drop_replication_slot('{}')", slot_));
      return true;
    } catch (const Error&) {
      return false;
    }
  });
  ASSERT_TRUE(dropped) << weir->err();
  expect_lost_slot_error(*weir, slot_, "does not exist");
  EXPECT_EQ(test::scalar(*db_, fmt::format("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}'", slot_)),
            "0")
      << "weir made a new slot from now";
}

TEST_F(CdcWalRetention, ASlotInvalidatedWhileStreamingStopsWeirNamingItAndTheRecovery) {
  auto weir = streaming();
  // weir stopped (SIGSTOP) confirms nothing while more WAL than the server keeps for a slot is
  // written: the checkpoint invalidates the slot and ends its walsender.
  reset_keep_size_ = true;
  db_->execute("ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'");
  db_->execute("SELECT pg_reload_conf()");
  weir->signal(SIGSTOP);
  auto other = other_database();
  write_wal(*other, 128);
  db_->execute("CHECKPOINT");
  EXPECT_EQ(test::scalar(*db_, fmt::format("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '{}'", slot_)),
            "lost");
  weir->signal(SIGCONT);
  expect_lost_slot_error(*weir, slot_, "was invalidated");
}

// A restart right after a kill -9 may find the slot still held by the killed run's walsender
// (busy decoding a large transaction, it notices its client is gone only when it next writes):
// weir waits for the slot (`retry:`) instead of failing. Here another pipeline's weir holds
// the slot, and is killed two seconds into the wait.
TEST_F(CdcWalRetention, AStartWhileTheSlotIsStillHeldWaitsForItsRelease) {
  ASSERT_EQ(run_once(file_).exit_code, 0);
  std::filesystem::create_directories(dir_.path() / "holder");  // its stdout and stderr
  test::Background holder({"run", file_}, (dir_.path() / "holder").string());
  ASSERT_TRUE(eventually([&] { return active(); })) << holder.err();
  std::string text = test::read_file(file_);
  text.replace(text.find(pipeline_ + ":"), pipeline_.size(), "b_" + pipeline_);
  test::write_file(dir_.file("second.yaml"), text);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one')", table_));

  test::Background second({"run", "--once", dir_.file("second.yaml")}, dir_.path());
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(second.running()) << "gave up on a slot held a moment: " << second.err();
  holder.signal(SIGKILL);
  holder.wait();
  ASSERT_TRUE(eventually([&] { return !second.running(); })) << second.err();
  EXPECT_EQ(second.wait(), 0) << second.err();
  EXPECT_NE(second.err().find(fmt::format("replication slot \"{}\" is active for PID", slot_)), std::string::npos)
      << second.err();
}

}  // namespace
}  // namespace weir::cdc_test
