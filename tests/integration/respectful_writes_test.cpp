// sql_write's modes against each target database, through `weir run`: an upsert sets only the
// rows whose written values changed (a trigger counting UPDATEs proves the others were left
// alone) and never a column it does not write; insert_or_ignore leaves rows already there as
// they are; delete finds its rows by keys of any type. The summary line splits what happened.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file next to the pipeline
  const char* json_type;     // a type without `=` on PostgreSQL
  const char* uuid_type;
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

const Target kTargets[] = {
    {"Sqlite", nullptr, "TEXT", "TEXT"},
    {"Postgres", "WEIR_TEST_PG_URL", "json", "uuid"},
    {"Mariadb", "WEIR_TEST_MYSQL_URL", "JSON", "UUID"},
};

class RespectfulWrites : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    auto target = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!target) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    target_ = std::move(*target);
    db_ = target_.connection.get();
    suffix_ = test::unique_suffix();
    source_ = test::open_sqlite(dir_.file("src.db"));
  }

  void TearDown() override {
    if (!db_) return;
    for (const std::string& t : dropped_) db_->execute_script("DROP TABLE IF EXISTS " + t);
    if (std::string(GetParam().name) == "Postgres") db_->execute_script("DROP FUNCTION IF EXISTS count_" + suffix_ + "()");
  }

  // A table of the target named `base` + this test's suffix, dropped at the end.
  std::string table(const std::string& base, const std::string& columns) {
    std::string name = base + "_" + suffix_;
    db_->execute_script(fmt::format("CREATE TABLE {} ({})", name, columns));
    dropped_.push_back(name);
    return name;
  }

  // A table counting the UPDATEs of `counted`, one per row updated, from an AFTER UPDATE trigger.
  std::string count_updates(const std::string& counted) {
    std::string counter = table("updates", "n INTEGER NOT NULL");
    db_->execute_script(fmt::format("INSERT INTO {} VALUES (0)", counter));
    const std::string name = GetParam().name, bump = fmt::format("UPDATE {} SET n = n + 1", counter);
    if (name == "Postgres") {
      db_->execute_script(fmt::format(
          "CREATE FUNCTION count_{0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {1}; RETURN NEW; END $$; "
          "CREATE TRIGGER counted_{0} AFTER UPDATE ON {2} FOR EACH ROW EXECUTE FUNCTION count_{0}()",
          suffix_, bump, counted));
    } else if (name == "Mariadb") {
      db_->execute_script(fmt::format("CREATE TRIGGER counted_{} AFTER UPDATE ON {} FOR EACH ROW {}", suffix_, counted, bump));
    } else {
      db_->execute_script(fmt::format("CREATE TRIGGER counted_{} AFTER UPDATE ON {} BEGIN {}; END", suffix_, counted, bump));
    }
    return counter;
  }

  // Runs `query` on the SQLite source into `table` with `mode`, `key` and `columns`; returns
  // the summary line's part after "read N rows, ", up to " in ".
  std::string run(const std::string& query, const std::string& table, const std::string& mode,
                  const std::string& key, const std::string& columns) {
    std::string yaml = fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: {}
pipelines:
  p:
    input: {{ sql_poll: {{ connection: src, query: "{}" }} }}
    output: {{ sql_write: {{ connection: dst, table: {}, mode: {}, key: {}, columns: {} }} }}
)",
                                   target_.yaml_url, query, table, mode, key, columns);
    test::write_file(dir_.file("p.yaml"), yaml);
    auto r = test::run_weir({"run", "--once", "--progress", "0s", dir_.file("p.yaml")}, dir_.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::size_t from = r.out.find(" rows, "), to = r.out.find(" in ", from);
    if (from == std::string::npos || to == std::string::npos) return r.out;
    return r.out.substr(from + 7, to - from - 7);
  }

  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }

  test::TempDir dir_;
  test::TargetDatabase target_;
  db::Connection* db_ = nullptr;
  std::unique_ptr<db::Connection> source_;
  std::string suffix_;
  std::vector<std::string> dropped_;
};

