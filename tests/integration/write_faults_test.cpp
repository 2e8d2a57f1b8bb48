// Writes that fail as on a full or read-only disk, at every point of a pipeline run (SQLite
// files: the target with its checkpoint, a state store apart, a dead-letter file apart). The weir
// binary runs with the fail_writes shim (tests/faults/) preloaded: it lets the first N writes
// and syncs on one file pass and fails every one after with ENOSPC (on the target, EIO as well).
// For N = 0, 1, 2 … until a run gets through without meeting the fault, each run must end with
// exit 1 and one error line naming the file that failed (or, when the fault came after the last
// commit, exit 0 with every row in place), never a crash; a rerun without the fault then
// completes with every row in the target exactly once, and a third run finds nothing left to
// read (the checkpoint followed). At the end: a jsonl file on a full disk.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/test_support.hpp"

namespace weir {
namespace {

constexpr int kRows = 300;
constexpr int kRejectEvery = 37;  // the dead-letter case's source has a NULL name in these rows

// One place a write can fail: which file, and the pipeline lines that put it there.
struct FaultSite {
  const char* name;
  const char* file;      // the shim's WEIR_FAULT_PATH: this name, its -journal and -wal
  const char* pipeline;  // the lines after `output:` in the pipeline
  bool rejects;          // the source holds rows the target refuses (they go to the dead letters)
  int error = ENOSPC;    // what the failing writes report: a full disk, or a failing one (EIO)
};

void PrintTo(const FaultSite& site, std::ostream* os) { *os << site.name; }

const FaultSite kTarget{"TargetWithItsState", "/target.db",
                        "      sql_write: { connection: target, table: t, mode: insert, batch: { rows: 50 },\n"
                        "                 retry: { max_time: 1s } }\n"
                        "    state: { connection: target, retry: { max_time: 1s } }\n",
                        false};
// The same writes failing with EIO (a disk going bad, a network filesystem gone): SQLite's
// "disk I/O error" rather than "database or disk is full", which must end the run as cleanly.
const FaultSite kTargetIoError{"TargetIoError", "/target.db", kTarget.pipeline, false, EIO};
const FaultSite kStateStore{"StateStore", "/state.db",
                            "      sql_write: { connection: target, table: t, mode: upsert, key: [id],\n"
                            "                   batch: { rows: 50 }, retry: { max_time: 1s } }\n"
                            "    state: { connection: state, retry: { max_time: 1s } }\n",
                            false};
const FaultSite kDeadLetters{"DeadLetterFile", "/letters.db",
                             "      sql_write: { connection: target, table: t, mode: insert, batch: { rows: 50 },\n"
                        "                 retry: { max_time: 1s } }\n"
                             "    state: { connection: target, retry: { max_time: 1s } }\n"
                             "    dead_letter: { connection: letters, table: weir_dead_letters }\n",
                             true};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) found.push_back(line);
  return found;
}

class WriteFaults : public ::testing::TestWithParam<FaultSite> {
 protected:
  void SetUp() override {
    auto source = test::open_sqlite(dir_.file("source.db"));
    source->execute("CREATE TABLE s (id INTEGER PRIMARY KEY, name TEXT)");
    source->execute(fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
                                "INSERT INTO s SELECT i, CASE WHEN {} AND i % {} = 0 THEN NULL ELSE 'row ' || i END "
                                "FROM n",
                                kRows, GetParam().rejects ? 1 : 0, kRejectEvery));
    test::write_file(dir_.file("p.yaml"),
                     "connections:\n"
                     "  source: \"sqlite:source.db\"\n"
                     "  target: \"sqlite:target.db\"\n"
                     "  state: \"sqlite:state.db\"\n"
                     "  letters: \"sqlite:letters.db\"\n"
                     "pipelines:\n"
                     "  copy:\n"
                     "    input:\n"
                     "      sql_poll:\n"
                     "        connection: source\n"
                     "        query: \"SELECT id, name FROM s WHERE {{cursor}} ORDER BY id\"\n"
                     "        cursor: { columns: [id], initial: [0] }\n"
                     "        page_size: 40\n"
                     "    output:\n" +
                         std::string(GetParam().pipeline));
  }

  // A fresh target, state and dead-letter file for each injection point.
  void start_over() {
    for (const char* name : {"target.db", "state.db", "letters.db"})
      for (const char* suffix : {"", "-journal", "-wal", "-shm"})
        std::filesystem::remove(dir_.file(name + std::string(suffix)));
    test::open_sqlite(dir_.file("target.db"))->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
  }

  test::CommandResult run(const std::vector<std::string>& fault_env = {}) {
    return test::run_weir({"run", "--once", "p.yaml"}, dir_.path().string(), fault_env);
  }

  int expected_rows() const { return GetParam().rejects ? kRows - kRows / kRejectEvery : kRows; }

  // Every row exactly once in the target and, with rejects, every rejected row a dead letter.
  void expect_every_row_once(const std::string& when) {
    auto target = test::open_sqlite(dir_.file("target.db"));
    EXPECT_EQ(test::scalar(*target, "SELECT count(*) || '/' || count(DISTINCT id) FROM t"),
              fmt::format("{0}/{0}", expected_rows()))
        << when;
    if (GetParam().rejects) {
      auto letters = test::open_sqlite(dir_.file("letters.db"));
      // Letters kept in another file than the target may repeat after a failure, never go missing.
      EXPECT_EQ(test::scalar(*letters, "SELECT count(DISTINCT json_extract(record, '$.id')) FROM weir_dead_letters"),
                std::to_string(kRows / kRejectEvery))
          << when;
    }
  }

  test::TempDir dir_;
};

