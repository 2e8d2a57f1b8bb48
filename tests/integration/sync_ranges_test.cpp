// `weir sync --jobs N` of one table: its key ranges read at once (over one exported snapshot on
// PostgreSQL), a sync killed (kill -9) at random moments resumed range by range — the rows read
// by the last run are exactly those not yet committed, and the target ends identical, without
// duplicates — and values that cannot be carried (a MariaDB zero date; a number out of the
// existing target column's range, a text too long for it): one line naming the table, the
// row's key and the column, or with --on-bad-value null written as NULL and each named.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <optional>
#include <random>
#include <regex>
#include <thread>

#include "sync_fixture.hpp"
#include "support/test_support.hpp"

namespace weir {
namespace {

using test::run_weir;

std::uint64_t number_in(const std::string& json_line) {
  std::size_t colon = json_line.find(':');
  return std::stoull(json_line.substr(colon + 1));
}

class SyncRanges : public Sync {
 protected:
  // A PostgreSQL table `prefix…` of `rows` rows (id 1…rows, v = md5(id)), dropped after the test.
  std::string md5_table(const std::string& prefix, std::uint64_t rows) {
    std::string name = table(prefix);
    drop_later("pg", name);
    sql("pg", fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, v text NOT NULL);\n"
                          "INSERT INTO {0} SELECT g, md5(g::text) FROM generate_series(1, {1}) g;\n",
                          name, rows));
    return name;
  }

  struct Run {
    bool killed = false;
    int exit = 0;
    std::uint64_t committed = 0;  // the target's rows once it ended
    std::string out, err;
  };

  // Starts the sync and, `delay` after its first rows are committed, stops it by `stop` (by
  // default kill -9) unless it finished first.
  Run kill_midway(const std::vector<std::string>& args, const std::string& target, const std::string& table,
                  std::chrono::milliseconds delay,
                  const std::function<void(test::Background&)>& stop = [](test::Background& weir) {
                    weir.signal(SIGKILL);
                  }) {
    auto committed = [&]() -> std::uint64_t {
      auto r = run_weir({"query", target, "SELECT count(*) AS n FROM " + table, "-f", "ndjson"}, dir());
      return r.exit_code == 0 && !r.out.empty() ? number_in(r.out) : 0;  // not created yet: none
    };
    const std::uint64_t before = committed();
    test::Background weir(command(args), dir());
    bool started = false;
    for (int i = 0; i < 1200 && weir.running() && !started; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      started = committed() > before;
    }
    std::this_thread::sleep_for(delay);
    Run run;
    if (weir.running()) {
      stop(weir);
      run.killed = true;
    }
    run.exit = weir.wait();
    run.out = weir.out();
    run.err = weir.err();
    run.committed = committed();
    if (!run.killed) {
      EXPECT_EQ(run.exit, 0) << run.out << run.err;
    }
    return run;
  }

