// A run whose every row the target rejects — an insert run again into a table that already
// holds the rows — on each database: every row becomes its own dead letter, nothing is written,
// and the log says once what is happening instead of once per batch.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

// One database: where it is, and its SQL for the test's tables. The SQL names {table},
// {rows} and {letters}.
struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* fill_sql;
  // The number of distinct ids among the dead letters' records.
  const char* distinct_letter_ids_sql;
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

const Target kSqlite{
    .name = "Sqlite",
    .url_variable = nullptr,
    .fill_sql = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {rows})"
                " INSERT INTO {table} SELECT n, 'row ' || n FROM g",
    .distinct_letter_ids_sql = "SELECT count(DISTINCT json_extract(record, '$.id')) FROM {letters}",
};

const Target kPostgres{
    .name = "Postgres",
    .url_variable = "WEIR_TEST_PG_URL",
    .fill_sql = "INSERT INTO {table} SELECT g, 'row ' || g FROM generate_series(1, {rows}) g",
    .distinct_letter_ids_sql = "SELECT count(DISTINCT record::jsonb->>'id') FROM {letters}",
};

const Target kMariadb{
    .name = "Mariadb",
    .url_variable = "WEIR_TEST_MYSQL_URL",
    .fill_sql = "INSERT INTO {table} SELECT seq, CONCAT('row ', seq) FROM seq_1_to_{rows}",
    .distinct_letter_ids_sql = "SELECT count(DISTINCT JSON_VALUE(record, '$.id')) FROM {letters}",
};

// 20 batches of 50 rows.
constexpr int kRows = 1000;
constexpr int kBatchRows = 50;

class RejectedRows : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    const Target& target = GetParam();
    auto opened = test::open_target(target.url_variable, dir_, "db.sqlite");
    if (!opened) GTEST_SKIP() << test::no_server_reason(target.url_variable);
    yaml_url_ = opened->yaml_url;
    db_ = std::move(opened->connection);
    std::string suffix = test::unique_suffix();
    src_ = "rj_src_" + suffix;
    dst_ = "rj_dst_" + suffix;
    letters_ = "rj_letters_" + suffix;
  }

  void TearDown() override {
    if (db_) db_->execute_script("DROP TABLE IF EXISTS " + src_ + "; DROP TABLE IF EXISTS " + dst_ +
                                 "; DROP TABLE IF EXISTS " + letters_);
  }

  std::string sql(const char* text) const {
    return fmt::format(fmt::runtime(text), fmt::arg("table", src_), fmt::arg("rows", kRows),
                       fmt::arg("letters", letters_));
  }
  std::string scalar(const std::string& query) { return test::scalar(*db_, query); }

  // Copies the source into the target, inserting, with dead letters in the target's database.
  test::CommandResult copy() {
    std::string yaml = fmt::format(
        "connections:\n  db: {}\npipelines:\n  rerun:\n    input:\n"
        "      sql_poll: {{ connection: db, query: \"SELECT id, note FROM {} ORDER BY id\", page_size: {} }}\n"
        "    output:\n      sql_write: {{ connection: db, table: {}, batch: {{ rows: {} }} }}\n"
        "    dead_letter: {{ connection: db, table: {} }}\n",
        yaml_url_, src_, kBatchRows, dst_, kBatchRows, letters_);
    test::write_file(dir_.file("rerun.yaml"), yaml);
    return test::run_weir({"run", "--once", "--progress", "0s", dir_.file("rerun.yaml")}, dir_.path().string());
  }

  std::string yaml_url_, src_, dst_, letters_;
  std::unique_ptr<db::Connection> db_;
  test::TempDir dir_;
};

std::vector<std::string> lines_with(const std::string& text, const std::string& word) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(word) != std::string::npos) found.push_back(line);
  return found;
}

TEST_P(RejectedRows, EveryRowOfARerunIsItsOwnDeadLetterAndTheLogSaysSoOnce) {
  db_->execute_script("CREATE TABLE " + src_ + " (id bigint PRIMARY KEY, note varchar(40) NOT NULL)");
  db_->execute_script("CREATE TABLE " + dst_ + " (id bigint PRIMARY KEY, note varchar(40) NOT NULL)");
  db_->execute_script(sql(GetParam().fill_sql));

  auto first = copy();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(scalar("SELECT count(*) FROM " + dst_), std::to_string(kRows));
  EXPECT_TRUE(lines_with(first.err, "warning").empty()) << first.err;

  auto again = copy();
  EXPECT_EQ(again.exit_code, 3) << "completed, with rows in the dead letters: " << again.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + dst_), std::to_string(kRows)) << "no row is written twice";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_), std::to_string(kRows)) << "one letter per row";
  EXPECT_EQ(scalar(sql(GetParam().distinct_letter_ids_sql)), std::to_string(kRows)) << "each row its own letter";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_ + " WHERE error_kind = 'unique' AND error_message <> ''"),
            std::to_string(kRows))
      << "each letter carries the error of its row";
  // 20 batches, each rejected: one warning for the run, not one per batch.
  auto warnings = lines_with(again.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << again.err;
  EXPECT_NE(warnings[0].find("rejected a row"), std::string::npos) << warnings[0];
  EXPECT_NE(again.out.find("wrote 0 rows"), std::string::npos) << again.out;
}

// Rows missing from the target here and there, among rows it holds: the runs around the
// rejected rows grow and shrink, and still every missing row is written and every held one
// rejected, each once.
TEST_P(RejectedRows, ARerunWritesTheMissingRowsAmongRejectedOnes) {
  db_->execute_script("CREATE TABLE " + src_ + " (id bigint PRIMARY KEY, note varchar(40) NOT NULL)");
  db_->execute_script("CREATE TABLE " + dst_ + " (id bigint PRIMARY KEY, note varchar(40) NOT NULL)");
  db_->execute_script(sql(GetParam().fill_sql));
  ASSERT_EQ(copy().exit_code, 0);
  // Gone from the target: every third row, and rows 401-600 in a block.
  db_->execute("DELETE FROM " + dst_ + " WHERE id % 3 = 0 OR id BETWEEN 401 AND 600");
  const std::string gone = scalar("SELECT count(*) FROM " + src_ + " WHERE id % 3 = 0 OR id BETWEEN 401 AND 600");
  ASSERT_EQ(gone, "466");

  auto again = copy();
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + dst_), std::to_string(kRows));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_), "534");
  EXPECT_EQ(scalar(sql(GetParam().distinct_letter_ids_sql)), "534");
  EXPECT_NE(again.out.find("wrote 466 rows"), std::string::npos) << again.out;
}

INSTANTIATE_TEST_SUITE_P(Databases, RejectedRows, ::testing::Values(kSqlite, kPostgres, kMariadb),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