TEST_P(WriteFaults, EveryFailedWriteStopsTheRunCleanlyAndARerunCompletes) {
  const FaultSite& site = GetParam();
  const std::string report = dir_.file("fault-report");
  const int completed_exit = site.rejects ? 3 : 0;  // 3: completed with dead letters
  int failing_runs = 0;
  for (int after = 0;; ++after) {
    ASSERT_LT(after, 2000) << "the runs never got past the fault";
    SCOPED_TRACE(fmt::format("the writes on {} failing after {} succeeded", site.file, after));
    start_over();
    std::filesystem::remove(report);
    test::CommandResult faulty = run({"LD_PRELOAD=" WEIR_FAIL_WRITES, fmt::format("WEIR_FAULT_PATH={}", site.file),
                                      fmt::format("WEIR_FAULT_AFTER={}", after), fmt::format("WEIR_FAULT_ERRNO={}", site.error),
                                      "WEIR_FAULT_REPORT=" + report});
    std::string fault = read_text(report);
    ASSERT_TRUE(fault.starts_with("writes ")) << "the shim did not run: " << faulty.err;
    if (fault.ends_with("failed 0\n")) {  // every write passed: the loop reached the end of the run
      EXPECT_EQ(faulty.exit_code, completed_exit) << faulty.err;
      break;
    }
    if (faulty.exit_code == completed_exit) {
      // Only what came after the last commit failed (SQLite's checkpoint of its WAL when the
      // connection closes): the committed rows are all there, in the WAL.
      expect_every_row_once("after a run whose last writes failed");
    } else {
      ++failing_runs;
      ASSERT_EQ(faulty.exit_code, 1) << "a write failure is a run-time failure, not a crash\n" << faulty.err;
      std::vector<std::string> errors = lines_starting(faulty.err, "weir: ");
      ASSERT_EQ(errors.size(), 1u) << faulty.err;
      EXPECT_NE(errors[0].find(std::string(site.file).substr(1)), std::string::npos)
          << "the error names the file that could not be written: " << errors[0];
    }
    test::CommandResult rerun = run();
    // 3 only when the rerun read rejected rows again (their letters were not all committed)
    ASSERT_TRUE(rerun.exit_code == 0 || rerun.exit_code == completed_exit) << rerun.exit_code << rerun.err;
    expect_every_row_once("after the rerun");
    test::CommandResult again = run();
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("read 0 rows"), std::string::npos) << "the checkpoint followed the rows: " << again.out;
  }
  EXPECT_GT(failing_runs, 3) << "the fault was met at a few points at least";
}

INSTANTIATE_TEST_SUITE_P(Sites, WriteFaults, ::testing::Values(kTarget, kTargetIoError, kStateStore, kDeadLetters),
                         [](const auto& info) { return std::string(info.param.name); });

