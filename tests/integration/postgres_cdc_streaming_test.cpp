// postgres_cdc with protocol 2 and `streaming 'on'` on a real PostgreSQL: with a small
// logical_decoding_work_mem (64kB, set for the pipeline's session through the connection's
// `options` URL option) the server streams large transactions in chunks while they are in progress —
// pg_stat_replication_slots counts them — and weir delivers exactly the committed rows, once,
// at their commits, in commit order: a ROLLBACK TO SAVEPOINT inside a big transaction drops only
// the subtransaction's rows, an aborted big transaction delivers nothing, and two big
// transactions streamed interleaved arrive one after the other, each whole.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using nlohmann::json;

constexpr std::string_view kStreamingConnection =
    "\"${WEIR_TEST_PG_URL}?options=-c%20logical_decoding_work_mem%3D64kB\"";

// One delivered change, as "txid:index:id", and the commit LSN of each transaction in order.
struct Delivered {
  std::vector<std::string> changes;
  std::vector<std::string> commit_lsns;  // one per transaction, in the order delivered
  std::vector<long long> txids;
};

Delivered delivered(const std::string& jsonl) {
  Delivered d;
  for (const std::string& line : lines_of(jsonl)) {
    json change = json::parse(line);
    const json& source = change["source"];
    long long txid = source["txid"].get<long long>();
    if (d.txids.empty() || d.txids.back() != txid) {
      d.txids.push_back(txid);
      d.commit_lsns.push_back(source["lsn"].get<std::string>());
    }
    d.changes.push_back(fmt::format("{}:{}:{}", txid, source["index"].get<long long>(),
                                    change["after"]["id"].get<long long>()));
  }
  return d;
}

// "txid:index:id" for `ids` in one transaction, indexed from 0.
std::vector<std::string> transaction_of(long long txid, const std::vector<std::pair<int, int>>& id_ranges) {
  std::vector<std::string> out;
  for (auto [from, to] : id_ranges)
    for (int id = from; id <= to; ++id) out.push_back(fmt::format("{}:{}:{}", txid, out.size(), id));
  return out;
}

class PostgresCdcStreamingTest : public PostgresCdcTest {
 protected:
  std::string streamed_table() { return table("streamed", "id bigint PRIMARY KEY, pad text NOT NULL"); }
  // Rows wide enough that a few hundred pass 64kB.
  static std::string insert_rows(const std::string& t, int from, int to) {
    return fmt::format("INSERT INTO {} SELECT g, repeat('x', 200) FROM generate_series({}, {}) g;", t, from, to);
  }
  // How many transactions the server streamed (in chunks) and spilled to its disk from the slot.
  std::pair<long long, long long> streamed_and_spilled() {
    std::string stats;
    auto counted = [&] {
      stats = test::scalar(*db_, fmt::format("SELECT stream_txns || ' ' || spill_txns FROM pg_stat_replication_slots "
                                             "WHERE slot_name = '{}'", slot_));
      return !stats.empty() && !stats.starts_with("0 ");
    };
    eventually(counted);  // the walsender reports its counts a moment after it ends
    long long streamed = 0, spilled = 0;
    std::sscanf(stats.c_str(), "%lld %lld", &streamed, &spilled);
    return {streamed, spilled};
  }
  long long txid_of(db::Connection& db) { return std::stoll(test::scalar(db, "SELECT txid_current()::text")); }
};

TEST_F(PostgresCdcStreamingTest, ABigTransactionWithARollbackToSavepointDeliversOnlyItsCommittedRows) {
  std::string t = streamed_table();
  std::string file = pipeline_file({t}, std::string(kStreamingConnection));
  auto setup = run_once(file);  // the slot, from here
  ASSERT_EQ(setup.exit_code, 0) << setup.err;
  db_->execute("BEGIN");
  long long txid = txid_of(*db_);
  db_->execute_script(insert_rows(t, 1, 3000) + "SAVEPOINT a;" + insert_rows(t, 3001, 6000) +
                      "ROLLBACK TO SAVEPOINT a;" + insert_rows(t, 6001, 7000) + "SAVEPOINT b;" +
                      insert_rows(t, 7001, 8000) + "RELEASE SAVEPOINT b; COMMIT;");
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Delivered got = delivered(out());
  EXPECT_EQ(got.changes, transaction_of(txid, {{1, 3000}, {6001, 8000}}));
  EXPECT_EQ(got.txids, std::vector<long long>{txid});
  auto [streamed, spilled] = streamed_and_spilled();
  EXPECT_GE(streamed, 1);  // the server sent it in chunks, as it was in progress …
  EXPECT_EQ(spilled, 0);   // … instead of writing it to its disk first
}

TEST_F(PostgresCdcStreamingTest, AnAbortedBigTransactionDeliversNothing) {
  std::string t = streamed_table();
  std::string file = pipeline_file({t}, std::string(kStreamingConnection));
  ASSERT_EQ(run_once(file).exit_code, 0);
  db_->execute_script("BEGIN;" + insert_rows(t, 1, 5000) + "ROLLBACK;");
  db_->execute("BEGIN");
  long long txid = txid_of(*db_);
  db_->execute_script(insert_rows(t, 9001, 9003) + "COMMIT;");
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(delivered(out()).changes, transaction_of(txid, {{9001, 9003}}));
  EXPECT_GE(streamed_and_spilled().first, 1);
  ASSERT_EQ(run_once(file).exit_code, 0);  // and nothing later either
  EXPECT_EQ(lines_of(out()).size(), 3u);
}

TEST_F(PostgresCdcStreamingTest, TwoInterleavedBigTransactionsArriveWholeInCommitOrderOnce) {
  std::string t = streamed_table();
  std::string file = pipeline_file({t}, std::string(kStreamingConnection));
  ASSERT_EQ(run_once(file).exit_code, 0);
  auto other = db::connect(config_);
  db_->execute("BEGIN");
  other->execute("BEGIN");
  long long first = txid_of(*db_), second = txid_of(*other);
  db_->execute_script(insert_rows(t, 1, 2000));
  other->execute_script(insert_rows(t, 10001, 12000));
  db_->execute_script(insert_rows(t, 2001, 4000));
  other->execute_script(insert_rows(t, 12001, 14000));
  other->execute("COMMIT");  // the second begun commits first
  db_->execute("COMMIT");
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Delivered got = delivered(out());
  std::vector<std::string> expected = transaction_of(second, {{10001, 14000}});
  for (std::string& change : transaction_of(first, {{1, 4000}})) expected.push_back(std::move(change));
  EXPECT_EQ(got.changes, expected);
  EXPECT_EQ(got.txids, (std::vector<long long>{second, first}));
  EXPECT_GE(streamed_and_spilled().first, 2);

  // A second run has nothing left to deliver: both were confirmed whole.
  ASSERT_EQ(run_once(file).exit_code, 0);
  EXPECT_EQ(lines_of(out()).size(), 8000u);
}

}  // namespace
}  // namespace weir::cdc_test
