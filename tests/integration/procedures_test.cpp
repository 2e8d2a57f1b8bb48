// Stored procedures (CALL) and functions (SELECT fn(…)) through the driver interfaces.
#include <gtest/gtest.h>


#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

std::unique_ptr<db::Connection> open(const std::string& url) {
  db::ConnectionConfig config;
  config.url = Url::parse(url);
  return db::connect(config);
}

std::string first_cell(db::Connection& c, const std::string& sql, std::vector<Value> params = {}) {
  auto cursor = c.query(sql, params);
  Batch b;
  if (!cursor->next(b, 10)) return "<no rows>";
  return b.at(0, 0).to_text();
}

TEST(Procedures, PostgresCallAndFunction) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_PG_URL");
  auto c = open(*url);
  std::string suffix = test::unique_suffix();
  c->execute_script("CREATE PROCEDURE weir_bump_" + suffix +
                    "(INOUT n integer) LANGUAGE plpgsql AS $$ BEGIN n := n + 1; END $$;"
                    "CREATE FUNCTION weir_twice_" + suffix + "(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x * 2 $$;");
  EXPECT_EQ(first_cell(*c, "CALL weir_bump_" + suffix + "($1)", {Value(41)}), "42");
  EXPECT_EQ(first_cell(*c, "SELECT weir_twice_" + suffix + "($1)", {Value(21)}), "42");
  EXPECT_EQ(first_cell(*c, "CALL weir_bump_" + suffix + "($1)", {Value(1)}), "2") << "cached CALL again";
  c->execute_script("DROP PROCEDURE weir_bump_" + suffix + "; DROP FUNCTION weir_twice_" + suffix + ";");
}

TEST(Procedures, MariadbCallKeepsTheConnectionInSync) {
  WEIR_SERVER_URL_OR_SKIP(url, "WEIR_TEST_MYSQL_URL");
  auto c = open(*url);
  std::string suffix = test::unique_suffix();
  std::string table = "weir_proc_t_" + suffix;
  c->execute("CREATE TABLE " + table + " (x int)");
  c->execute("CREATE PROCEDURE weir_plus_" + suffix + "(IN x INT) BEGIN SELECT x + 1 AS y; END");
  c->execute("CREATE PROCEDURE weir_put_" + suffix + "(IN x INT) BEGIN INSERT INTO " + table + " VALUES (x); END");
  EXPECT_EQ(first_cell(*c, "CALL weir_plus_" + suffix + "(?)", {Value(41)}), "42");
  EXPECT_EQ(first_cell(*c, "SELECT 7"), "7") << "the CALL's trailing status result was consumed";
  c->execute("CALL weir_put_" + suffix + "(?)", std::vector<Value>{Value(5)});
  EXPECT_EQ(first_cell(*c, "SELECT x FROM " + table), "5");
  EXPECT_EQ(first_cell(*c, "CALL weir_plus_" + suffix + "(?)", {Value(1)}), "2") << "cached CALL again";
  c->execute("DROP PROCEDURE weir_plus_" + suffix);
  c->execute("DROP PROCEDURE weir_put_" + suffix);
  c->execute("DROP TABLE " + table);
}

}  // namespace
}  // namespace weir
