// kill -9 of a streaming postgres_cdc → sql_apply pipeline at random moments, then a restart,
// over and over (at least 20 kills per target): inside a 200,000-row source transaction (larger
// than a batch, so it spans several), while a COPY puts many rows at one LSN, and through
// streams of small transactions with inserts, key updates, updates and deletes. Afterwards
// each target (PostgreSQL, MariaDB, SQLite, with the checkpoint in the target) holds exactly
// the source's rows: the same count and the same checksum over every column, each read on its
// own side. `on_conflict: insert` makes a change applied twice fail loudly (the key is there).
// `scripts/test --long` (WEIR_TEST_LONG=1) runs the 1,000,000-row transaction and 50 kills.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "support/replication_slots.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* columns;
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

const Target kPostgres{"Postgres", "WEIR_TEST_PG_URL", "id bigint PRIMARY KEY, k bigint, v text"};
const Target kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL", "id bigint PRIMARY KEY, k bigint, v text"};
const Target kSqlite{"Sqlite", nullptr, "id bigint PRIMARY KEY, k bigint, v text"};

// What a table holds, read on its own connection: the row count and an FNV-1a hash over
// every column of every row in key order, and the rows' text for finding a difference.
struct Contents {
  std::size_t rows = 0;
  std::uint64_t checksum = 14695981039346656037ull;
  std::vector<std::string> lines;
};

Contents contents_of(db::Connection& connection, const std::string& table) {
  Contents c;
  auto cursor = connection.query(fmt::format("SELECT id, k, v FROM {} ORDER BY id", table));
  Batch rows;
  while (cursor->next(rows, 10'000)) {
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      std::string line;
      for (std::size_t col = 0; col < 3; ++col)
        line += (col ? "|" : "") + (rows.at(r, col).is_null() ? std::string("\\N") : rows.at(r, col).to_text());
      for (unsigned char byte : line + "\n") c.checksum = (c.checksum ^ byte) * 1099511628211ull;
      c.lines.push_back(std::move(line));
    }
  }
  c.rows = c.lines.size();
  return c;
}

std::string first_difference(const Contents& source, const Contents& target) {
  for (std::size_t i = 0; i < std::max(source.rows, target.rows); ++i) {
    std::string a = i < source.rows ? source.lines[i] : "(none)", b = i < target.rows ? target.lines[i] : "(none)";
    if (a != b) return fmt::format("row {}: source {} target {}", i, a, b);
  }
  return "none";
}

// The source's writes while weir is killed and restarted: each phase in its own transaction(s).
// After the big transaction and after the COPY it waits until the target has them (`applied`),
// so that kills land inside each; its last phase goes on until the kills are `enough`.
class Workload {
 public:
  using Applied = std::function<bool(db::Connection& source, const std::string& lsn)>;
  Workload(db::Connection& db, std::string table, int big_rows, Applied applied)
      : db_(db), t_(std::move(table)), big_rows_(big_rows), applied_(std::move(applied)) {}