INSTANTIATE_TEST_SUITE_P(Targets, RespectfulWrites, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

// 100,000 rows upserted again with the values they hold: nothing is updated (no trigger runs,
// no row version is written); then 11 rows changed at the source (one from NULL) are the only
// ones updated, and 4 new ones inserted, each counted as such. `note`, which the pipeline does
// not write, keeps its value throughout.
TEST_P(RespectfulWrites, UpsertOfUnchangedRowsUpdatesNothing) {
  const std::string t = table("items", fmt::format("id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50), qty INTEGER, "
                                                   "doc {}, note VARCHAR(20)",
                                                   GetParam().json_type));
  source_->execute_script(
      "CREATE TABLE src(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, doc TEXT);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 100000) "
      "INSERT INTO src SELECT x, CASE WHEN x % 10 = 0 THEN NULL ELSE 'n' || x END, NULLIF(x % 7, 0), "
      "json_object('n', x) FROM s");
  const std::string query = "SELECT id, name, qty, doc FROM src ORDER BY id";
  const std::string columns = "{ id: id, name: name, qty: qty, doc: doc }";
  ASSERT_EQ(run(query, t, "insert", "[id]", columns), "wrote 100000 rows");
  db_->execute_script("UPDATE " + t + " SET note = 'kept'");
  const std::string updates = count_updates(t);

  EXPECT_EQ(run(query, t, "upsert", "[id]", columns), "wrote 100000 rows (unchanged 100000)");
  EXPECT_EQ(scalar("SELECT n FROM " + updates), "0") << "no row was updated";

  source_->execute_script("UPDATE src SET name = 'changed' WHERE id % 10000 = 1 OR id = 10;"
                          "INSERT INTO src VALUES (100001, 'new', 1, '{}'), (100002, 'new', 2, NULL), "
                          "(100003, NULL, NULL, NULL), (100004, 'new', 4, '[]')");
  EXPECT_EQ(run(query, t, "upsert", "[id]", columns), "wrote 100004 rows (inserted 4, updated 11, unchanged 99989)");
  EXPECT_EQ(scalar("SELECT n FROM " + updates), "11");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + t + " WHERE name = 'changed'"), "11");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + t), "100004");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + t + " WHERE note = 'kept'"), "100000") << "a column not written";
}

// Keys already there are left as they are, on every path (PostgreSQL stages 1,000 rows or
// more, and sends fewer one statement each).
TEST_P(RespectfulWrites, InsertOrIgnoreLeavesRowsAlreadyThere) {
  const std::string t = table("items", "id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50)");
  source_->execute_script(
      "CREATE TABLE src(id INTEGER PRIMARY KEY, name TEXT);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 2003) "
      "INSERT INTO src SELECT x, 'new' || x FROM s");
  ASSERT_EQ(run("SELECT id, 'old' || id AS name FROM src WHERE id <= 1500", t, "insert", "[id]", "all"),
            "wrote 1500 rows");
  const std::string updates = count_updates(t);
  EXPECT_EQ(run("SELECT id, name FROM src WHERE id <= 2000 UNION ALL SELECT 2000, 'again'", t, "insert_or_ignore",
                "[id]", "all"),
            "wrote 2001 rows (inserted 500, unchanged 1501)");
  EXPECT_EQ(scalar("SELECT n FROM " + updates), "0") << "no row was updated";
  EXPECT_EQ(run("SELECT id, name FROM src WHERE id >= 1999", t, "insert_or_ignore", "[]", "all"),
            "wrote 5 rows (inserted 3, unchanged 2)")
      << "without a key: any unique key's conflict";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + t), "2003");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + t + " WHERE name LIKE 'old%'"), "1500");
  EXPECT_EQ(scalar("SELECT name FROM " + t + " WHERE id = 2000"), "new2000") << "a key's first row";
}

// 1,000 of 1,200 rows deleted by a uuid key (with one key that is not there), then rows of a
// composite key and of a text key.
TEST_P(RespectfulWrites, DeleteByKeysOfEveryType) {
  const std::string uuids = table("by_uuid", fmt::format("id {} NOT NULL PRIMARY KEY, n INTEGER", GetParam().uuid_type));
  source_->execute_script(
      "CREATE TABLE src(id TEXT, n INTEGER);"
      "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 1200) "
      "INSERT INTO src SELECT printf('00000000-0000-4000-8000-%012x', x), x FROM s");
  ASSERT_EQ(run("SELECT id, n FROM src", uuids, "insert", "[id]", "all"), "wrote 1200 rows");
  EXPECT_EQ(run("SELECT id FROM src WHERE n <= 1000 UNION ALL SELECT '00000000-0000-4000-8000-ffffffffffff'", uuids,
                "delete", "[id]", "{ id: id }"),
            "wrote 1000 rows (deleted 1000), 1 not found");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + uuids), "200");
  EXPECT_EQ(scalar("SELECT min(n) FROM " + uuids), "1001");

  const std::string pairs = table("by_pair", "region VARCHAR(10) NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (region, id)");
  db_->execute_script("INSERT INTO " + pairs + " VALUES ('north', 1), ('north', 2), ('south', 1)");
  EXPECT_EQ(run("SELECT 'north' AS region, 1 AS id UNION ALL SELECT 'south', 1 UNION ALL SELECT 'south', 2", pairs,
                "delete", "[region, id]", "all"),
            "wrote 2 rows (deleted 2), 1 not found");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + pairs), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + pairs + " WHERE region = 'north' AND id = 2"), "1");

  const std::string names = table("by_name", "name VARCHAR(40) NOT NULL PRIMARY KEY");
  db_->execute_script("INSERT INTO " + names + " VALUES ('alpha'), ('beta'), ('gamma delta'), ('\xc3\xbcn\xc3\xaf')");
  EXPECT_EQ(run("SELECT 'beta' AS name UNION ALL SELECT '\xc3\xbcn\xc3\xaf' UNION ALL SELECT 'zeta'", names, "delete",
                "[name]", "all"),
            "wrote 2 rows (deleted 2), 1 not found");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + names + " WHERE name IN ('alpha', 'gamma delta')"), "2");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + names), "2");
}

}  // namespace
}  // namespace weir
