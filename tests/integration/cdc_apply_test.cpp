// sql_apply on each database (SQLite, PostgreSQL, MariaDB), the parts of issue 12's item 6 the
// first tests (sql_apply_test.cpp) leave out: the three `on_conflict` modes side by side, a
// column mapping with a key update, a target table in another schema (PostgreSQL) or database
// (MariaDB), a deadlock with a concurrent session on PostgreSQL retried, and a delete the
// target refuses (a foreign key) in the dead letters with its position.
#include <thread>

#include "sql_apply_fixture.hpp"
#include "support/replication_slots.hpp"

namespace weir::pipeline::apply_test {
namespace {

class CdcApply : public SqlApply {
 protected:
  void fill(const std::string& rows) { db_->execute(fmt::format("INSERT INTO {} VALUES {}", table_, rows)); }
  std::string letters() {
    return scalar(fmt::format("SELECT count(*) FROM {}", letters_));
  }
};
// The tests that need a server: a SQLite connection is one database file, with no other schema.
class CdcApplyOnServers : public CdcApply {};
// The deadlock is provoked with PostgreSQL's deadlock_timeout choosing the victim.
class CdcApplyOnPostgres : public CdcApply {};

// The same changes under each mode, into a target holding 1 but neither 3 nor 4: an insert of
// 1 (there), an insert of 2, an update of 3 sending every column, a delete of 4.
TEST_P(CdcApply, EachOnConflictModeHandlesWhatTheTargetDoesNotHoldAsDocumented) {
  auto changes_of = [&] {
    Changes t = changes(0x20);
    t.insert(1, "new").insert(2, "b").update(3, "c", "d").remove(4).end();
    return t.batch;
  };
  struct Expected {
    std::string mode, rows;
    db::WriteCounts written;
    std::uint64_t rejected;
  };
  for (const Expected& e : {
           Expected{"insert", "1:old 2:b", {.inserted = 1, .not_found = 2}, 1},
           Expected{"update", "1:new 2:b", {.inserted = 1, .updated = 1, .not_found = 2}, 0},
           Expected{"upsert", "1:new 2:b 3:c", {.inserted = 2, .updated = 1, .not_found = 1}, 0},
       }) {
    SCOPED_TRACE(e.mode);
    db_->execute("DELETE FROM " + table_);
    fill("(1, 'old', 'd')");
    PipelineStats stats = run({changes_of()}, "on_conflict: " + e.mode);
    ASSERT_EQ(stats.error, "");
    EXPECT_EQ(rows(), e.rows);
    EXPECT_EQ(stats.written, e.written);
    EXPECT_EQ(stats.rows_rejected, e.rejected);
  }
  EXPECT_EQ(letters(), "1");  // the insert of 1 under `insert`
}

// `columns:` writes the mapped target columns only: the others keep their values (here a
// default), the source's unmapped `doc` goes nowhere, and the key is found under its new name.
TEST_P(CdcApply, ColumnMappingWritesOnlyTheMappedColumnsAndFindsRowsByTheMappedKey) {
  std::string mapped = "mapped_" + test::unique_suffix();
  db_->execute(fmt::format("CREATE TABLE {} (ident bigint PRIMARY KEY, memo varchar(40), kept varchar(10) DEFAULT 'kept')",
                           mapped));
  route_ = fmt::format("{{ table: {}, columns: {{ ident: id, memo: note }} }}", mapped);
  Changes t = changes(0x30);
  t.insert(1, "a").insert(2, "b").insert(3, "c").end();
  t.update(2, "b2", "d").update(30, "c2", "d", 3).remove(1).end();
  PipelineStats stats = run({t.batch}, "on_conflict: insert");
  std::string held = scalar(fmt::format("SELECT count(*) FROM {} WHERE kept = 'kept'", mapped)) + " " +
                     scalar(fmt::format("SELECT min(ident) FROM {}", mapped)) + " " +
                     scalar(fmt::format("SELECT max(ident) FROM {}", mapped)) + " " +
                     scalar(fmt::format("SELECT memo FROM {} WHERE ident = 2", mapped)) + " " +
                     scalar(fmt::format("SELECT memo FROM {} WHERE ident = 30", mapped));
  db_->execute("DROP TABLE " + mapped);
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(held, "2 2 30 b2 c2");
  EXPECT_EQ(stats.written, (db::WriteCounts{.inserted = 3, .updated = 2, .deleted = 1}));
}

// A target named with its schema (PostgreSQL) or database (MariaDB) other than the
// connection's: inserts, a key update, a delete and a truncate land there.
TEST_P(CdcApplyOnServers, ATargetInAnotherSchemaOrDatabaseGetsEveryKindOfChange) {
  const std::string other = "apply_other_" + test::unique_suffix();
  const bool postgres = std::string(GetParam().name) == "Postgres";
  db_->execute(fmt::format("CREATE {} {}", postgres ? "SCHEMA" : "DATABASE", other));
  std::string local = table_;
  table_ = other + "." + local;  // rows() reads it there
  db_->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, note varchar(40) NOT NULL, doc text)", table_));
  route_ = table_;
  Changes t = changes(0x40);
  t.insert(1, "a").insert(2, "b").insert(3, "c").end();
  t.update(20, "b2", "d", 2).remove(3).end();
  PipelineStats first = run({t.batch});
  std::string after_first = rows();
  Changes u = changes(0x50);
  u.truncate().insert(9, "z").end();
  PipelineStats second = run({u.batch});
  std::string after_second = rows();
  db_->execute(fmt::format("DROP {} {} {}", postgres ? "SCHEMA" : "DATABASE", other, postgres ? "CASCADE" : ""));
  table_ = local;
  ASSERT_EQ(first.error, "");
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(after_first, "1:a 20:b2");
  EXPECT_EQ(after_second, "9:z");
  EXPECT_EQ(scalar("SELECT count(*) FROM " + local), "0");  // nothing in the connection's own
}

// A session holding row 2 asks for row 1 while sql_apply, holding row 1, waits for row 2: the
// server ends sql_apply's transaction as the deadlock's victim, and sql_apply applies the
// source transaction again, whole, once the session committed.
TEST_P(CdcApplyOnPostgres, ADeadlockWithAConcurrentSessionIsRetried) {
  fill("(1, 'a', 'd'), (2, 'b', 'd')");
  db::ConnectionConfig config;
  config.url = Url::parse(url_);
  auto session = db::connect(config);
  const std::string session_pid = test::scalar(*session, "SELECT pg_backend_pid()");
  const std::string deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()";
  const long before = std::stol(scalar(deadlocks));
  session->execute("SET deadlock_timeout = '60s'");  // sql_apply's session (1 s) detects it first
  session->execute("BEGIN");
  session->execute(fmt::format("UPDATE {} SET note = 'session' WHERE id = 2", table_));
  std::thread other([&] {
    auto watcher = db::connect(config);
    bool waiting = test::eventually([&] {
      return test::scalar(*watcher, fmt::format("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> {}",
                                                session_pid)) != "0";
    });
    EXPECT_TRUE(waiting) << "sql_apply never waited for the session's row";
    session->execute(fmt::format("UPDATE {} SET note = 'session' WHERE id = 1", table_));  // the deadlock
    session->execute("COMMIT");
  });
  // Three runs, three statements in order: row 1, then 3, then row 2.
  Changes t = changes(0x60);
  t.update(1, "w1", "d").insert(3, "c").update(2, "w2", "d").end();
  PipelineStats stats = run({t.batch}, "on_conflict: insert");
  other.join();
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:w1 2:w2 3:c");
  EXPECT_EQ(stats.written, (db::WriteCounts{.inserted = 1, .updated = 2}));
  EXPECT_TRUE(test::eventually([&] {
    db_->execute("SELECT pg_stat_clear_snapshot()");
    return std::stol(scalar(deadlocks)) > before;
  })) << "no deadlock happened";
}

// A delete the target refuses (a row of another table refers to it) goes to the dead letters,
// named by its position; the changes around it commit.
TEST_P(CdcApply, ADeleteTheTargetRefusesGoesToTheDeadLettersWithItsPosition) {
  std::string child = "child_" + test::unique_suffix();
  fill("(1, 'a', 'd'), (2, 'b', 'd')");
  db_->execute(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, parent bigint REFERENCES {} (id))", child, table_));
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 2)", child));
  Changes t = changes(0x70);
  t.remove(1).remove(2).insert(3, "c").end();
  PipelineStats stats = run({t.batch}, "on_conflict: insert");
  std::string held = rows(), kind = scalar("SELECT error_kind FROM " + letters_),
              record = scalar("SELECT record FROM " + letters_);
  db_->execute("DROP TABLE " + child);
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(held, "2:b 3:c");
  EXPECT_EQ(stats.rows_rejected, 1u);
  EXPECT_EQ(kind, "foreign_key");
  EXPECT_EQ(record, fmt::format(R"({{"op":"delete","table":"public.{}","position":"0/70:1","before":{{"id":2,"note":null,"doc":null}}}})",
                                source_.name));
}

auto database_name = [](const auto& info) { return std::string(info.param.name); };
INSTANTIATE_TEST_SUITE_P(Databases, CdcApply, ::testing::Values(kSqlite, kPostgres, kMariadb), database_name);
INSTANTIATE_TEST_SUITE_P(Databases, CdcApplyOnServers, ::testing::Values(kPostgres, kMariadb), database_name);
INSTANTIATE_TEST_SUITE_P(Databases, CdcApplyOnPostgres, ::testing::Values(kPostgres), database_name);

}  // namespace
}  // namespace weir::pipeline::apply_test
