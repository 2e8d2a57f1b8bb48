// `weir sync --jobs N` of a PostgreSQL table without a primary key: read in ctid (heap block)
// ranges by several readers over one exported snapshot, every row once, duplicates included;
// killed (kill -9) midway, the same command empties the target, says so, and copies the table
// again — the target ends with the source's exact multiset of rows, and --verify agrees.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <thread>

#include "sync_fixture.hpp"
#include "support/test_support.hpp"

namespace weir {
namespace {

using test::run_weir;

constexpr int kRows = 300000;
// Each row three times over (g, g + 100000, g + 200000), n NULL for every seventh value: the
// multiset, pinned as the multiplicities of the distinct rows, sum(n) and count(n).
constexpr const char* kSource =
    "CREATE TABLE {0} (v text NOT NULL, n bigint, at timestamptz);\n"
    "INSERT INTO {0} SELECT md5((g % 100000)::text), CASE WHEN g % 100000 % 7 = 0 THEN NULL ELSE g % 100000 END, "
    "'2024-01-01 00:00:00+00'::timestamptz + (g % 100000) * interval '1 second' FROM generate_series(1, {1}) g;\n";
// 3 * the sum of 0..99999 without the multiples of 7.
constexpr std::int64_t kSum = 3 * (4999950000LL - 7LL * (14285LL * 14286LL / 2));

class SyncBlocks : public Sync {
 protected:
  std::uint64_t count(const std::string& conn, const std::string& table) {
    auto r = run_weir({"query", conn, "SELECT count(*) AS n FROM " + table, "-f", "ndjson"}, dir());
    if (r.exit_code != 0 || r.out.empty()) return 0;  // not created yet
    return std::stoull(r.out.substr(r.out.find(':') + 1));
  }

  // Starts the sync, kills it (kill -9) once its first rows are committed (the target holds
  // more than `before`); the run's stderr.
  std::string killed_midway(const std::vector<std::string>& args, const std::string& conn, const std::string& table,
                            std::uint64_t before = 0) {
    test::Background weir(command(args), dir());
    bool started = false;
    for (int i = 0; i < 2400 && weir.running() && !started; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      started = count(conn, table) > before;
    }
    EXPECT_TRUE(weir.running()) << "the sync ended before it could be killed\n" << weir.out() << weir.err();
    weir.signal(SIGKILL);
    EXPECT_EQ(weir.wait(), 128 + SIGKILL);
    return weir.err();
  }

  // The target holds the source's rows, each as many times as there.
  void holds_the_multiset(const std::string& conn, const std::string& table) {
    EXPECT_EQ(rows(conn, fmt::format("SELECT count(*) AS n, CAST(sum(n) AS TEXT) AS s, count(n) AS nn FROM {}", table)),
              fmt::format("{{\"n\":{},\"s\":\"{}\",\"nn\":{}}}\n", kRows, kSum, 3 * (100000 - 14286)));
    EXPECT_EQ(rows(conn, fmt::format("SELECT c, count(*) AS k FROM (SELECT v, n, count(*) AS c FROM {} GROUP BY v, n) "
                                     "x GROUP BY c ORDER BY c",
                                     table)),
              "{\"c\":3,\"k\":100000}\n");
  }

  void killed_then_rerun(const std::string& conn, const std::string& target_table) {
    std::string src = table("blk");
    const std::vector<std::string> args = {"pg." + src, "--to", conn + "." + target_table, "--jobs", "3",
                                           "--verify", "--format", "json"};
    killed_midway(args, conn, target_table);
    const std::uint64_t committed = count(conn, target_table);
    ASSERT_GT(committed, 0u);
    ASSERT_LT(committed, static_cast<std::uint64_t>(kRows)) << "killed after the last commit";

    auto r = run_weir(command(args), dir());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find(fmt::format("sync pg.{} to {}.{}: a sync of this table without a primary key stopped "
                                     "midway, and the rows it committed cannot be told apart: the target table is "
                                     "emptied and the table copied again",
                                     src, conn, target_table)),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find(fmt::format("\"rows_read\":{},\"rows_written\":{},", kRows, kRows)), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("\"resumed\":false"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"matches\":true"), std::string::npos) << r.out;
    std::smatch found;
    ASSERT_TRUE(std::regex_search(r.err, found,
                                  std::regex(R"((\d+) block range\(s\), (\d+) reader\(s\) in one exported snapshot)")))
        << r.err;
    EXPECT_EQ(found[2], "3") << found[0];
    EXPECT_GE(std::stoi(found[1]), 3) << found[0];
    holds_the_multiset(conn, target_table);

    // Run again once finished: a full sync appends (no key: no conflict), nothing restarted.
    r = run_weir(command({"pg." + src, "--to", conn + "." + target_table, "--jobs", "3", "--format", "json"}), dir());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.err.find("emptied"), std::string::npos) << r.err;
    EXPECT_EQ(count(conn, target_table), 2u * kRows);
  }
};

TEST_F(SyncBlocks, KilledIntoSqliteThenRunAgainHoldsTheExactRows) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("blk");
  drop_later("pg", src);
  sql("pg", fmt::format(kSource, src, kRows));
  killed_then_rerun("lite", src);
}

TEST_F(SyncBlocks, KilledIntoPostgresThenRunAgainHoldsTheExactRows) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("blk");
  drop_later("pg", src);
  drop_later("pg", src + "_copy");
  sql("pg", fmt::format(kSource, src, kRows));
  killed_then_rerun("pg", src + "_copy");
}

// A target that held rows before the sync began: after a stop they cannot be told from the
// copy's, so the rerun is refused (exit 2) in one line saying what to do.
TEST_F(SyncBlocks, StoppedIntoATargetThatHadRowsIsRefusedOnTheRerun) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  std::string src = table("blk");
  drop_later("pg", src);
  sql("pg", fmt::format(kSource, src, kRows));
  sql("lite", fmt::format("CREATE TABLE {} (v text NOT NULL, n bigint, at text);\n"
                          "INSERT INTO {} VALUES ('kept', 1, NULL);",
                          src, src));
  const std::vector<std::string> args = {"pg." + src, "--to", "lite", "--jobs", "2"};
  killed_midway(args, "lite", src, 1);
  auto r = run_weir(command(args), dir());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(fmt::format("pg.{0} has no primary key and a sync of it into lite.{0} stopped midway: the "
                                   "rows it committed cannot be told from those the target held before it began; "
                                   "empty the target table (or sync with --truncate) and run again with --reset",
                                   src)),
            std::string::npos)
      << r.err;
  EXPECT_EQ(rows("lite", "SELECT count(*) AS n FROM " + src + " WHERE v = 'kept'"), "{\"n\":1}\n");
}

}  // namespace
}  // namespace weir
