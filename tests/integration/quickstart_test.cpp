// The README's quickstart and `weir run` on real files, including bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace weir {
namespace {

namespace fs = std::filesystem;
using test::run_weir;

class Quickstart : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "data");
    fs::copy_file(fs::path(WEIR_SOURCE_DIR) / "examples/quickstart.yaml", dir_.path() / "quickstart.yaml");
    fs::copy_file(fs::path(WEIR_SOURCE_DIR) / "examples/data/chinook.sql", dir_.path() / "data/chinook.sql");
  }
  std::string scalar(const std::string& db, const std::string& sql) {
    auto r = run_weir({"query", "sqlite:" + dir_.file(db), sql, "-f", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(r.out.find('\n') + 1);
  }
  test::TempDir dir_;
};

TEST_F(Quickstart, BuildsTheSalesTableFromAnotherDirectory) {
  auto r = run_weir({"run", dir_.file("quickstart.yaml")}, "/");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pipeline sales: read 2240 rows, wrote 2240 rows in"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("data/warehouse.db", "SELECT count(*), round(sum(amount), 2) FROM sales"), "2240,2328.6\n");
  EXPECT_EQ(scalar("data/warehouse.db", "SELECT artist FROM sales WHERE line_id = 127"), "Cássia Eller\n");
  // Same sums as the source computes itself.
  EXPECT_EQ(scalar("data/chinook.db", "SELECT round(sum(Total), 2) FROM Invoice"), "2328.6\n");
}

// The query the README shows gives exact revenue: prices sum as decimals, not as binary
// floating point (sum() gives 523.060000000003 for the USA).
TEST_F(Quickstart, TheReadmeQueryShowsExactSums) {
  ASSERT_EQ(run_weir({"run", dir_.file("quickstart.yaml")}).exit_code, 0);
  std::string readme = test::read_file(std::string(WEIR_SOURCE_DIR) + "/README.md");
  std::size_t start = readme.find("build/weir query sqlite:examples/data/warehouse.db");
  ASSERT_NE(start, std::string::npos);
  start = readme.find('"', start) + 1;
  std::string sql = readme.substr(start, readme.find('"', start) - start);
  auto r = run_weir({"query", "sqlite:" + dir_.file("data/warehouse.db"), sql, "-f", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "country,lines,revenue\nUSA,494,523.06\nCanada,304,303.96\nFrance,190,195.10\n"
                   "Brazil,190,190.10\nGermany,152,156.48\n");
}

TEST_F(Quickstart, RunningTwiceIsIdempotent) {
  ASSERT_EQ(run_weir({"run", dir_.file("quickstart.yaml")}).exit_code, 0);
  auto r = run_weir({"run", "--once", dir_.file("quickstart.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("data/warehouse.db", "SELECT count(*), count(DISTINCT line_id) FROM sales"), "2240,2240\n");
}

TEST_F(Quickstart, BadConfigStopsBeforeAnythingIsWritten) {
  std::string yaml = test::read_file(dir_.file("quickstart.yaml"));
  yaml.replace(yaml.find("mode: upsert"), 12, "mode: upsrt");
  yaml.replace(yaml.find("page_size: 500"), 14, "page_size: lots");
  test::write_file(dir_.file("quickstart.yaml"), yaml);
  auto r = run_weir({"run", dir_.file("quickstart.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("quickstart.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pipelines.sales.output.sql_write.mode: `upsrt` is not one of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(did you mean `upsert`?)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pipelines.sales.input.sql_poll.page_size: `lots` is not an integer"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "data/chinook.db"));
  EXPECT_FALSE(fs::exists(dir_.path() / "data/warehouse.db"));
}

TEST_F(Quickstart, FailedInitScriptLeavesNoHalfMadeDatabase) {
  test::write_file(dir_.file("data/chinook.sql"), "CREATE TABLE a(x INTEGER);\nINSERT INTO nope VALUES (1);\n");
  auto r = run_weir({"run", dir_.file("quickstart.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("chinook.sql"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such table: nope"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "data/chinook.db"));
}

TEST_F(Quickstart, MissingFileIsAUsageError) {
  auto r = run_weir({"run", dir_.file("nope.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace weir
