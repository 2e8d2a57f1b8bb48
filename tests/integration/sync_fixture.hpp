// The fixture of the `weir sync` tests: a config file naming the harness's PostgreSQL and
// MariaDB and an SQLite file, tables of the test's own suffix dropped at the end, and helpers
// running SQL and reading rows through weir itself.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace weir {

class Sync : public ::testing::Test {
 protected:
  void SetUp() override {
    suffix_ = test::unique_suffix();
    test::write_file(dir_.file("weir.yaml"),
                     "connections:\n"
                     "  pg: \"${WEIR_TEST_PG_URL:-postgres://none@127.0.0.1:1/none}\"\n"
                     "  maria: \"${WEIR_TEST_MYSQL_URL:-mysql://none@127.0.0.1:1/none}\"\n"
                     "  lite: \"sqlite:lite.db\"\n");
  }

  void TearDown() override {
    for (const auto& [conn, table] : dropped_) test::run_weir({"query", conn, "DROP TABLE IF EXISTS " + table}, dir());
  }

  std::string dir() const { return dir_.path().string(); }
  std::string table(const std::string& stem) const { return stem + "_" + suffix_; }

  // Runs `sql` (a script: several statements) on connection `conn`, failing the test if it fails.
  void sql(const std::string& conn, const std::string& script) {
    test::write_file(dir_.file("s.sql"), script);
    auto r = test::run_weir({"query", conn, "--file", dir_.file("s.sql")}, dir());
    ASSERT_EQ(r.exit_code, 0) << script << "\n" << r.err;
  }
  void drop_later(const std::string& conn, const std::string& name) { dropped_.emplace_back(conn, name); }

  // The rows of `query` on `conn`, one JSON object a line.
  std::string rows(const std::string& conn, const std::string& query) {
    auto r = test::run_weir({"query", conn, query, "-f", "ndjson"}, dir());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  test::CommandResult sync(std::vector<std::string> args) {
    args.insert(args.begin(), {"sync", "--progress", "0s"});
    return test::run_weir(args, dir());
  }

  // The arguments of a `weir sync` run in the background (test::Background), with debug logs.
  std::vector<std::string> command(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--config", dir_.file("weir.yaml"), "--log-level", "debug", "sync",
                                     "--progress", "0s"};
    full.insert(full.end(), args.begin(), args.end());
    return full;
  }

  test::TempDir dir_;
  std::string suffix_;
  std::vector<std::pair<std::string, std::string>> dropped_;
};

}  // namespace weir