  void run(const std::atomic<bool>& enough, std::atomic<bool>& done) {
    try {
      phase_ = "small transactions";
      small_transactions(30);
      phase_ = "the big transaction";
      big_transaction();
      wait_until_applied();
      phase_ = "small transactions after the big one";
      small_transactions(10);
      phase_ = "the COPY";
      copy_at_one_lsn(50'000);
      wait_until_applied();
      phase_ = "the last small transactions";
      do small_transactions(10);
      while (!enough);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the source workload failed: " << e.what();
    }
    written_up_to_ = test::scalar(db_, "SELECT pg_current_wal_lsn()::text");
    phase_ = "done";
    done = true;
  }
  // Where the source's WAL stood after the last write ("" before).
  std::string written_up_to() const { return phase_.load() == std::string("done") ? written_up_to_ : ""; }
  // What the source was writing last.
  const char* phase() const { return phase_.load(); }

 private:
  // Inserts, a key moved, non-key updates, deletes, NULLs and 4-byte unicode, in one transaction.
  void small_transactions(int count) {
    for (int i = 0; i < count; ++i, next_ += 100) {
      db_.execute_script(fmt::format(
          "BEGIN;"
          "INSERT INTO {0} SELECT g, g % 13, CASE WHEN g % 10 = 0 THEN NULL ELSE 'small ' || g || ' é😀' END "
          "FROM generate_series({1}, {1} + 99) g;"
          "UPDATE {0} SET id = id + 100000000 WHERE id = {1} + 7;"
          "UPDATE {0} SET k = k + 1, v = coalesce(v, '') || '+' WHERE id BETWEEN {1} + 20 AND {1} + 29;"
          "DELETE FROM {0} WHERE id BETWEEN {1} + 40 AND {1} + 44;"
          "UPDATE {0} SET k = k + 1 WHERE id % 997 = {2};"
          "COMMIT",
          t_, next_, i));
      std::this_thread::sleep_for(50ms);
    }
  }
  // One transaction of big_rows_ inserts, and updates and a delete of older rows after them.
  void big_transaction() {
    db_.execute_script(fmt::format(
        "BEGIN;"
        "INSERT INTO {0} SELECT g, g % 101, 'big ' || g FROM generate_series({1}, {1} + {2} - 1) g;"
        "UPDATE {0} SET v = v || ' (in the big one)' WHERE id < {1} AND id % 3 = 0;"
        "DELETE FROM {0} WHERE id < {1} AND id % 5 = 1;"
        "COMMIT",
        t_, next_, big_rows_));
    next_ += big_rows_;
  }
  void wait_until_applied() {
    std::string lsn = test::scalar(db_, "SELECT pg_current_wal_lsn()::text");
    if (!test::eventually([&] { return applied_(db_, lsn); }, std::chrono::seconds(600)))
      throw std::runtime_error("the target did not get the source's changes up to " + lsn + " in 10 minutes");
  }
  // COPY writes its rows in multi-insert WAL records: many changes at one LSN.
  void copy_at_one_lsn(int rows) {
    db_.execute(fmt::format("COPY {} (id, k, v) FROM PROGRAM 'seq -f \"%.0f,42,copied\" {} {}' WITH (FORMAT csv)", t_,
                            next_, next_ + rows - 1));
    next_ += rows;
  }

  db::Connection& db_;
  std::string t_;
  int big_rows_;
  Applied applied_;
  std::int64_t next_ = 1;
  std::atomic<const char*> phase_{"starting"};
  std::string written_up_to_;
};

bool long_variant() {
  const char* value = std::getenv("WEIR_TEST_LONG");
  return value && std::string(value) == "1";
}

class CdcKill : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(source_url, "WEIR_TEST_PG_URL");
    db::ConnectionConfig config;
    config.url = Url::parse(*source_url);
    source_config_ = config;
    source_ = db::connect(config);
    auto opened = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!opened) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    target_url_ = opened->url;
    target_yaml_ = GetParam().url_variable ? opened->yaml_url : "\"sqlite:dst.db?busy_timeout=600000\"";
    target_ = std::move(opened->connection);
    s_ = test::unique_suffix();
    src_ = "killsrc_" + s_, dst_ = "killdst_" + s_, slot_ = "weir_kill_" + s_, pipeline_ = "kill_" + s_;
    source_->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, k bigint, v text)", src_));
    target_->execute(fmt::format("CREATE TABLE {} ({})", dst_, GetParam().columns));
  }

  void TearDown() override {
    if (source_) {
      test::drop_replication_slot(*source_, slot_);
      source_->execute("DROP PUBLICATION IF EXISTS " + slot_);
      source_->execute("DROP TABLE IF EXISTS " + src_);
    }
    if (target_ && !dst_.empty()) {
      target_->execute("DROP TABLE IF EXISTS " + dst_);
      try {
        target_->execute("DELETE FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'");
      } catch (const Error&) {
      }
    }
  }

  std::string file() {
    std::string path = dir_.file("kill.yaml");
    test::write_file(path, fmt::format("connections:\n  pg: \"${{WEIR_TEST_PG_URL}}\"\n  dst: {}\npipelines:\n  {}:\n"
                                       "    input:\n      postgres_cdc: {{ connection: pg, slot: {}, publication: {}, "
                                       "tables: [public.{}] }}\n"
                                       "    output:\n      sql_apply: {{ connection: dst, tables: {{ public.{}: {} }}, "
                                       "on_conflict: insert }}\n"
                                       "    state: {{ connection: dst }}\n",
                                       target_yaml_, pipeline_, slot_, slot_, src_, src_, dst_));
    return path;
  }

  // The checkpoint saved in the target ("" before the first).
  std::string saved_position() {
    db::ConnectionConfig config;
    config.url = Url::parse(GetParam().url_variable ? target_url_ : target_url_ + "?busy_timeout=600000");
    try {
      return test::scalar(*db::connect(config),
                          "SELECT position FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'");
    } catch (const Error&) {
      return "";
    }
  }

  // Whether the checkpoint `position` covers the source's WAL up to `lsn`: nothing is left to
  // apply, and the checkpoint stands still for want of changes.
  static bool caught_up(db::Connection& source, const std::string& position, const std::string& lsn) {
    if (position.empty() || lsn.empty()) return false;
    nlohmann::json saved = nlohmann::json::parse(position);
    std::string reached = saved.value("end_lsn", saved["commit_lsn"].get<std::string>());
    return test::scalar(source, fmt::format("SELECT '{}'::pg_lsn >= '{}'::pg_lsn", reached, lsn)) == "true";
  }

  db::ConnectionConfig source_config_;
  test::TempDir dir_;
  std::unique_ptr<db::Connection> source_, target_;
  std::string target_url_, target_yaml_, s_, src_, dst_, slot_, pipeline_;
};

