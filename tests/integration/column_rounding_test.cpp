// Tables the user made, with decimal columns of a fixed scale, on each database: a value with
// more decimal places than its column keeps is a dead letter whose error names the column —
// never stored rounded (PostgreSQL's numeric(5,2) and MariaDB's DECIMAL(5,2) would store 1.005
// as 1.01 without an error; SQLite would keep digits its column says it has not). Inserts and
// upserts alike; the rows that fit are written as they are.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* decimal_type;  // of the user's columns
  // What the rows that fit read back as: "id price ratio", ordered by id.
  const char* kept;
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

const Target kTargets[] = {
    {"Postgres", "WEIR_TEST_PG_URL", "numeric(5,2)", "2 1.50 0.50\n4 12.34 NULL\n6 -3.00 0.13"},
    {"Mariadb", "WEIR_TEST_MYSQL_URL", "decimal(5,2)", "2 1.50 0.50\n4 12.34 NULL\n6 -3.00 0.13"},
    // Kept as text: what was written, trailing zeros and all.
    {"SqliteDecimalText", nullptr, "DECIMAL_TEXT(5,2)", "2 1.50 0.5\n4 12.3400 NULL\n6 -3 0.13"},
    // NUMERIC affinity: numbers, as SQLite stores them.
    {"SqliteNumeric", nullptr, "NUMERIC(5,2)", "2 1.5 0.5\n4 12.34 NULL\n6 -3 0.13"},
};

class ColumnRounding : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    auto opened = test::open_target(GetParam().url_variable, dir_, "target.db");
    if (!opened) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    yaml_url_ = opened->yaml_url;
    db_ = std::move(opened->connection);
    suffix_ = test::unique_suffix();
    // Decimals as exact text, and doubles, from a SQLite source.
    auto r = test::run_program({"sqlite3", dir_.file("src.db"),
                                "CREATE TABLE prices (id INTEGER PRIMARY KEY, price DECIMAL_TEXT, ratio REAL);"
                                "INSERT INTO prices VALUES (1, '1.005', 1.25), (2, '1.50', 0.5), (3, '2', 0.125),"
                                "(4, '12.3400', NULL), (5, '-0.001', 1), (6, '-3', 0.13);"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void TearDown() override {
    if (!db_) return;
    for (const std::string& t : tables_) db_->execute_script("DROP TABLE IF EXISTS " + t);
  }

  std::string table(const std::string& name) {
    tables_.push_back(name + "_" + suffix_);
    return tables_.back();
  }

  // The rows of `table` as "id price ratio" lines.
  std::string rows(const std::string& table) {
    auto cursor = db_->query("SELECT id, price, ratio FROM " + table + " ORDER BY id", {});
    std::string out;
    Batch batch;
    while (cursor->next(batch, 100))
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        if (!out.empty()) out += '\n';
        for (std::size_t c = 0; c < 3; ++c)
          out += (c ? " " : "") + (batch.at(r, c).is_null() ? std::string("NULL") : batch.at(r, c).to_text());
      }
    return out;
  }

  std::string yaml_url_, suffix_;
  std::vector<std::string> tables_;
  std::unique_ptr<db::Connection> db_;
  test::TempDir dir_;
};

