// Inputs hear what was committed (Input::committed), through the real runner, sql_poll and
// sql_write on SQLite files: once per committed batch, in order, after the commit and the
// saved checkpoint, never for a batch rolled back.
#include <gtest/gtest.h>

#include "pipeline/runner.hpp"
#include "support/recording_input.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline {
namespace {

using test::Acknowledged;
using test::RecordingInput;

std::string position(int id) { return R"([["int64",")" + std::to_string(id) + R"("]])"; }

class AcknowledgementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open("src.db")->execute_script(
        "CREATE TABLE orders(id INTEGER PRIMARY KEY);"
        "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 12) INSERT INTO orders SELECT x FROM s;");
    open("dst.db")->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY);");
  }

  std::unique_ptr<db::Connection> open(const std::string& file) { return test::open_sqlite(dir_.file(file)); }

  // Runs `pipeline` (named p) with its input recording; returns the stats and what it heard.
  std::pair<PipelineStats, std::vector<Acknowledged>> run(const std::string& pipeline) {
    test::write_file(dir_.file("p.yaml"),
                     "connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\npipelines:\n  p:\n" + pipeline);
    Project project = load_project(dir_.file("p.yaml"));
    Pipeline& p = project.pipelines.at(0);
    auto look = [this, &p](std::string_view checkpoint) {
      auto stored = p.state->load(p.owner);
      return Acknowledged{std::string(checkpoint), test::scalar(*open("dst.db"), "SELECT count(*) FROM t"),
                          stored.value_or("none")};
    };
    auto recording = std::make_unique<RecordingInput>(std::move(p.input), look);
    RecordingInput& input = *recording;
    p.input = std::move(recording);
    auto stats = run_all(project);
    return {stats.at(0), input.acknowledged()};
  }

  test::TempDir dir_;
};

const std::string kInput =
    "    input: { sql_poll: { connection: src, query: \"SELECT id FROM orders WHERE {{cursor}} ORDER BY id\", "
    "cursor: { columns: [id] }, page_size: 5 } }\n";

TEST_F(AcknowledgementTest, EachCommittedBatchIsAcknowledgedOnceInOrderAfterItsCheckpointIsSaved) {
  auto [stats, acks] = run(kInput + "    output: { sql_write: { connection: dst, table: t, batch: { rows: 5 } } }\n");
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(acks, (std::vector<Acknowledged>{{position(5), "5", position(5)},
                                             {position(10), "10", position(10)},
                                             {position(12), "12", position(12)}}));
}

// max_errors: 0 and a row the target rejects in the second batch: that batch rolls back, and
// the input hears of the first one only.
TEST_F(AcknowledgementTest, ABatchRolledBackIsNeverAcknowledged) {
  open("dst.db")->execute("INSERT INTO t VALUES (8)");
  auto [stats, acks] = run(kInput +
                           "    output: { sql_write: { connection: dst, table: t, batch: { rows: 5 } } }\n"
                           "    dead_letter: { connection: dst }\n"
                           "    max_errors: 0\n");
  EXPECT_NE(stats.error.find("max_errors"), std::string::npos) << stats.error;
  EXPECT_EQ(acks, (std::vector<Acknowledged>{{position(5), "6", position(5)}}));
  EXPECT_EQ(test::scalar(*open("dst.db"), "SELECT count(*) FROM t"), "6");
}

// mode: replace commits once per run of the input: one acknowledgement, for the whole run (a
// plain input: its checkpoint is empty, and nothing is stored).
TEST_F(AcknowledgementTest, AReplacingRunIsAcknowledgedOnceWhenItCommits) {
  auto [stats, acks] = run(
      "    input: { sql_poll: { connection: src, query: \"SELECT id FROM orders ORDER BY id\", page_size: 5 } }\n"
      "    output: { sql_write: { connection: dst, table: t, mode: replace, batch: { rows: 5 } } }\n");
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(acks, (std::vector<Acknowledged>{{"", "12", "none"}}));
}

}  // namespace
}  // namespace weir::pipeline