  // Kills the sync at random moments (the seed is printed) until a run ends by itself: that
  // run read only the rows no run before it committed — each range resumed after its last
  // committed row, a finished range read nothing again — and the target is the source's.
  void killed_runs_resume_range_by_range(const std::string& from, const std::string& target, const std::string& src,
                                         std::uint64_t source_rows) {
    const unsigned seed = std::random_device{}();
    std::mt19937 random(seed);
    const std::vector<std::string> args = {from + "." + src, "--to", target, "--jobs", "4", "--verify", "--format",
                                           "json"};
    std::uint64_t committed = 0;
    int kills = 0;
    Run run;
    for (;;) {
      if (kills == 4) {  // enough: the last run goes to the end
        auto r = run_weir(command(args), dir());
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        run = Run{.out = r.out, .err = r.err};
        break;
      }
      run = kill_midway(args, target, src, std::chrono::milliseconds(std::uniform_int_distribution(0, 150)(random)));
      if (!run.killed) break;
      EXPECT_GE(run.committed, committed) << "seed " << seed;
      ASSERT_LE(run.committed, source_rows) << "seed " << seed;
      committed = run.committed;
      ++kills;
      // On a fast machine a kill can land after the last commit (during --verify): the copy had
      // ended, so there is nothing left to resume; the target is checked below all the same.
      if (committed == source_rows) break;
    }
    EXPECT_GT(kills, 0) << "the sync ended before it could be killed (seed " << seed << ")";
    if (committed < source_rows) {
      EXPECT_NE(run.out.find(fmt::format("\"rows_read\":{},", source_rows - committed)), std::string::npos)
          << kills << " kill(s), committed before the last run: " << committed << ", seed " << seed << "\n"
          << run.out;
      if (kills > 0) {
        EXPECT_NE(run.out.find("\"resumed\":true"), std::string::npos) << run.out;
      }
      EXPECT_NE(run.out.find("\"matches\":true"), std::string::npos) << run.out;
    }
    // Several readers (the row estimate decides how many ranges, at most four per reader).
    std::smatch found;
    ASSERT_TRUE(std::regex_search(run.err, found, std::regex(R"((\d+) key range\(s\), (\d+) reader\(s\))"))) << run.err;
    EXPECT_GE(std::stoi(found[2]), 2) << found[0];
    EXPECT_GE(std::stoi(found[1]), std::stoi(found[2])) << found[0];
    // As many writers as --jobs says into PostgreSQL, each with its own checkpoint; one into SQLite.
    ASSERT_TRUE(std::regex_search(run.err, found, std::regex(R"((\d+) writer\(s\))"))) << run.err;
    EXPECT_EQ(found[1], target == "pg" ? "4" : "1") << found[0];
    // No row twice: every source row's v is its own.
    EXPECT_EQ(rows(target, fmt::format("SELECT count(*) AS n, count(DISTINCT v) AS d FROM {}", src)),
              fmt::format("{{\"n\":{0},\"d\":{0}}}\n", source_rows));
  }
};

TEST_F(SyncRanges, PostgresKilledAtRandomResumesOnlyTheRowsNotCommitted) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  constexpr int kRows = 400000;
  std::string src = table("rng");
  drop_later("pg", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, v text NOT NULL, n bigint NOT NULL);\n"
                        "INSERT INTO {0} SELECT g, md5(g::text), 3 * g FROM generate_series(1, {1}) g;\n",
                        src, kRows));
  killed_runs_resume_range_by_range("pg", "lite", src, kRows);
}

TEST_F(SyncRanges, MariadbKilledAtRandomResumesOnlyTheRowsNotCommitted) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  constexpr int kRows = 200000;
  std::string src = table("mrng");
  drop_later("maria", src);
  drop_later("pg", src);
  // A key that is not an integer: the ranges are cut at the keys of rows at equal steps.
  sql("maria", fmt::format("CREATE TABLE {0} (id BIGINT NOT NULL, code VARCHAR(12) NOT NULL, v TEXT NOT NULL, "
                           "n BIGINT NOT NULL, PRIMARY KEY (code, id));\n"
                           "INSERT INTO {0} SELECT seq, lpad(seq MOD 977, 6, '0'), md5(seq), 3 * seq "
                           "FROM seq_1_to_{1};\n",
                           src, kRows));
  killed_runs_resume_range_by_range("maria", "pg", src, kRows);
}

// A sync into PostgreSQL stopped midway goes on with the writers it began with, whatever --jobs
// says now: each writer's checkpoint holds its own ranges' positions.
TEST_F(SyncRanges, AStoppedSyncGoesOnWithTheWritersItBeganWith) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  constexpr std::uint64_t kRows = 400000;
  std::string src = md5_table("wrt", kRows), dst = table("wrtdst");
  drop_later("pg", dst);
  const std::vector<std::string> three = {"pg." + src, "--to", "pg." + dst, "--jobs", "3", "--format", "json"};
  Run run;
  for (int attempt = 0; attempt < 5; ++attempt) {
    run = kill_midway(three, "pg", dst, std::chrono::milliseconds(attempt == 0 ? 30 : 0));
    if (run.killed && run.committed < kRows) break;
    sql("pg", "DROP TABLE " + dst);
  }
  ASSERT_TRUE(run.killed && run.committed < kRows) << "the sync ended before it was killed, 5 times\n" << run.out;
  const std::uint64_t committed = run.committed;
  auto r = run_weir({"--log-level", "debug", "sync", "--progress", "0s", "pg." + src, "--to", "pg." + dst, "--jobs",
                     "1", "--verify", "--format", "json"},
                    dir());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find(", 3 writer(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(fmt::format("\"rows_read\":{},", kRows - committed)), std::string::npos)
      << "committed before: " << committed << "\n" << r.out;
  EXPECT_NE(r.out.find("\"resumed\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"matches\":true"), std::string::npos) << r.out;
  EXPECT_EQ(rows("pg", fmt::format("SELECT count(*) AS n, count(DISTINCT v) AS d FROM {}", dst)),
            fmt::format("{{\"n\":{0},\"d\":{0}}}\n", kRows));
  // Its end forgets every writer's position: the next sync starts from the first row.
  EXPECT_EQ(rows("pg", fmt::format("SELECT count(*) AS n FROM weir_state WHERE pipeline LIKE '%{}%'", dst)),
            "{\"n\":0}\n");
}

