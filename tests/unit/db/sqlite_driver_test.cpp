// The SQLite driver (src/db/sqlite/driver.cpp, connection.cpp): URL options and their
// defaults, opening failures, init scripts, busy databases, statement handling.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/sqlite/driver.hpp"
#include "support/test_support.hpp"
#include "unit/db/print.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

namespace fs = std::filesystem;

ConnectionConfig config(const std::string& url, std::string init_script = {}) {
  return ConnectionConfig{.name = "test", .url = Url::parse(url), .init_script = std::move(init_script)};
}

std::unique_ptr<Connection> open(const std::string& url, std::string init_script = {}) {
  return connect(config(url, std::move(init_script)));
}

// The error connect() throws, or a failure when it succeeds.
std::optional<Error> connect_error(const std::string& url, std::string init_script = {}) {
  try {
    open(url, std::move(init_script));
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "connecting to " << url << " succeeded";
  return std::nullopt;
}

bool has(const Error& e, const std::string& fragment) { return std::string(e.what()).find(fragment) != std::string::npos; }

Value pragma(Connection& c, const std::string& name) {
  auto cursor = c.query("PRAGMA " + name);
  Batch batch;
  EXPECT_TRUE(cursor->next(batch, 1)) << name;
  return batch.empty() ? Value() : batch.at(0, 0);
}

std::int64_t count(Connection& c, const std::string& table) {
  auto cursor = c.query("SELECT count(*) FROM " + table);
  Batch batch;
  cursor->next(batch, 1);
  return batch.at(0, 0).as_int();
}

class SqliteDriver : public ::testing::Test {
 protected:
  std::string url(const std::string& file, const std::string& options = "") { return "sqlite:" + dir.file(file) + options; }
  test::TempDir dir;
};

TEST_F(SqliteDriver, FileDefaults) {
  auto c = open(url("a.db"));
  EXPECT_EQ(pragma(*c, "journal_mode"), Value("wal"));
  EXPECT_EQ(pragma(*c, "foreign_keys"), Value(1));
  EXPECT_EQ(pragma(*c, "synchronous"), Value(2)) << "full";
  EXPECT_EQ(pragma(*c, "busy_timeout"), Value(5000));
  EXPECT_TRUE(fs::exists(dir.file("a.db"))) << "mode=rwc creates the file";
}

// A pool filling up, or a pipeline's stages starting, open a new file from several threads
// at once: each must open it, not fail on the lock that switching to WAL takes.
TEST_F(SqliteDriver, ConnectionsOpeningANewFileTogetherAllSucceed) {
  for (int round = 0; round < 5; ++round) {
    const std::string target = url("together" + std::to_string(round) + ".db");
    std::atomic<int> ready{0}, failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&] {
        ++ready;
        while (ready < 8) std::this_thread::yield();
        try {
          auto c = open(target);
          EXPECT_EQ(pragma(*c, "journal_mode"), Value("wal"));
        } catch (const Error& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      });
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures, 0) << "round " << round;
  }
}

TEST_F(SqliteDriver, MemoryDefaults) {
  auto c = open("sqlite::memory:");
  EXPECT_EQ(pragma(*c, "journal_mode"), Value("memory"));
  EXPECT_EQ(pragma(*c, "foreign_keys"), Value(1));
}

TEST_F(SqliteDriver, OptionsAreApplied) {
  auto c = open(url("a.db", "?journal_mode=DELETE&synchronous=normal&foreign_keys=off&busy_timeout=250"));
  EXPECT_EQ(pragma(*c, "journal_mode"), Value("delete"));
  EXPECT_EQ(pragma(*c, "synchronous"), Value(1));
  EXPECT_EQ(pragma(*c, "foreign_keys"), Value(0));
  EXPECT_EQ(pragma(*c, "busy_timeout"), Value(250));
}

