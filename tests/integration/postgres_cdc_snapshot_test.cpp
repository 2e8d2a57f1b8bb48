// postgres_cdc `snapshot: initial` on a real PostgreSQL: the tables' existing rows are copied
// from the snapshot the slot exports, then the stream goes on from the slot's consistent point.
//   - with writes committed all through the copy, the sql_apply target (PostgreSQL, MariaDB,
//     SQLite) ends identical to the source: every row, every column;
//   - kill -9 during the copy and at the copy/stream seam, again and again (WEIR_TEST_CDC_KILLS
//     kills per target, default 6), with --reset in between: the target still ends identical;
//   - jsonl shows each existing row once, as an insert with txid 0 and exact values, after one
//     `truncate` per table, and the stream then goes on without repeating any.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using nlohmann::json;

constexpr const char* kSourceColumns =
    "id bigint PRIMARY KEY, n numeric(30,10), at timestamptz, doc jsonb, tags text[], raw bytea, note text";
constexpr int kRows = 100'000;
// How long a whole copy of kRows may take. A copy into SQLite on a loaded 2-core machine ran at
// ~600 rows/s (CI, with a second suite running): the limit only bounds a hang, it costs nothing
// when the copy is quick. Below ctest's 600 s, so that a hang prints where weir waits.
constexpr std::chrono::seconds kCopyLimit{300};

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* columns;
};
void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

const Target kPostgres{"Postgres", "WEIR_TEST_PG_URL", kSourceColumns};
const Target kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL",
                      "id bigint PRIMARY KEY, n decimal(30,10), at datetime(6), doc longtext, tags longtext, "
                      "raw longblob, note longtext"};
const Target kSqlite{"Sqlite", nullptr, "id integer PRIMARY KEY, n text, at text, doc text, tags text, raw blob, note text"};

// Rows `from` to `to` of the source: 30-digit numerics, timestamps with microseconds, jsonb,
// arrays with a space and NULL, bytes, unicode and NULL text.
std::string insert_rows(const std::string& table, int from, int to) {
  return fmt::format(
      "INSERT INTO {} SELECT g, (g::numeric * 98765432109.8765432109)::numeric(30,10), "
      "timestamptz '2026-01-01 00:00:00.000001+00' + g * interval '1.000001 s', "
      "jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g % 7, 1.50), 'é', 'ü'), "
      "ARRAY['x' || g, 'y z', NULL], decode(md5(g::text), 'hex'), "
      "CASE WHEN g % 10 = 0 THEN NULL ELSE 'row ' || g || ' ünï' END FROM generate_series({}, {}) g",
      table, from, to);
}

// One cell as text the three databases agree on: JSON parsed and printed again (arrays in
// MariaDB and SQLite are JSON text), timestamps to the microsecond without zone, bytes as hex.
std::string canonical(const Value& value, std::size_t column) {
  if (value.is_null()) return "NULL";
  std::string text;
  if (column == 3 || column == 4) {
    if (value.type() == Type::text) text = value.as_text();
    else value.append_json(text);
    return json::parse(text).dump();
  }
  text = value.to_text();
  if (column == 2) {  // "2026-01-01 00:00:09.00001+00:00", "2026-01-01T00:00:09.000010Z" → "… 00:00:09.000010"
    if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
    text = text.substr(0, text.find_first_of("+Z", 19));
    if (text.find('.') == std::string::npos) text += '.';
    text.append(6 - (text.size() - text.find('.') - 1), '0');
    return text;
  }
  if (column == 5 && value.type() != Type::bytes) {  // "\\x…", as bytes print
    std::string hex = "\\x";
    for (unsigned char c : text) hex += fmt::format("{:02x}", c);
    return hex;
  }
  return text;
}

// Every row of `table`, each as one line of canonical cells, by id.
std::vector<std::string> rows_of(db::Connection& db, const std::string& table) {
  std::vector<std::string> rows;
  Batch batch;
  auto cursor = db.query(fmt::format("SELECT id, n, at, doc, tags, raw, note FROM {} ORDER BY id", table));
  while (cursor->next(batch, 4096))
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      std::string line;
      for (std::size_t c = 0; c < batch.width(); ++c) line += canonical(batch.at(r, c), c) + "|";
      rows.push_back(std::move(line));
    }
  return rows;
}

