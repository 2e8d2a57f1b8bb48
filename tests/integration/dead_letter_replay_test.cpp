// Dead letters that keep the record as it was read, and `weir deadletters replay` (issue 17,
// item 2), on SQLite, PostgreSQL and MariaDB targets: 100,000 rows read from SQLite, enriched by
// a sql_call lookup and mapped to other column names, of which 37, scattered, break the
// target's CHECK. Each of the 37 letters holds the original record (the input's names, before
// the lookup's column), its cursor position, the stage, error kind and native code; 99,963 rows
// commit and a rerun adds nothing. A replay before the target is fixed leaves each letter in
// place, same id, new error; once the CHECK is gone a replay writes the 37 rows (enriched again)
// and empties the letters.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

using ::testing::HasSubstr;

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file
  const char* check_code;    // the native code of a CHECK violation
  const char* drop_check;    // SQL that removes the CHECK of {table}, keeping its rows
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

constexpr int kRows = 100'000;
// The bad rows: id % 2700 = 17 below 99,000, 37 of them (17, 2717, …, 97217).
constexpr const char* kBad = "x % 2700 = 17 AND x < 99000";

class DeadLetterReplay : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    auto target = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!target) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    db_ = std::move(target->connection);
    target_url_ = target->yaml_url;
    suffix_ = test::unique_suffix();
    table_ = "rp_" + suffix_;
    db_->execute(fmt::format("CREATE TABLE {} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NOT NULL, "
                             "label VARCHAR(20), CONSTRAINT {}_v CHECK (v >= 0))",
                             table_, table_));
    auto source = test::open_sqlite(dir_.file("src.db"));
    source->execute_script(fmt::format(
        "CREATE TABLE src(id INTEGER PRIMARY KEY, val INTEGER NOT NULL, k INTEGER NOT NULL);"
        "CREATE TABLE labels(k INTEGER PRIMARY KEY, label TEXT NOT NULL);"
        "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 10) "
        "INSERT INTO labels SELECT x - 1, 'label ' || (x - 1) FROM s;"
        "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {}) "
        "INSERT INTO src SELECT x, CASE WHEN {} THEN -x ELSE x END, x % 10 FROM s;",
        kRows, kBad));
    test::write_file(dir_.file(file_name()), fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: {}
pipelines:
  p:
    input:
      sql_poll: {{ connection: src, query: "SELECT id, val, k FROM src WHERE {{{{cursor}}}} ORDER BY id",
                   cursor: {{ columns: [id] }}, page_size: 1000 }}
    filters:
      - sql_call:
          connection: src
          queries:
            - sql: "SELECT label FROM labels WHERE k = {{{{record.k}}}}"
              cache: {{ ttl: 10m }}
    output:
      sql_write: {{ connection: dst, table: {}, columns: {{ id: id, v: val, label: label }}, batch: {{ rows: 5000 }} }}
    state: {{ connection: dst }}
    dead_letter: {{ connection: dst, table: {} }}
)",
                                                         target_url_, table_, letters_table()));
  }

  void TearDown() override {
    if (!db_) return;
    db_->execute("DROP TABLE IF EXISTS " + table_);
    db_->execute("DROP TABLE IF EXISTS " + letters_table());
  }

  std::string letters_table() const { return "rp_letters_" + suffix_; }
  // Its own name: the checkpoint, the lock and the journal rows are keyed by it on a shared server.
  std::string file_name() const { return "p_" + suffix_ + ".yaml"; }

  test::CommandResult weir(std::vector<std::string> args) {
    args.push_back(dir_.file(file_name()));
    return test::run_weir(args, dir_.path().string());
  }
  test::CommandResult run() { return weir({"run", "--once", "--progress", "0s"}); }
  test::CommandResult replay(std::vector<std::string> ids = {}) {
    std::vector<std::string> args{"deadletters", "replay", "--pipeline", "p"};
    for (const std::string& id : ids) args.insert(args.end(), {"--id", id});
    return weir(args);
  }

  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }
  std::string letter(const std::string& column, const std::string& where) {
    return scalar("SELECT " + column + " FROM " + letters_table() + " WHERE " + where);
  }

  test::TempDir dir_;
  std::unique_ptr<db::Connection> db_;
  std::string target_url_, suffix_, table_;
};

