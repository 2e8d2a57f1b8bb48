// A run whose every row the target rejects — an insert run again into a table that already
// holds the rows — on each database: every row becomes its own dead letter, nothing is written,
// and the log says once what is happening instead of once per batch.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

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
  EXPECT_NE(warnings[0].find("` rejected the row with key id=1: "), std::string::npos) << warnings[0];
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

// Dead letters kept in a database of their own that is locked for a moment (a backup, another
// process writing) when the first letters are saved: saving them is retried under the default
// policy, as every database's work is, and the run completes with every letter once. The
// target's batch waits in its transaction meanwhile (before: it was rolled back and written
// again for each failed save, a fault that was not the target's).
TEST(DeadLetterStore, LockedForAMomentIsWaitedOut) {
  test::TempDir dir;
  test::open_sqlite(dir.file("src.db"))
      ->execute_script("CREATE TABLE s(id INTEGER PRIMARY KEY, name TEXT);"
                       "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10)"
                       " INSERT INTO s SELECT n, 'row ' || n FROM g;");
  test::open_sqlite(dir.file("dst.db"))
      ->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (3, 'there');");
  test::open_sqlite(dir.file("letters.db"))
      ->execute_script("CREATE TABLE letters(pipeline VARCHAR(255) NOT NULL, stage VARCHAR(255) NOT NULL, "
                       "error_kind VARCHAR(40) NOT NULL, error_message TEXT NOT NULL, record TEXT NOT NULL, "
                       "created_at VARCHAR(40) NOT NULL)");
  test::write_file(dir.file("p.yaml"),
                   "connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\n  letters: \"sqlite:letters.db?busy_timeout=100\"\n"
                   "pipelines:\n  p:\n"
                   "    input: { sql_poll: { connection: src, query: \"SELECT id, name FROM s ORDER BY id\" } }\n"
                   "    output: { sql_write: { connection: dst, table: t } }\n"
                   "    dead_letter: { connection: letters, table: letters }\n"
                   "    max_errors: 1\n");
  auto lock = test::open_sqlite(dir.file("letters.db"));
  lock->begin();  // BEGIN IMMEDIATE: the write lock, until rolled back
  test::Background weir({"run", "--once", "--progress", "0s", dir.file("p.yaml")}, dir.path().string());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // well past the letters' busy_timeout: saving failed
  ASSERT_TRUE(weir.running()) << "the run did not wait for the letters: " << weir.err();
  lock->rollback();
  EXPECT_EQ(weir.wait(), 0) << weir.err();
  EXPECT_NE(weir.err().find("writing dead letters to `letters` on connection `letters`"), std::string::npos)
      << weir.err();
  std::istringstream log(weir.err());
  for (std::string line; std::getline(log, line);)
    EXPECT_FALSE(line.find("database is locked") != std::string::npos && line.find("sql_write") != std::string::npos)
        << "the output's batch was rolled back and replayed for the letters' fault: " << line;
  auto letters = test::open_sqlite(dir.file("letters.db"));
  EXPECT_EQ(test::scalar(*letters, "SELECT count(*) || ' ' || group_concat(json_extract(record, '$.id')) FROM letters"),
            "1 3");
  EXPECT_EQ(test::scalar(*test::open_sqlite(dir.file("dst.db")), "SELECT count(*) FROM t"), "10");
}

}  // namespace
}  // namespace weir