// Transactions on the source while it runs: inserts, updates of every column, deletes and key
// updates, each its own transaction.
class Writer {
 public:
  Writer(const db::ConnectionConfig& config, std::string table)
      : db_(db::connect(config)), table_(std::move(table)), thread_([this] { run(); }) {}
  ~Writer() { stop(); }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int commits() const { return commits_.load(); }

 private:
  void run() {
    for (int k = 1; !stopping_; ++k) {
      const int row = k * 7919 % kRows + 1;
      db_->execute_script(fmt::format(
          "BEGIN; {0}; UPDATE {1} SET n = n + 0.0000000001, at = at + interval '1 ms', doc = doc || '{{\"k\": {2}}}', "
          "tags = tags || 'k{2}'::text, raw = raw || '\\x00ff'::bytea, note = 'upd ' || {2} WHERE id = {3}; "
          "DELETE FROM {1} WHERE id = {4}; {5}; COMMIT",
          insert_rows(table_, 1'000'000 + k, 1'000'000 + k), table_, k, row, (row + 5000) % kRows + 1,
          k % 5 ? "SELECT 1" : fmt::format("UPDATE {} SET id = id + 2000000 WHERE id = {}", table_, (row + 777) % kRows + 1)));
      ++commits_;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::unique_ptr<db::Connection> db_;
  std::string table_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> commits_{0};
  std::thread thread_;
};

class CdcSnapshot : public PostgresCdcTest, public ::testing::WithParamInterface<Target> {
 protected:
  void SetUp() override {
    PostgresCdcTest::SetUp();
    if (IsSkipped()) return;
    auto opened = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!opened) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    target_ = std::move(opened->connection);
    source_ = table("snap", kSourceColumns);
    small_ = table("snapsmall", kSourceColumns);
    db_->execute(insert_rows(source_, 1, kRows));
    db_->execute(insert_rows(small_, 1, 3));
    dst_ = "dst_" + s_;
    dst_small_ = "dstsmall_" + s_;
    for (const std::string& t : {dst_, dst_small_}) target_->execute(fmt::format("CREATE TABLE {} ({})", t, GetParam().columns));
    std::string yaml_url = GetParam().url_variable ? opened->yaml_url : "\"sqlite:dst.db?busy_timeout=600000\"";
    file_ = pipeline_file({source_, small_}, "\"${WEIR_TEST_PG_URL}\"", "",
                          fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {}, public.{}: {} }} }}",
                                      source_, dst_, small_, dst_small_),
                          yaml_url);
    std::string text = test::read_file(file_);
    text.replace(text.find("state: { connection: state_db }"), 31, "state: { connection: dst }");
    text.insert(text.find("    output:"), "        snapshot: initial\n        snapshot_jobs: 3\n");
    test::write_file(file_, text);
  }
  void TearDown() override {
    if (target_)
      for (const std::string& t : {dst_, dst_small_}) target_->execute("DROP TABLE IF EXISTS " + t);
    PostgresCdcTest::TearDown();
  }

  void expect_identical() {
    std::vector<std::string> source = rows_of(*db_, source_), target = rows_of(*target_, dst_);
    EXPECT_EQ(target.size(), source.size());
    EXPECT_TRUE(target == source) << "first source row " << source.front() << "\nfirst target row "
                                  << (target.empty() ? "" : target.front());
    for (std::size_t i = 0; i < std::min(source.size(), target.size()); ++i)
      if (source[i] != target[i]) {
        ADD_FAILURE() << "row " << i << " differs:\n source " << source[i] << "\n target " << target[i];
        break;
      }
    EXPECT_EQ(rows_of(*target_, dst_small_), rows_of(*db_, small_));
  }

  // The checkpoint committed with the rows in the target: the stream's, no snapshot's.
  void expect_stream_position() {
    std::string position =
        test::scalar(*target_, "SELECT position FROM weir_state WHERE pipeline LIKE '%" + pipeline_ + "'");
    EXPECT_NE(position.find("end_lsn"), std::string::npos) << position;
    EXPECT_EQ(position.find("snapshot"), std::string::npos) << position;
  }

  std::unique_ptr<db::Connection> target_;
  std::string source_, small_, dst_, dst_small_, file_;
};

