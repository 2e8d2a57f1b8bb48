// `weir query "SQL" --into CONN.TABLE`: the rows of a statement across connections stored in a
// new table, created with the target's types for the columns' types; a read-only connection or
// a table that exists is refused (exit 2) before anything is written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "db/connections.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using test::run_weir;

class QueryInto : public ::testing::Test {
 protected:
  void SetUp() override {
    WEIR_SERVER_URL_OR_SKIP(pg_url, "WEIR_TEST_PG_URL");
    WEIR_SERVER_URL_OR_SKIP(my_url, "WEIR_TEST_MYSQL_URL");
    s_ = test::unique_suffix();
    pg_ = db::connect(db::resolve_connection(*pg_url, nullptr));
    my_ = db::connect(db::resolve_connection(*my_url, nullptr));
    pg_->execute_script(fmt::format(
        "CREATE SCHEMA wi_{0}; CREATE TABLE wi_{0}.orders (id int, total numeric(12,2), day date);"
        "INSERT INTO wi_{0}.orders VALUES (1, 10.50, '2026-01-02'), (2, 7.25, NULL), (3, 30.00, '2026-02-01')",
        s_));
    my_->execute_script(fmt::format("CREATE TABLE cust_{0} (id int, name varchar(20));"
                                    "INSERT INTO cust_{0} VALUES (1, 'Ann'), (2, 'Bob'), (3, NULL)",
                                    s_));
    config_ = dir_.file("weir.yaml");
    test::write_file(config_, fmt::format("connections:\n  pg: \"{0}\"\n  my: \"{1}\"\n  ro:\n    url: \"{1}\"\n"
                                          "    read_only: true\n",
                                          *pg_url, *my_url));
  }
  void TearDown() override {
    if (pg_) pg_->execute_script(fmt::format("DROP SCHEMA IF EXISTS wi_{} CASCADE", s_));
    if (my_)
      for (const char* t : {"cust", "result", "refused"}) my_->execute_script(fmt::format("DROP TABLE IF EXISTS {}_{}", t, s_));
  }
  test::CommandResult weir(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", config_, "query"});
    return run_weir(args);
  }
  std::string statement() const {
    return fmt::format("SELECT o.id, c.name, o.total, o.day, o.total > 10 AS big FROM pg.wi_{0}.orders o "
                       "JOIN my.cust_{0} c ON c.id = o.id",
                       s_);
  }

  test::TempDir dir_;
  std::string s_, config_;
  std::unique_ptr<db::Connection> pg_, my_;
};

TEST_F(QueryInto, TheRowsAreStoredInANewTableWithTheTargetsTypes) {
  auto r = weir({statement(), "--into", fmt::format("my.result_{}", s_)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fmt::format("stored 3 rows in my.result_{}\n", s_));
  EXPECT_EQ(test::scalar(*my_, fmt::format("SELECT group_concat(concat_ws(':', id, coalesce(name, '-'), total, "
                                           "coalesce(day, '-'), big) ORDER BY id SEPARATOR ' ') FROM result_{}",
                                           s_)),
            "1:Ann:10.50:2026-01-02:1 2:Bob:7.25:-:0 3:-:30.00:2026-02-01:1");
  EXPECT_EQ(test::scalar(*my_, fmt::format("SELECT group_concat(concat(column_name, ' ', data_type) ORDER BY "
                                           "ordinal_position SEPARATOR ', ') FROM information_schema.columns "
                                           "WHERE table_schema = DATABASE() AND table_name = 'result_{}'",
                                           s_)),
            "id bigint, name longtext, total decimal, day date, big bigint");
  // The embedded store takes them too.
  auto local = weir({statement(), "--into", "local.result"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  auto store = test::open_sqlite(dir_.file(".weir/local.db"));
  EXPECT_EQ(test::scalar(*store, "SELECT count(*) FROM result"), "3");
}

TEST_F(QueryInto, AReadOnlyConnectionOrATableThatExistsIsRefusedBeforeAnyWrite) {
  auto ro = weir({statement(), "--into", fmt::format("ro.refused_{}", s_)});
  EXPECT_EQ(ro.exit_code, 2);
  EXPECT_EQ(ro.err, fmt::format("weir: config error: `ro.refused_{}`: connection `ro` is read-only\n", s_));
  EXPECT_EQ(test::scalar(*my_, fmt::format("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                                           "DATABASE() AND table_name = 'refused_{}'",
                                           s_)),
            "0");
  auto there = weir({statement(), "--into", fmt::format("my.cust_{}", s_)});
  EXPECT_EQ(there.exit_code, 2);
  EXPECT_EQ(there.err, fmt::format("weir: config error: `my.cust_{}` already exists: --into makes a new table\n", s_));
  EXPECT_EQ(test::scalar(*my_, fmt::format("SELECT count(*) FROM cust_{}", s_)), "3");
}

}  // namespace
}  // namespace weir