TEST_P(DeadLetterReplay, LettersKeepTheRecordAsReadAndAReplayEmptiesThemIntoTheFixedTarget) {
  auto r = run();
  ASSERT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 100000 rows, wrote 99963 rows, 37 to dead letters in"));
  EXPECT_THAT(r.out, HasSubstr("pipeline p: read 100000 = written 99963 + dead-lettered 37 + filtered 0 + skipped 0"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "99963");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "37");
  // The first and last bad rows: the record as the target was given it, and as the input read
  // it (its names, no lookup column), where it sits in the source, the stage and the codes.
  const std::string first = "record LIKE '{\"id\":17,%'";
  EXPECT_EQ(letter("record", first), R"({"id":17,"v":-17,"label":"label 7"})");
  EXPECT_EQ(letter("original", first), R"({"id":17,"val":-17,"k":7})");
  EXPECT_EQ(letter("position", first), R"({"id":17})");
  EXPECT_EQ(letter("stage", first), "pipelines.p.output.sql_write");
  EXPECT_EQ(letter("error_kind", first), "check");
  EXPECT_EQ(letter("error_code", first), GetParam().check_code);
  EXPECT_EQ(letter("original", "record LIKE '{\"id\":97217,%'"), R"({"id":97217,"val":-97217,"k":7})");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table() + " WHERE original LIKE '{\"id\":%,\"val\":-%,\"k\":%}'"),
            "37");

  auto again = run();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "99963") << "a rerun duplicates nothing";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "37");

  // Replayed into the unfixed target, the letter stays, under its id, with the new error.
  const std::string id = letter("id", first);
  auto unfixed = replay({id});
  EXPECT_EQ(unfixed.exit_code, 3) << unfixed.out << unfixed.err;
  EXPECT_THAT(unfixed.out, HasSubstr("pipeline p: replayed 1 dead letter: wrote 0 rows, 1 to dead letters"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "37");
  EXPECT_EQ(letter("count(*)", "id = '" + id + "' AND original = '{\"id\":17,\"val\":-17,\"k\":7}' AND "
                                             "position = '{\"id\":17}' AND error_kind = 'check'"),
            "1");

  db_->execute_script(fmt::format(fmt::runtime(GetParam().drop_check), fmt::arg("table", table_)));
  auto fixed = replay();
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_THAT(fixed.out, HasSubstr("pipeline p: replayed 37 dead letters: wrote 37 rows; 0 left in table"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + letters_table()), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "100000");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_ + " WHERE v < 0"), "37");
  // Through the filters again: the lookup enriched the replayed rows.
  EXPECT_EQ(scalar("SELECT label FROM " + table_ + " WHERE id = 97217"), "label 7");

  auto nothing = replay();
  EXPECT_EQ(nothing.exit_code, 0) << nothing.out << nothing.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table_), "100000");
}