TEST_F(SqliteDriver, ReadOnlyOnAMissingFileIsAConnectionError) {
  auto e = connect_error(url("missing.db", "?mode=ro"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::connection) << e->what();
  EXPECT_FALSE(e->retryable()) << "a missing file does not appear by retrying: " << e->what();
  EXPECT_TRUE(has(*e, "missing.db")) << e->what();
  EXPECT_FALSE(fs::exists(dir.file("missing.db")));
}

TEST_F(SqliteDriver, ReadWriteOnAMissingFileIsAConnectionError) {
  auto e = connect_error(url("missing.db", "?mode=rw"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::connection) << e->what();
  EXPECT_FALSE(fs::exists(dir.file("missing.db")));
}

TEST_F(SqliteDriver, ReadOnlyConnectionCannotWrite) {
  open(url("a.db"))->execute_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
  auto c = open(url("a.db", "?mode=ro"));
  EXPECT_EQ(count(*c, "t"), 1);
  try {
    c->execute("INSERT INTO t VALUES (2)");
    ADD_FAILURE() << "a read-only connection wrote";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::permission) << e.what();
  }
}

TEST_F(SqliteDriver, UnknownOptionSuggestsTheClosest) {
  auto e = connect_error(url("a.db", "?busy_timout=100"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::config) << e->what();
  EXPECT_TRUE(has(*e, "busy_timout")) << e->what();
  EXPECT_TRUE(has(*e, "did you mean `busy_timeout`")) << e->what();
  EXPECT_FALSE(fs::exists(dir.file("a.db"))) << "options are checked before the file is created";

  auto far = connect_error(url("a.db", "?colour=blue"));
  ASSERT_TRUE(far);
  EXPECT_EQ(far->kind(), ErrorKind::config) << far->what();
  EXPECT_FALSE(has(*far, "did you mean")) << far->what();
}

TEST_F(SqliteDriver, InvalidOptionValuesAreConfigErrors) {
  for (const char* option : {"busy_timeout=abc", "busy_timeout=-5", "busy_timeout=10ms", "mode=rwx",
                             "journal_mode=fast", "synchronous=sometimes", "foreign_keys=maybe"}) {
    auto e = connect_error(url("a.db", std::string("?") + option));
    ASSERT_TRUE(e) << option;
    EXPECT_EQ(e->kind(), ErrorKind::config) << e->what();
    std::string key(option, std::string_view(option).find('='));
    EXPECT_TRUE(has(*e, key)) << e->what();
  }
}

TEST_F(SqliteDriver, MissingDirectoryIsAClearConnectionError) {
  auto e = connect_error("sqlite:" + dir.file("no/such/dir") + "/a.db");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::connection) << e->what();
  EXPECT_TRUE(has(*e, dir.file("no/such/dir"))) << e->what();
  EXPECT_TRUE(has(*e, "does not exist")) << e->what();
  EXPECT_FALSE(fs::exists(dir.file("no")));
}

TEST_F(SqliteDriver, MissingDirectoryIsNotRetryable) {
  auto e = connect_error("sqlite:" + dir.file("no/such/dir") + "/a.db");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->retryable()) << e->what();
}

