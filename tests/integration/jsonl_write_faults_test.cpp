// A jsonl output whose disk fills up at every point of a run: the file lies on a tmpfs of 1, 2,
// 3 … pages (4 KiB) and its lines are about 1 KB, so most runs stop in the middle of a line,
// some between two. Each run must end with exit 1 and one error line naming the file, never a
// crash; the file must then hold whole lines only (a line the full disk cut short is cut off,
// never continued by the next run's first line); a rerun with room completes, every row in the
// file at least once (a file has no transactions: the lines after the last checkpoint may come
// twice), and a third run finds nothing left to read (the checkpoint followed).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/test_support.hpp"

namespace weir {
namespace {

constexpr int kRows = 120;
constexpr int kPageBytes = 4096;

std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) found.push_back(line);
  return found;
}

class WriteFaultsJsonl : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = test::open_sqlite(dir_.file("source.db"));
    source->execute("CREATE TABLE s (id INTEGER PRIMARY KEY, payload TEXT)");
    source->execute(fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
                                "INSERT INTO s SELECT i, printf('%01000d', i) FROM n",
                                kRows));
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
      EXPECT_EQ(ids_in_file("after the run that fit").size(), std::size_t(kRows));
      break;
    }
    ++failing_runs;
    ASSERT_EQ(full.exit_code, 1) << "a full disk is a run-time failure, not a crash\n" << full.err;
    std::vector<std::string> errors = lines_starting(full.err, "weir: ");
    ASSERT_EQ(errors.size(), 1u) << full.err;
    EXPECT_NE(errors[0].find("writing " + dir_.file("small/out.jsonl") + ": No space left on device"),
              std::string::npos)
        << errors[0];
    ids_in_file("after the run the full disk stopped");

    ASSERT_TRUE(disk.resize("1m"));
    test::CommandResult rerun = run();
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    std::multiset<int> ids = ids_in_file("after the rerun");
    for (int id = 1; id <= kRows; ++id) EXPECT_GE(ids.count(id), 1u) << "row " << id << " is missing";
    EXPECT_LE(ids.size(), std::size_t(kRows + 10)) << "at most the batch that failed comes twice";
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
  EXPECT_EQ(ids.size(), std::size_t(kRows + 1));
  EXPECT_EQ(ids.count(0), 1u);
}

}  // namespace
}  // namespace weir
