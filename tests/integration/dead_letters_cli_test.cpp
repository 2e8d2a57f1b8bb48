// `weir deadletters list|show|purge FILE --pipeline P` on a SQLite, a PostgreSQL and a MariaDB
// dead-letter table: each letter has an id, list prints one line per letter with its SQLSTATE,
// SQLite code or MariaDB error number, show prints the record, purge deletes one letter by id
// or all of the pipeline's.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

struct Letters {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file
  const char* code;          // the native code of a CHECK violation
};

void PrintTo(const Letters& l, std::ostream* os) { *os << l.name; }

class DeadLettersCli : public ::testing::TestWithParam<Letters> {
 protected:
  void SetUp() override {
    auto target = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!target) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    db_ = std::move(target->connection);
    suffix_ = test::unique_suffix();
    table_ = "dl_" + suffix_;
    db_->execute(fmt::format("CREATE TABLE {} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))",
                             table_));
    auto source = test::open_sqlite(dir_.file("src.db"));
    source->execute_script("CREATE TABLE src(id INTEGER PRIMARY KEY, v INTEGER);"
                           "INSERT INTO src VALUES (1, 1), (2, -2), (3, 3), (4, -4);");
    test::write_file(file(), fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: {}
pipelines:
  p:
    input: {{ sql_poll: {{ connection: src, query: "SELECT id, v FROM src ORDER BY id" }} }}
    output: {{ sql_write: {{ connection: dst, table: {} }} }}
    dead_letter: {{ connection: dst, table: {}_letters }}
)",
                                         target->yaml_url, table_, table_));
  }

  void TearDown() override {
    if (!db_) return;
    db_->execute("DROP TABLE IF EXISTS " + table_);
    db_->execute("DROP TABLE IF EXISTS " + table_ + "_letters");
  }

  std::string file() const { return dir_.file("p.yaml"); }
  test::CommandResult weir(std::vector<std::string> args) {
    args.insert(args.begin(), "deadletters");
    args.push_back(file());
    args.push_back("--pipeline");
    args.push_back("p");
    return test::run_weir(args, dir_.path().string());
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> db_;
  std::string suffix_, table_;
};

TEST_P(DeadLettersCli, ListShowAndPurgeByIdOrAll) {
  auto run = test::run_weir({"run", "--once", "--progress", "0s", file()}, dir_.path().string());
  ASSERT_EQ(run.exit_code, 3) << run.out << run.err;

  auto listed = weir({"list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(fmt::format("pipelines.p.output.sql_write  check {}  ", GetParam().code)));
  EXPECT_THAT(listed.out, HasSubstr("2 dead letters of pipeline p in table `" + table_ + "_letters`"));
  std::string first_id = test::scalar(*db_, "SELECT id FROM " + table_ + "_letters WHERE record LIKE '%\"id\":2,%'");
  ASSERT_FALSE(first_id.empty());

  auto shown = test::run_weir({"deadletters", "show", file(), "--pipeline", "p", first_id}, dir_.path().string());
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("id: " + first_id + "\n"));
  EXPECT_THAT(shown.out, HasSubstr("record: {\"id\":2,\"v\":-2}\n"));
  // The plain query has no cursor: the record as read, no position.
  EXPECT_THAT(shown.out, HasSubstr("original: {\"id\":2,\"v\":-2}\nposition: \n"));
  EXPECT_THAT(shown.out, HasSubstr(std::string("error_code: ") + GetParam().code + "\n"));

  auto one = weir({"purge", "--id", first_id});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("purged 1 dead letter of pipeline p"));
  EXPECT_EQ(test::scalar(*db_, "SELECT count(*) FROM " + table_ + "_letters WHERE record LIKE '%\"id\":4,%'"), "1");

  auto gone = test::run_weir({"deadletters", "show", file(), "--pipeline", "p", first_id}, dir_.path().string());
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("pipeline p has no dead letter " + first_id));

  auto rest = weir({"purge"});
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_THAT(rest.out, HasSubstr("purged 1 dead letter of pipeline p"));
  EXPECT_EQ(test::scalar(*db_, "SELECT count(*) FROM " + table_ + "_letters"), "0");

  auto unknown = test::run_weir({"deadletters", "list", file(), "--pipeline", "q"}, dir_.path().string());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no pipeline named `q`"));
}

// SQLite's extended code for a CHECK violation (SQLITE_CONSTRAINT_CHECK), PostgreSQL's SQLSTATE,
// MariaDB's error number (ER_CONSTRAINT_FAILED).
const Letters kLetters[] = {{"Sqlite", nullptr, "275"},
                            {"Postgres", "WEIR_TEST_PG_URL", "23514"},
                            {"Mariadb", "WEIR_TEST_MYSQL_URL", "4025"}};

INSTANTIATE_TEST_SUITE_P(Tables, DeadLettersCli, ::testing::ValuesIn(kLetters),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