// Without --jobs, each target gets the writers its driver uses by default: two into PostgreSQL,
// one into MariaDB and SQLite; and SQLite never more, whatever --jobs says.
TEST_F(SyncRanges, EachTargetGetsTheWritersItsDriverUsesByDefault) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = md5_table("dflt", 50'000);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--to", "pg." + table("dfltpg")}, "2"},
      {{"--to", "maria." + table("dfltmaria")}, "1"},
      {{"--to", "lite." + table("dfltlite")}, "1"},
      {{"--to", "lite." + table("dfltlite4"), "--jobs", "4"}, "1"},
  };
  drop_later("pg", table("dfltpg"));
  drop_later("maria", table("dfltmaria"));
  for (const auto& [args, writers] : cases) {
    std::vector<std::string> full = {"--log-level", "debug", "sync", "--progress", "0s", "pg." + src};
    full.insert(full.end(), args.begin(), args.end());
    auto r = run_weir(full, dir());
    ASSERT_EQ(r.exit_code, 0) << args[1] << "\n" << r.err;
    std::smatch found;
    ASSERT_TRUE(std::regex_search(r.err, found, std::regex(R"((\d+) writer\(s\))"))) << args[1] << "\n" << r.err;
    EXPECT_EQ(found[1], writers) << args[1] << ": " << found[0];
  }
}

// Ctrl-C commits what was read and exits 130, and the same command goes on where it stopped;
// a server restart under the readers is retried on new connections from each range's last row
// handed on, and the run ends with every row once.
TEST_F(SyncRanges, StoppedByCtrlCOrAServerRestartGoesOnWhereItStopped) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  constexpr std::uint64_t kRows = 400000;
  std::string src = md5_table("stop", kRows);
  const std::vector<std::string> args = {"pg." + src, "--to", "lite", "--jobs", "3", "--verify", "--format", "json"};
  // Ctrl-C must land during the copy. On a fast machine the copy can end within the delay (or
  // Ctrl-C lands in --verify, after the last commit): then the target table goes and the copy
  // starts again, stopped at once after its first commit.
  Run run;
  for (int attempt = 0; attempt < 5; ++attempt) {
    run = kill_midway(args, "lite", src, std::chrono::milliseconds(attempt == 0 ? 50 : 0),
                      [](test::Background& weir) { weir.signal(SIGINT); });
    if (run.killed && run.committed < kRows) break;
    sql("lite", "DROP TABLE " + src);
  }
  ASSERT_TRUE(run.killed) << "the sync ended before Ctrl-C in 5 attempts\n" << run.out;
  EXPECT_EQ(run.exit, 130) << run.out << run.err;
  EXPECT_NE(run.out.find("\"interrupted\":true"), std::string::npos) << run.out;
  ASSERT_LT(run.committed, kRows);
  const std::uint64_t committed = run.committed;

  auto restart = test::postgres_restart();
  ASSERT_TRUE(restart.has_value());
  // The restart may also land after the last commit, in --verify, which is retried as well.
  run = kill_midway(args, "lite", src, std::chrono::milliseconds(0), [&](test::Background&) { (*restart)(); });
  EXPECT_EQ(run.exit, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(fmt::format("\"rows_read\":{},", kRows - committed)), std::string::npos)
      << "committed before: " << committed << "\n" << run.out;
  EXPECT_NE(run.out.find("\"resumed\":true"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"matches\":true"), std::string::npos) << run.out;
  if (run.killed) {
    const bool reading = run.err.find(fmt::format("table `{}`: reading from connection `pg`", src)) != std::string::npos;
    const bool verifying = run.err.find(fmt::format("--verify of table `{}` on connection `pg`", src)) != std::string::npos;
    EXPECT_TRUE(reading || verifying) << "the restart was retried, saying so\n" << run.err;
  }
  EXPECT_EQ(rows("lite", "SELECT count(*) AS n, count(DISTINCT v) AS d FROM " + src),
            fmt::format("{{\"n\":{0},\"d\":{0}}}\n", kRows));
}