TEST_F(SqliteDriver, FileThatIsNotADatabase) {
  std::string junk;
  for (int i = 0; i < 200; ++i) junk += "this is a text file, not an SQLite database\n";
  test::write_file(dir.file("junk.db"), junk);
  auto e = connect_error(url("junk.db"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::connection) << e->what();
  EXPECT_TRUE(has(*e, "not a database")) << e->what();
  EXPECT_FALSE(e->retryable()) << e->what();
  EXPECT_EQ(test::read_file(dir.file("junk.db")), junk) << "the file is left alone";
}

TEST_F(SqliteDriver, InitScriptRunsOnceWhenTheFileIsCreated) {
  std::string script = dir.file("init.sql");
  test::write_file(script, "CREATE TABLE seed (id INTEGER PRIMARY KEY, name TEXT);\n"
                           "INSERT INTO seed (name) VALUES ('first');\n");
  EXPECT_EQ(count(*open(url("a.db"), script), "seed"), 1);
  EXPECT_EQ(count(*open(url("a.db"), script), "seed"), 1) << "not run again on an existing file";
}

TEST_F(SqliteDriver, InitScriptIsNotRunOnAnExistingFile) {
  open(url("a.db"))->execute("CREATE TABLE existing (x INTEGER)");
  std::string script = dir.file("init.sql");
  test::write_file(script, "CREATE TABLE seed (x INTEGER);");
  auto c = open(url("a.db"), script);
  EXPECT_FALSE(c->describe_table(TableRef{"", "seed"}).has_value());
}

TEST_F(SqliteDriver, FailingInitScriptRemovesTheNewFile) {
  std::string script = dir.file("broken init.sql");
  test::write_file(script, "CREATE TABLE seed (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n");
  auto e = connect_error(url("a.db"), script);
  ASSERT_TRUE(e);
  EXPECT_TRUE(has(*e, script)) << "the error names the script: " << e->what();
  EXPECT_TRUE(has(*e, "no_such_table")) << "and what went wrong: " << e->what();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    EXPECT_FALSE(fs::exists(dir.file("a.db") + suffix)) << "a.db" << suffix << " is left behind";
  // The next attempt starts from scratch, and succeeds once the script is fixed.
  test::write_file(script, "CREATE TABLE seed (x INTEGER);\n");
  EXPECT_EQ(count(*open(url("a.db"), script), "seed"), 0);
}

TEST_F(SqliteDriver, MissingInitScriptIsAConfigError) {
  std::string script = dir.file("nope.sql");
  auto e = connect_error(url("a.db"), script);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::config) << e->what();
  EXPECT_TRUE(has(*e, script)) << e->what();
  EXPECT_FALSE(fs::exists(dir.file("a.db")));
}

TEST_F(SqliteDriver, BusyDatabaseIsARetryableSerializationError) {
  auto holder = open(url("a.db"));
  holder->execute("CREATE TABLE t (x INTEGER)");
  holder->begin();  // BEGIN IMMEDIATE: holds the write lock
  holder->execute("INSERT INTO t VALUES (1)");
  auto waiter = open(url("a.db", "?busy_timeout=100"));
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (attempt == 0) waiter->begin();
      else waiter->execute("INSERT INTO t VALUES (2)");
      ADD_FAILURE() << "got the write lock while another connection holds it";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::serialization) << e.what();
      EXPECT_TRUE(e.retryable()) << e.what();
      EXPECT_TRUE(has(e, "locked")) << e.what();
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(150)) << "each attempt waited for busy_timeout";
  EXPECT_LT(elapsed, std::chrono::seconds(3)) << "and no longer";
  EXPECT_EQ(count(*waiter, "t"), 0) << "readers go on in WAL mode";
  holder->commit();
  EXPECT_NO_THROW(waiter->execute("INSERT INTO t VALUES (2)")) << "free again after commit";
  EXPECT_EQ(count(*waiter, "t"), 2);
}

// A full database (here at its max_page_count; a full disk fails the same way) is an error of
// its own kind that no retry can help: the caller stops instead of writing the batch again.
TEST_F(SqliteDriver, FullDatabaseIsAStorageErrorNotWorthRetrying) {
  auto c = open(url("full.db"));
  c->execute_script("CREATE TABLE t (x TEXT); PRAGMA max_page_count = 8;");
  try {
    for (int i = 0; i < 1000; ++i) c->execute("INSERT INTO t VALUES (printf('%0500d', 1))");
    ADD_FAILURE() << "500 KB fitted in 8 pages";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::storage) << e.what();
    EXPECT_FALSE(worth_rerunning_idempotent(e)) << e.what();
    EXPECT_TRUE(has(e, "database or disk is full")) << e.what();
  }
}