// Letters kept apart from the target (their own SQLite file): a replay rewrites a letter given
// up on again before the target commits, and deletes the written ones after it committed.
TEST(DeadLetterReplayApart, LettersInAnotherDatabaseLeaveOnceTheirRowsCommit) {
  test::TempDir dir;
  test::open_sqlite(dir.file("src.db"))
      ->execute_script("CREATE TABLE src(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                       "INSERT INTO src VALUES (1, 1), (2, -2), (3, 3), (4, -4), (5, 5);");
  auto dst = test::open_sqlite(dir.file("dst.db"));
  dst->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))");
  test::write_file(dir.file("p.yaml"), R"(connections:
  src: "sqlite:src.db"
  dst: "sqlite:dst.db"
  apart: "sqlite:letters.db"
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT id, v FROM src WHERE {{cursor}} ORDER BY id", cursor: { columns: [id] } } }
    output: { sql_write: { connection: dst, table: t, mode: upsert, key: [id] } }
    dead_letter: { connection: apart, table: letters }
)");
  auto weir = [&](std::vector<std::string> args) {
    args.push_back(dir.file("p.yaml"));
    return test::run_weir(args, dir.path().string());
  };
  ASSERT_EQ(weir({"run", "--once", "--progress", "0s"}).exit_code, 3);
  auto letters = test::open_sqlite(dir.file("letters.db"));
  const std::string ids = test::scalar(*letters, "SELECT group_concat(id, ' ') FROM (SELECT id FROM letters ORDER BY id)");
  ASSERT_EQ(test::scalar(*letters, "SELECT group_concat(position, ' ') FROM (SELECT position FROM letters ORDER BY id)"),
            R"({"id":2} {"id":4})");

  auto unfixed = weir({"deadletters", "replay", "--pipeline", "p"});
  EXPECT_EQ(unfixed.exit_code, 3) << unfixed.err;
  EXPECT_EQ(test::scalar(*letters, "SELECT group_concat(id, ' ') FROM (SELECT id FROM letters ORDER BY id)"), ids)
      << "the same letters, under their ids";

  dst->execute_script("DROP TABLE t; CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                      "INSERT INTO t VALUES (1, 1), (3, 3), (5, 5)");
  auto fixed = weir({"deadletters", "replay", "--pipeline", "p"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(test::scalar(*letters, "SELECT count(*) FROM letters"), "0");
  EXPECT_EQ(test::scalar(*dst, "SELECT group_concat(v, ' ') FROM (SELECT v FROM t ORDER BY id)"), "1 -2 3 -4 5");
}

// A filter that drops records (its own dead letters) before the output rejects later ones: each
// letter still holds its own record as read, and its position.
TEST(DeadLetterOriginals, StayWithTheirRecordsWhenAFilterDroppedOthers) {
  test::TempDir dir;
  test::open_sqlite(dir.file("src.db"))
      ->execute_script("CREATE TABLE src(id INTEGER PRIMARY KEY, v INTEGER, j TEXT);"
                       "INSERT INTO src VALUES (1, 1, '{\"x\":1}'), (2, 2, 'bad'), (3, -3, '{\"x\":3}'), "
                       "(4, 4, 'bad'), (5, -5, '{\"x\":5}'), (6, 6, '{\"x\":6}');");
  auto dst = test::open_sqlite(dir.file("dst.db"));
  dst->execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER CHECK (v >= 0), x INTEGER)");
  test::write_file(dir.file("p.yaml"), R"(connections:
  src: "sqlite:src.db"
  dst: "sqlite:dst.db"
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT id, v, j FROM src WHERE {{cursor}} ORDER BY id", cursor: { columns: [id] } } }
    filters:
      - sql_call:
          connection: src
          queries:
            - { sql: "SELECT json_extract({{record.j}}, '$.x') AS x", on_error: dead_letter }
    output: { sql_write: { connection: dst, table: t, columns: { id: id, v: v, x: x } } }
    dead_letter: { connection: dst, table: letters }
)");
  auto r = test::run_weir({"run", "--once", "--progress", "0s", dir.file("p.yaml")}, dir.path().string());
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(test::scalar(*dst, "SELECT group_concat(line, ' | ') FROM (SELECT stage || ' ' || original || ' ' || "
                               "position AS line FROM letters ORDER BY json_extract(original, '$.id'))"),
            R"(pipelines.p.filters[0].sql_call.queries[0] {"id":2,"v":2,"j":"bad"} {"id":2} | )"
            R"(pipelines.p.output.sql_write {"id":3,"v":-3,"j":"{\"x\":3}"} {"id":3} | )"
            R"(pipelines.p.filters[0].sql_call.queries[0] {"id":4,"v":4,"j":"bad"} {"id":4} | )"
            R"(pipelines.p.output.sql_write {"id":5,"v":-5,"j":"{\"x\":5}"} {"id":5})");
}

const Target kTargets[] = {
    {"Sqlite", nullptr, "275",
     "ALTER TABLE {table} RENAME TO {table}_old; "
     "CREATE TABLE {table} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NOT NULL, label VARCHAR(20)); "
     "INSERT INTO {table} SELECT * FROM {table}_old; DROP TABLE {table}_old"},
    {"Postgres", "WEIR_TEST_PG_URL", "23514", "ALTER TABLE {table} DROP CONSTRAINT {table}_v"},
    {"Mariadb", "WEIR_TEST_MYSQL_URL", "4025", "ALTER TABLE {table} DROP CONSTRAINT {table}_v"},
};

INSTANTIATE_TEST_SUITE_P(Targets, DeadLetterReplay, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace weir