// --verify only reads: a server restart while it reads both sides is retried, and the run
// ends verified, the restart named in one warning.
TEST_F(SyncRanges, AServerRestartDuringVerifyIsRetried) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  constexpr std::uint64_t kRows = 400000;
  std::string src = md5_table("ver", kRows), dst = table("verdst");
  drop_later("pg", dst);
  auto restart = test::postgres_restart();
  ASSERT_TRUE(restart.has_value());
  test::Background weir(command({"pg." + src, "--to", "pg." + dst, "--verify", "--format", "json"}), dir());
  ASSERT_TRUE(weir.err_says("--verify of table", std::chrono::seconds(30), std::chrono::milliseconds(5)))
      << weir.out() << weir.err();
  (*restart)();
  EXPECT_EQ(weir.wait(), 0) << weir.out() << weir.err();
  EXPECT_NE(weir.out().find("\"matches\":true"), std::string::npos) << weir.out();
  EXPECT_TRUE(std::regex_search(weir.err(), std::regex("--verify of table `[^`]+`[^\n]*; retrying")))
      << "the restart cut a digest off, and that was said once\n" << weir.err();
}

// Every reader sees the snapshot the first exported: rows moved from the first range to the
// last while the readers read are copied once each, as the table was when the sync began.
TEST_F(SyncRanges, PostgresReadersShareOneSnapshot) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  constexpr int kRows = 300000;
  std::string src = md5_table("snap", kRows);
  std::atomic<bool> done{false};
  std::atomic<int> moved{0};
  std::thread mover([&] {
    // Each statement its own transaction: the least key moves past the greatest.
    for (int i = 0; i < 400 && !done; ++i) {
      auto r = run_weir({"query", "pg",
                         fmt::format("UPDATE {0} SET id = id + 10000000 WHERE id = (SELECT min(id) FROM {0})", src)},
                        dir());
      if (r.exit_code == 0) ++moved;
    }
  });
  auto r = run_weir({"--log-level", "debug", "sync", "--progress", "0s", "pg." + src, "--to", "lite", "--jobs", "4"},
                    dir());
  done = true;
  mover.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find(" reader(s) in one exported snapshot"), std::string::npos) << r.err;
  EXPECT_GT(moved.load(), 0);
  EXPECT_EQ(rows("lite", "SELECT count(*) AS n, count(DISTINCT v) AS d FROM " + src),
            fmt::format("{{\"n\":{0},\"d\":{0}}}\n", kRows));
}