// A state store that cannot be opened for writing (a read-only file): the run stops before
// writing anything, naming the store, and runs once it can be written.
TEST(WriteFaultsReadOnly, AStateStoreThatCannotBeWrittenStopsTheRunBeforeAnyRow) {
  test::TempDir dir;
  auto source = test::open_sqlite(dir.file("source.db"));
  source->execute("CREATE TABLE s (id INTEGER PRIMARY KEY, name TEXT)");
  source->execute("INSERT INTO s VALUES (1, 'a'), (2, 'b')");
  test::open_sqlite(dir.file("state.db"))->execute("CREATE TABLE placeholder (x)");
  test::write_file(dir.file("p.yaml"),
                   "connections:\n"
                   "  source: \"sqlite:source.db\"\n"
                   "  target: \"sqlite:target.db\"\n"
                   "  state: \"sqlite:state.db\"\n"
                   "pipelines:\n"
                   "  copy:\n"
                   "    input:\n"
                   "      sql_poll: { connection: source,\n"
                   "                  query: \"SELECT id, name FROM s WHERE {{cursor}} ORDER BY id\",\n"
                   "                  cursor: { columns: [id] } }\n"
                   "    output:\n"
                   "      sql_write: { connection: target, table: t, mode: upsert, key: [id], create_table: true }\n"
                   "    state: { connection: state, retry: { max_time: 1s } }\n");
  test::CommandResult refused =
      test::run_weir({"run", "--once", "p.yaml"}, dir.path().string(),
                     {"LD_PRELOAD=" WEIR_FAIL_WRITES, "WEIR_FAULT_PATH=/state.db", "WEIR_FAULT_OPEN=1"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  std::vector<std::string> errors = lines_starting(refused.err, "weir: ");
  ASSERT_EQ(errors.size(), 1u) << refused.err;
  EXPECT_NE(errors[0].find("state store"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("state.db"), std::string::npos) << errors[0];
  if (std::filesystem::exists(dir.file("target.db"))) {
    auto target = test::open_sqlite(dir.file("target.db"));
    if (test::scalar(*target, "SELECT count(*) FROM sqlite_master WHERE name = 't'") == "1") {
      EXPECT_EQ(test::scalar(*target, "SELECT count(*) FROM t"), "0") << "no row reached the target";
    }
  }
  test::CommandResult rerun = test::run_weir({"run", "--once", "p.yaml"}, dir.path().string());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(test::scalar(*test::open_sqlite(dir.file("target.db")), "SELECT group_concat(id) FROM t"), "1,2");
}

// A jsonl output whose disk fills up at every point of a run: the file lies on a tmpfs of 1, 2,
// 3 … pages (4 KiB) and its lines are about 1 KB, so most runs stop in the middle of a line,
// some between two. Each run must end with exit 1 and one error line naming the file, never a
// crash; the file must then hold whole lines only (a line the full disk cut short is cut off,
// never continued by the next run's first line); a rerun with room completes, every row in the
// file at least once (a file has no transactions: the lines after the last checkpoint may come
// twice), and a third run finds nothing left to read (the checkpoint followed).
constexpr int kJsonlRows = 120;
constexpr int kPageBytes = 4096;

class WriteFaultsJsonl : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = test::open_sqlite(dir_.file("source.db"));
    source->execute("CREATE TABLE s (id INTEGER PRIMARY KEY, payload TEXT)");
    source->execute(fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
                                "INSERT INTO s SELECT i, printf('%01000d', i) FROM n",
                                kJsonlRows));
    write_pipeline("small/out.jsonl");
  }

  void write_pipeline(const std::string& path) {
    test::write_file(dir_.file("p.yaml"),
                     "connections:\n"
                     "  source: \"sqlite:source.db\"\n"
                     "pipelines:\n"
                     "  copy:\n"
                     "    input:\n"
                     "      sql_poll:\n"
                     "        connection: source\n"
                     "        query: \"SELECT id, payload FROM s WHERE {{cursor}} ORDER BY id\"\n"
                     "        cursor: { columns: [id], initial: [0] }\n"
                     "        page_size: 10\n"
                     "    output:\n"
                     "      jsonl: { path: " + path + ", batch: { rows: 10 } }\n");
  }

  test::CommandResult run() { return test::run_weir({"run", "--once", "p.yaml"}, dir_.path().string()); }

  // The ids of the file's lines; every line must be a whole envelope of a row read.
  std::multiset<int> ids_in_file(const std::string& when, const std::string& path = "small/out.jsonl") {
    std::multiset<int> ids;
    const std::string text = test::read_file(dir_.file(path));
    EXPECT_TRUE(text.empty() || text.ends_with('\n')) << when << ": the file ends inside a line";
    std::istringstream in(text);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      auto envelope = nlohmann::json::parse(line, nullptr, false);
      if (envelope.is_discarded()) {
        ADD_FAILURE() << when << ": line " << number << " is not whole JSON: " << line.substr(0, 80) << "…";
        continue;
      }
      const int id = envelope["after"]["id"].get<int>();
      EXPECT_EQ(envelope["after"]["payload"], fmt::format("{:01000d}", id)) << when << ": line " << number;
      ids.insert(id);
    }
    return ids;
  }

  test::TempDir dir_;
};