TEST_P(ColumnRounding, AValueTheColumnWouldRoundIsADeadLetterNamingTheColumn) {
  for (const char* mode : {"insert", "upsert"}) {
    SCOPED_TRACE(mode);
    const std::string target = table(std::string("cr_") + mode), letters = table(std::string("cr_letters_") + mode);
    db_->execute_script(fmt::format("CREATE TABLE {0} (id integer PRIMARY KEY, price {1}, ratio {1})", target,
                                    GetParam().decimal_type));
    test::write_file(dir_.file("copy.yaml"),
                     fmt::format("connections:\n  src: \"sqlite:src.db\"\n  dst: {}\npipelines:\n  copy:\n"
                                 "    input: {{ sql_poll: {{ connection: src, "
                                 "query: \"SELECT * FROM prices ORDER BY id\" }} }}\n"
                                 "    output: {{ sql_write: {{ connection: dst, table: {}, mode: {}, key: [id] }} }}\n"
                                 "    dead_letter: {{ connection: dst, table: {} }}\n",
                                 yaml_url_, target, mode, letters));
    auto r = test::run_weir({"run", "--once", dir_.file("copy.yaml")}, dir_.path().string());
    EXPECT_EQ(r.exit_code, 3) << "completed with rows in the dead letters: " << r.err;
    EXPECT_EQ(rows(target), GetParam().kept);

    auto cursor = db_->query("SELECT error_kind, error_message FROM " + letters, {});
    std::vector<std::string> messages;
    Batch batch;
    while (cursor->next(batch, 100))
      for (std::size_t i = 0; i < batch.rows(); ++i)
        messages.push_back(batch.at(i, 0).to_text() + ": " + batch.at(i, 1).to_text());
    ASSERT_EQ(messages.size(), 3u) << r.err;
    const std::string type = GetParam().decimal_type;
    // Rows 1, 3 and 5: each its own letter, of kind data, naming its column and value.
    const std::pair<const char*, const char*> kRejected[] = {{"price", "1.005"}, {"ratio", "0.125"}, {"price", "-0.001"}};
    for (auto [column, value] : kRejected) {
      const std::string says = fmt::format("column `{}`, row 1 of the batch: {} has more decimal places than {} keeps "
                                           "(2); it would be stored rounded",
                                           column, value, type);
      auto found = std::count_if(messages.begin(), messages.end(), [&](const std::string& m) {
        return m.rfind("data: ", 0) == 0 && m.find(says) != std::string::npos;
      });
      EXPECT_EQ(found, 1) << says << "\n" << ::testing::PrintToString(messages);
    }
  }
}

// A plain NUMERIC column (no scale) in SQLite: its affinity would turn a decimal with more
// digits than a REAL holds into that REAL.
TEST(SqliteNumericAffinity, ALongDecimalIsADeadLetterNotAReal) {
  test::TempDir dir;
  auto r = test::run_program({"sqlite3", dir.file("db.sqlite"),
                              "CREATE TABLE src (id INTEGER PRIMARY KEY, amount DECIMAL_TEXT);"
                              "INSERT INTO src VALUES (1, '12345678901234567890.5'), (2, '0.1'), "
                              "(3, '18446744073709551615');"
                              "CREATE TABLE dst (id INTEGER PRIMARY KEY, amount NUMERIC);"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::write_file(dir.file("copy.yaml"),
                   "connections: { db: \"sqlite:db.sqlite\" }\npipelines:\n  copy:\n"
                   "    input: { sql_poll: { connection: db, query: \"SELECT * FROM src ORDER BY id\" } }\n"
                   "    output: { sql_write: { connection: db, table: dst } }\n"
                   "    dead_letter: { connection: db, table: letters }\n");
  r = test::run_weir({"run", "--once", dir.file("copy.yaml")}, dir.path().string());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto q = [&](const char* sql) {
    return test::run_program({"sqlite3", dir.file("db.sqlite"), sql}).out;
  };
  EXPECT_EQ(q("SELECT id, amount, typeof(amount) FROM dst ORDER BY id"), "2|0.1|real\n");
  EXPECT_EQ(q("SELECT error_kind, error_message FROM letters ORDER BY error_message"),
            "data|column `amount`, row 1 of the batch: "
            "12345678901234567890.5 would be stored as the REAL 12345678901234567168 (the column's NUMERIC affinity); "
            "a DECIMAL_TEXT column keeps decimals exact\n"
            "data|column `amount`, row 1 of the batch: "
            "18446744073709551615 would be stored as the REAL 18446744073709551616 (the column's NUMERIC affinity); "
            "a DECIMAL_TEXT column keeps decimals exact\n");
}

INSTANTIATE_TEST_SUITE_P(UserTables, ColumnRounding, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