TEST_F(SyncRanges, ZeroDatesAreOneLineOrEachNamedAndWrittenAsNull) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("zd");
  drop_later("maria", src);
  drop_later("pg", src);
  sql("maria", fmt::format("SET SESSION sql_mode = '';\n"
                           "CREATE TABLE {0} (id INT PRIMARY KEY, d DATE, at DATETIME NOT NULL);\n"
                           "INSERT INTO {0} VALUES (1, '2024-01-02', '2024-01-02 03:04:05'), "
                           "(2, '0000-00-00', '2024-01-02 03:04:05'), (3, '2024-02-29', '2024-01-02 03:04:05'), "
                           "(4, '0000-00-00', '2024-01-02 03:04:05'), (5, NULL, '2024-01-02 03:04:05');\n",
                           src));
  auto r = sync({"maria." + src, "--to", "pg"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(fmt::format("table `{}`: reading from connection `maria` (mysql://", src)), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("): the row (id)=(2): column `d`: the server returned a zero date"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = sync({"maria." + src, "--to", "pg", "--on-bad-value", "null", "--verify", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int id : {2, 4})
    EXPECT_NE(r.err.find(fmt::format("table `{}`: the row (id)=({}): column `d`: the server returned a zero date", src,
                                     id)),
              std::string::npos)
        << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_NE(r.out.find("\"values_nulled\":2,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"matches\":true"), std::string::npos) << r.out;
  EXPECT_EQ(rows("pg", "SELECT id, d FROM " + src + " ORDER BY id"),
            "{\"id\":1,\"d\":\"2024-01-02\"}\n{\"id\":2,\"d\":null}\n{\"id\":3,\"d\":\"2024-02-29\"}\n"
            "{\"id\":4,\"d\":null}\n{\"id\":5,\"d\":null}\n");
}

TEST_F(SyncRanges, ValuesTheTargetColumnCannotHoldAreOneLineOrEachNamedAndWrittenAsNull) {
  WEIR_SERVER_URL_OR_SKIP(pg, "WEIR_TEST_PG_URL");
  WEIR_SERVER_URL_OR_SKIP(maria, "WEIR_TEST_MYSQL_URL");
  std::string src = table("fit");
  drop_later("pg", src);
  drop_later("maria", src);
  sql("pg", fmt::format("CREATE TABLE {0} (id int PRIMARY KEY, small bigint, price numeric(12,2), code text, "
                        "tiny int NOT NULL);\n"
                        "INSERT INTO {0} VALUES (1, 32767, 999.99, 'abc', 127), (2, 40000, 1.5, 'abc', 1), "
                        "(3, -32769, 12345.25, 'abcd', 2), (4, NULL, NULL, NULL, 3);\n",
                        src));
  // Narrower columns than the source's, on both servers (MariaDB outside strict mode would
  // clamp 40000 to 32767 and cut 'abcd' without an error).
  sql("pg", fmt::format("CREATE TABLE {0}_t (id int PRIMARY KEY, small smallint, price numeric(5,2), "
                        "code varchar(3), tiny smallint NOT NULL);",
                        src));
  drop_later("pg", src + "_t");
  sql("maria", fmt::format("SET SESSION sql_mode = '';\n"
                           "CREATE TABLE {0} (id INT PRIMARY KEY, small SMALLINT, price DECIMAL(5,2), "
                           "code VARCHAR(3), tiny TINYINT NOT NULL);",
                           src));
  auto r = sync({"pg." + src, "--to", "pg." + src + "_t"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(fmt::format("table `{}`: the row (id)=(2): column `small`: 40000 is out of the range of "
                                   "smallint (-32768 to 32767)",
                                   src)),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(rows("pg", "SELECT count(*) AS n FROM " + src + "_t"), "{\"n\":0}\n");

  for (const std::string& target : std::vector<std::string>{"pg." + src + "_t", "maria"}) {
    r = sync({"pg." + src, "--to", target, "--on-bad-value", "null", "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << target << "\n" << r.out << r.err;
    for (const std::string& named : std::vector<std::string>{
             "the row (id)=(2): column `small`: 40000 is out of the range of ",
          "the row (id)=(3): column `small`: -32769 is out of the range of ",
          "the row (id)=(3): column `price`: 12345.25 has 5 digit(s) before the point, ",
          "the row (id)=(3): column `code`: a text of 4 characters is longer than "})
      EXPECT_NE(r.err.find(fmt::format("table `{}`: {}", src, named)), std::string::npos) << target << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 4) << r.err;
    EXPECT_NE(r.out.find("\"values_nulled\":4,"), std::string::npos) << r.out;
  }
  const std::string expected =
      "{\"id\":1,\"small\":32767,\"price\":\"999.99\",\"code\":\"abc\",\"tiny\":127}\n"
      "{\"id\":2,\"small\":null,\"price\":\"1.50\",\"code\":\"abc\",\"tiny\":1}\n"
      "{\"id\":3,\"small\":null,\"price\":null,\"code\":null,\"tiny\":2}\n"
      "{\"id\":4,\"small\":null,\"price\":null,\"code\":null,\"tiny\":3}\n";
  EXPECT_EQ(rows("pg", "SELECT * FROM " + src + "_t ORDER BY id"), expected);
  EXPECT_EQ(rows("maria", "SELECT * FROM " + src + " ORDER BY id"), expected);

  // NULL cannot stand in where the target column is NOT NULL: the sync fails naming it.
  sql("pg", fmt::format("UPDATE {0} SET tiny = 128 WHERE id = 4;", src));
  r = sync({"pg." + src, "--to", "maria", "--on-bad-value", "null", "--on-conflict", "replace"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(fmt::format("table `{}`: the row (id)=(4): column `tiny`: 128 is out of the range of ", src)),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(-128 to 127), and the target column is NOT NULL"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace weir