TEST_P(CdcKill, KilledAtRandomMomentsTheTargetEndsIdenticalToTheSource) {
  const bool long_run = long_variant();
  const int min_kills = long_run ? 50 : 20;
  const int big_rows = long_run ? 1'000'000 : 200'000;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("random seed {}", seed));
  std::mt19937 random(seed);
  std::string path = file();
  auto first = test::run_weir({"run", "--once", path}, dir_.path());  // creates the publication and slot
  ASSERT_EQ(first.exit_code, 0) << first.err;

  auto writer = db::connect(source_config_);
  Workload workload(*writer, src_, big_rows, [&](db::Connection& source, const std::string& lsn) {
    return caught_up(source, saved_position(), lsn);
  });
  std::atomic<bool> enough{false}, written{false};
  std::thread writing([&] { workload.run(enough, written); });

  // Each run is killed after a random 0.1–1.5 s; a run that did not move the checkpoint on while
  // changes were left doubles the extra wait of the next (1 s, 3 s, 7 s …), so that a large
  // transaction, which sql_apply commits whole, gets through after a few kills inside it.
  int kills = 0, stalled = 0;
  const auto started = std::chrono::steady_clock::now();
  while (!(enough = kills >= min_kills) || !written) {
    std::string before = saved_position();
    test::Background weir({"run", path}, dir_.path());
    auto wait = std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 1500)(random) + 1000 * ((1 << stalled) - 1));
    std::this_thread::sleep_for(wait);
    if (!weir.running()) {
      ADD_FAILURE() << "weir stopped by itself (exit " << weir.wait() << "): " << weir.err();
      break;
    }
    weir.signal(SIGKILL);
    EXPECT_EQ(weir.wait(), 128 + SIGKILL);
    ++kills;
    std::string after = saved_position();
    stalled = after == before && !caught_up(*source_, after, workload.written_up_to()) ? std::min(stalled + 1, 7) : 0;
    std::cout << fmt::format("[ kill {:3} ] after {} ms, source writing {}; checkpoint {}\n", kills, wait.count(),
                             workload.phase(), after);
    if (std::chrono::steady_clock::now() - started > 15min) {
      ADD_FAILURE() << "the kill loop ran for 15 minutes without the workload ending";
      break;
    }
  }
  writing.join();
  auto last = test::run_weir({"run", "--once", path}, dir_.path());
  ASSERT_EQ(last.exit_code, 0) << last.err;
  std::cout << fmt::format("[ kills    ] {}: {} kills in {} s\n", GetParam().name, kills,
                           std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count());

  Contents source = contents_of(*source_, src_);
  Contents target = contents_of(*target_, dst_);
  EXPECT_GT(source.rows, static_cast<std::size_t>(big_rows));
  EXPECT_EQ(target.rows, source.rows);
  EXPECT_EQ(target.checksum, source.checksum) << "first difference: " << first_difference(source, target);
  EXPECT_GE(kills, min_kills);
}

INSTANTIATE_TEST_SUITE_P(Targets, CdcKill, ::testing::Values(kPostgres, kMariadb, kSqlite),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