// A bulk writer and a cursor kept past their connection (an error path that reconnects
// first): using them is an error, destroying them is safe. Before, the writer's statements
// went back into the freed connection's cache (a heap-use-after-free, SIGSEGV in the run).
TEST_F(SqliteDriver, WriterAndCursorOutlivingTheirConnectionAreSafe) {
  auto c = open(url("a.db"));
  c->execute_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);");
  WriteSpec spec{.table = TableRef{"", "t"}, .columns = {"x"}, .mode = WriteMode::insert, .key = {}};
  auto writer = c->bulk_writer(spec);
  auto cursor = c->query("SELECT x FROM t");
  Batch first;
  ASSERT_TRUE(cursor->next(first, 1));
  c.reset();
  Column x;
  x.name = "x";
  x.type = Type::int64;
  Batch rows(std::make_shared<const Schema>(std::vector<Column>{x}));
  rows.append_row()[0] = Value(std::int64_t{4});
  for (auto use : {std::function<void()>([&] { writer->write(rows); }), std::function<void()>([&] {
         Batch more;
         cursor->next(more, 10);
       })}) {
    try {
      use();
      ADD_FAILURE() << "used after the connection closed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::internal) << e.what();
      EXPECT_TRUE(has(e, "after its connection was closed")) << e.what();
    }
  }
  writer.reset();
  cursor.reset();
  auto again = open(url("a.db"));
  EXPECT_EQ(count(*again, "t"), 3) << "the file closed cleanly, nothing written after";
}

TEST_F(SqliteDriver, StatementsAndCursors) {
  auto c = open("sqlite::memory:");
  c->execute_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);");
  // Two open cursors on the same SQL are independent (the statement cache hands out a new one).
  const std::string sql = "SELECT x FROM t ORDER BY x";
  auto a = c->query(sql);
  auto b = c->query(sql);
  Batch ba, bb;
  ASSERT_TRUE(a->next(ba, 2));
  ASSERT_TRUE(b->next(bb, 1));
  EXPECT_EQ(ba.at(1, 0), Value(2));
  EXPECT_EQ(bb.at(0, 0), Value(1));
  ASSERT_TRUE(b->next(bb, 5));
  EXPECT_EQ(bb.rows(), 2u);
  a.reset();
  b.reset();
  // More distinct statements than the cache holds, then the first again.
  for (int i = 0; i < 80; ++i) EXPECT_EQ(count(*c, "t WHERE x > " + std::to_string(i % 4 - 10 * i)), 3);
  EXPECT_EQ(count(*c, "t WHERE x > 0"), 3);
}

TEST_F(SqliteDriver, ExecuteTakesExactlyOneStatement) {
  auto c = open("sqlite::memory:");
  EXPECT_NO_THROW(c->execute("CREATE TABLE t (x INTEGER);  -- trailing comment\n"));
  for (const char* bad : {"", "   ", "-- only a comment", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"}) {
    try {
      c->execute(bad);
      ADD_FAILURE() << "executed `" << bad << "`";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::syntax) << e.what();
    }
  }
  EXPECT_EQ(count(*c, "t"), 0);
}

TEST_F(SqliteDriver, ListTablesHidesSqliteInternalsAndShowsViews) {
  auto c = open("sqlite::memory:");
  c->execute_script("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT); INSERT INTO a DEFAULT VALUES;"
                    "CREATE VIEW v AS SELECT id FROM a; CREATE TABLE \"My Table\" (x);");
  std::vector<std::string> names;
  for (const auto& t : c->list_tables()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"My Table", "a", "v"})) << "no sqlite_sequence";
}

TEST_F(SqliteDriver, RegistryNamesTheAvailableDriversForAnUnknownScheme) {
  Registry registry;  // not builtin(): what it holds changes as drivers are added
  registry.add(std::make_unique<sqlite::SqliteDriver>());
  EXPECT_EQ(&registry.for_scheme("sqlite"), &registry.for_scheme("sqlite"));
  EXPECT_EQ(registry.for_scheme("sqlite").scheme(), "sqlite");
  try {
    registry.for_scheme("mysql");
    ADD_FAILURE() << "found a mysql driver in a registry holding only SQLite";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported) << e.what();
    EXPECT_TRUE(has(e, "mysql")) << e.what();
    EXPECT_TRUE(has(e, "sqlite")) << e.what();
  }
}

}  // namespace
}  // namespace weir::db