TEST_F(WriteFaultsJsonl, ADiskFullAtEveryPageStopsTheRunAndLeavesWholeLinesForTheRerun) {
  test::Mount disk = test::Mount::tmpfs(dir_.file("small"), "4k");
  if (!disk.mounted()) GTEST_SKIP() << disk.why();
  int failing_runs = 0;
  for (int pages = 1;; ++pages) {
    ASSERT_LT(pages, 100) << "the file never fit";
    SCOPED_TRACE(fmt::format("a disk of {} pages", pages));
    std::filesystem::remove(dir_.file("small/out.jsonl"));
    std::filesystem::remove_all(dir_.file(".weir"));  // the state store: a fresh checkpoint
    ASSERT_TRUE(disk.resize(std::to_string(pages * kPageBytes)));
    test::CommandResult full = run();
    if (full.exit_code == 0) {  // everything fit
      EXPECT_EQ(ids_in_file("after the run that fit").size(), std::size_t(kJsonlRows));
      break;
    }
    ++failing_runs;
    ASSERT_EQ(full.exit_code, 1) << "a full disk is a run-time failure, not a crash\n" << full.err;
    std::vector<std::string> errors = lines_starting(full.err, "weir: ");
    ASSERT_EQ(errors.size(), 1u) << full.err;
    const std::string out = dir_.file("small/out.jsonl");
    EXPECT_EQ(errors[0], fmt::format("weir: pipeline copy failed: p.yaml: pipelines.copy.output.jsonl writing to {0}: "
                                     "{0} is full: free space and run again; nothing of the failed batch was "
                                     "committed: writing {0}: No space left on device",
                                     out))
        << "the stage is named once";
    ids_in_file("after the run the full disk stopped");

    ASSERT_TRUE(disk.resize("1m"));
    test::CommandResult rerun = run();
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    std::multiset<int> ids = ids_in_file("after the rerun");
    for (int id = 1; id <= kJsonlRows; ++id) EXPECT_GE(ids.count(id), 1u) << "row " << id << " is missing";
    EXPECT_LE(ids.size(), std::size_t(kJsonlRows + 10)) << "at most the batch that failed comes twice";
    test::CommandResult again = run();
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("read 0 rows"), std::string::npos) << "the checkpoint followed the rows: " << again.out;
  }
  EXPECT_GT(failing_runs, 20) << "the disk filled at many points of the run";
}

// A run killed while writing leaves the file ending inside a line, whose rows its checkpoint does
// not cover: the next run cuts the fragment off (saying so) before it appends.
TEST_F(WriteFaultsJsonl, AnIncompleteLastLineLeftByAStoppedRunIsCutOffBeforeTheNextAppends) {
  write_pipeline("out.jsonl");
  const std::string whole = fmt::format(R"({{"op":"row","after":{{"id":0,"payload":"{:01000d}"}}}})" "\n", 0);
  test::write_file(dir_.file("out.jsonl"), whole + R"({"op":"row","after":{"id":1,"payl)");
  test::CommandResult r = run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("removed an incomplete last line (33 bytes) of " + dir_.file("out.jsonl")), std::string::npos)
      << r.err;
  EXPECT_TRUE(test::read_file(dir_.file("out.jsonl")).starts_with(whole + R"({"op":"row","after":{"id":1,"payload":")"));
  std::multiset<int> ids = ids_in_file("after the run", "out.jsonl");
  EXPECT_EQ(ids.size(), std::size_t(kJsonlRows + 1));
  EXPECT_EQ(ids.count(0), 1u);
}

}  // namespace
}  // namespace weir