bool says(const test::Background& weir, const std::string& what) { return weir.err().find(what) != std::string::npos; }

// Waits until weir prints `what`; a run that ends first (a failure) or stays silent past `limit`
// fails the test at once with what it printed, instead of waiting out ctest's timeout.
::testing::AssertionResult prints(test::Background& weir, const std::string& what, std::chrono::seconds limit) {
  if (weir.err_says(what, limit, std::chrono::milliseconds(100))) return ::testing::AssertionSuccess();
  const bool ended = !weir.running();
  return ::testing::AssertionFailure() << (ended ? fmt::format("weir ended (exit {}) before printing `{}`", weir.wait(), what)
                                                 : fmt::format("weir did not print `{}` within {} s", what, limit.count()))
                                       << "; it printed:\n"
                                       << weir.err() << (ended ? "" : "\nits threads:\n" + test::thread_stacks(weir.pid()));
}

// The copy is held — the test locks one of the tables (ACCESS EXCLUSIVE, which takes no
// transaction id, so the slot's creation does not wait for it) and the copy's workers wait for
// it — while the source takes transactions, which therefore commit after the slot's consistent
// point and before the rows are read; more commit while the rows are read and after the copy
// ended. Every one reaches the target once, through the stream, and none is in the copy.
TEST_P(CdcSnapshot, WritesDuringTheCopyLeaveTheTargetIdenticalToTheSource) {
  db_->execute(fmt::format("CREATE PUBLICATION {} FOR TABLE {}, {}", slot_, source_, small_));
  auto holder = db::connect(config_);
  holder->begin();
  holder->execute(fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", small_));
  test::Background weir({"run", file_}, dir_.path());
  ASSERT_TRUE(eventually([&] {
    return test::scalar(*db_, fmt::format("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}'", slot_)) ==
           "1";
  })) << weir.err();
  {
    Writer writer(config_, source_);
    ASSERT_TRUE(eventually([&] { return writer.commits() >= 200; }, 60s));
    EXPECT_FALSE(says(weir, "copying 2 table(s)")) << "the copy was not held: " << weir.err();
    holder->rollback();
    ASSERT_TRUE(prints(weir, "copying 2 table(s)", 30s));
    const int reading = writer.commits();
    ASSERT_TRUE(prints(weir, "snapshot copied", kCopyLimit));
    const int at_seam = writer.commits();
    EXPECT_GT(at_seam, reading) << "no transaction committed while the rows were read";
    ASSERT_TRUE(eventually([&] { return writer.commits() >= at_seam + 100; }, 60s));
  }
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 143) << weir.err();
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("copying"), std::string::npos) << "the finished snapshot was taken again: " << r.err;
  expect_stream_position();
  expect_identical();
}

// The copy's time as weir prints it: "snapshot copied: N rows of 2 table(s) in 1.2 s; …".
int copy_millis(const std::string& err) {
  const std::size_t line = err.find("snapshot copied: ");
  const std::size_t in = err.find(" in ", line);
  if (line == std::string::npos || in == std::string::npos) return 800;
  return static_cast<int>(std::stod(err.substr(in + 4)) * 1000);
}

int kills_per_target() {
  const char* set = std::getenv("WEIR_TEST_CDC_KILLS");
  return set ? std::max(2, std::atoi(set)) : 6;
}

// kill -9 while the tables are copied (at a random moment once it started) and just as the copy
// ended (the seam: the stream's start being committed), over and over while the source takes
// transactions. A run after a kill during the copy copies again (a cut-off snapshot cannot be
// resumed: its exported snapshot died with the run); after a kill at the seam the next run
// starts over with --reset, which copies again too. A copy quicker than the random moment
// finishes, and its run may commit the stream's start before the kill: the run after it would
// stream rather than copy, so it starts over with --reset too. Then one run to the end.
TEST_P(CdcSnapshot, KillNineDuringTheCopyAndAtTheSeamLeavesTheTargetIdentical) {
  std::mt19937 random(std::random_device{}());
  Writer writer(config_, source_);
  int copies_cut = 0;
  bool copy_finished = false;  // by the run killed last: it may have committed the stream's start
  int copy_ms = 800;           // how long a copy takes, once an at-seam run has timed one
  // One run killed at the seam, or `inside_ms` after its copy began.
  auto killed_run = [&](bool first, bool at_seam, int inside_ms) {
    std::vector<std::string> args{"run", file_};
    if (!first && (!at_seam || copy_finished)) args.push_back("--reset");
    test::Background weir(args, dir_.path());
    if (at_seam) {
      ASSERT_TRUE(prints(weir, "snapshot copied", kCopyLimit));
      copy_ms = std::max(50, copy_millis(weir.err()) * 9 / 10);
    } else {
      ASSERT_TRUE(prints(weir, "copying 2 table(s)", 60s));
      std::this_thread::sleep_for(std::chrono::milliseconds(inside_ms));
    }
    weir.signal(SIGKILL);
    EXPECT_EQ(weir.wait(), 128 + SIGKILL) << weir.err();
    // Read once weir is gone: a copy that ended before the kill said so.
    copy_finished = says(weir, "snapshot copied");
    copies_cut += !at_seam && !copy_finished;
  };
  const int kills = kills_per_target();
  for (int k = 0; k < kills && !HasFatalFailure(); ++k)
    killed_run(k == 0, k % 2 == 1, std::uniform_int_distribution<>(0, copy_ms)(random));
  // A quick copy may have ended before every random moment: then kills as soon as it begins.
  for (int extra = 0; extra < 5 && copies_cut == 0 && !HasFatalFailure(); ++extra) killed_run(false, false, 0);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_GT(copies_cut, 0) << "no kill landed inside a copy";
  writer.stop();
  auto r = run_once(file_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_stream_position();
  expect_identical();
}

INSTANTIATE_TEST_SUITE_P(Targets, CdcSnapshot, ::testing::Values(kPostgres, kMariadb, kSqlite),
                         [](const auto& info) { return std::string(info.param.name); });

// jsonl: one `truncate` per table, then every existing row once as an insert with txid 0,
// values exact; then the stream from the seam, with no row of the copy again.
TEST_F(PostgresCdcTest, TheSnapshotWritesEveryExistingRowOnceToJsonlThenStreams) {
  std::string t = table("snapj", kSourceColumns);
  std::string empty = table("snapjempty", kSourceColumns);
  db_->execute(insert_rows(t, 1, 20'000));
  std::string file = pipeline_file({t, empty});
  std::string text = test::read_file(file);
  text.insert(text.find("    output:"), "        snapshot: initial\n");
  test::write_file(file, text);
  const std::string wal_before = test::scalar(*db_, "SELECT pg_current_wal_lsn()::text");
  auto r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::vector<std::string> lines = lines_of(out());
  ASSERT_EQ(lines.size(), 20'002u);
  std::string snapshot_lsn;
  std::map<std::string, std::size_t> truncated_at;
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    json change = json::parse(lines[i]);
    const std::string table = change["source"]["table"];
    if (change["op"] == "truncate") {
      truncated_at.emplace(table, i);
      continue;
    }
    ASSERT_EQ(change["op"], "insert") << lines[i];
    ASSERT_EQ(change["source"]["txid"], 0) << lines[i];
    ASSERT_EQ(table, t);
    ASSERT_TRUE(truncated_at.contains(table)) << "a row before its table's truncate";
    EXPECT_TRUE(change["before"].is_null());
    EXPECT_TRUE(ids.insert(change["after"]["id"].get<std::int64_t>()).second) << "twice: " << lines[i];
    if (change["after"]["id"] == 7) {
      EXPECT_EQ(change["after"]["n"], "691358024769.1358024763");
      EXPECT_EQ(change["after"]["at"], "2026-01-01T00:00:07.000008Z");
      EXPECT_EQ(change["after"]["doc"], json::parse(R"({"g": 7, "tags": ["a", 0, 1.50], "é": "ü"})"));
      EXPECT_EQ(change["after"]["tags"], json::parse(R"(["x7", "y z", null])"));
      EXPECT_EQ(change["after"]["raw"], "jxTkX87qFnpaNt7dS+olQw==");  // md5('7')
      EXPECT_EQ(change["after"]["note"], "row 7 ünï");
      snapshot_lsn = change["source"]["lsn"];
    }
  }
  EXPECT_EQ(truncated_at.size(), 2u);
  EXPECT_EQ(ids.size(), 20'000u);
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), 20'000);
  // The rows' position is the slot's consistent point, the one the log names. Other WAL (an
  // autovacuum of the new rows, a checkpoint) may be acknowledged after it before the run ends,
  // so it is pinned between the WAL before the run and the slot's confirmed position after it.
  EXPECT_NE(r.err.find(fmt::format("slot `{}` created at {};", slot_, snapshot_lsn)), std::string::npos) << r.err;
  EXPECT_TRUE(lsn_at_most(*db_, wal_before, snapshot_lsn)) << snapshot_lsn << " before the run's start " << wal_before;
  EXPECT_TRUE(lsn_at_most(*db_, snapshot_lsn, confirmed_flush())) << snapshot_lsn << " past " << confirmed_flush();

  db_->execute(insert_rows(t, 20'001, 20'001));
  r = run_once(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  lines = lines_of(out());
  ASSERT_EQ(lines.size(), 20'003u);
  EXPECT_EQ(json::parse(lines.back())["op"], "insert");
  EXPECT_NE(json::parse(lines.back())["source"]["txid"], 0);
  EXPECT_EQ(json::parse(lines.back())["after"]["id"], 20'001);
}

// A snapshot checkpoint (what a run cut off during the copy leaves) makes the next run copy
// again: the slot dropped and created afresh, a truncate and every row once more. Under
// `snapshot: never` it stops the run (exit 2), naming both ways out.
TEST_F(PostgresCdcTest, ACutOffSnapshotIsCopiedAgainAndRefusedUnderSnapshotNever) {
  std::string t = table("snapcut", kSourceColumns);
  db_->execute(insert_rows(t, 1, 100));
  std::string file = pipeline_file({t});
  std::string text = test::read_file(file);
  text.insert(text.find("    output:"), "        snapshot: initial\n");
  test::write_file(file, text);
  ASSERT_EQ(run_once(file).exit_code, 0);
  ASSERT_EQ(lines_of(out()).size(), 101u);
  const std::string cut_off = R"({"commit_lsn":"0/1","index":0,"snapshot":true})";
  db_->execute(fmt::format("UPDATE weir_state SET position = '{}' WHERE pipeline LIKE '%{}'", cut_off, pipeline_));
  db_->execute(fmt::format("DELETE FROM {} WHERE id > 50", t));

  test::write_file(file, text.replace(text.find("snapshot: initial"), 17, "snapshot: never"));
  auto refused = run_once(file);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("the saved position is of an initial snapshot that did not finish: set `snapshot: "
                             "initial` to copy the tables again, or run with --reset"),
            std::string::npos)
      << refused.err;

  test::write_file(file, text.replace(text.find("snapshot: never"), 15, "snapshot: initial"));
  auto again = run_once(file);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("dropped to be created again with a snapshot (the last run's snapshot did not finish)"),
            std::string::npos)
      << again.err;
  std::vector<std::string> lines = lines_of(out());
  ASSERT_EQ(lines.size(), 101u + 51u);
  EXPECT_EQ(json::parse(lines[101])["op"], "truncate");
  EXPECT_EQ(saved_position().find("snapshot"), std::string::npos) << saved_position();
}

}  // namespace
}  // namespace weir::cdc_test
