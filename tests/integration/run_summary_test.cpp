// The summary line of `weir run` on each target database: its numbers are what the target
// did — rows inserted, updated, deleted, keys not found — plus the rows dead-lettered (by a
// filter or the output) and skipped, and they add up to the rows read.
#include <fmt/format.h>
#include <gtest/gtest.h>


#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir {
namespace {

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file next to the pipeline
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

const Target kTargets[] = {
    {"Sqlite", nullptr},
    {"Postgres", "WEIR_TEST_PG_URL"},
    {"Mariadb", "WEIR_TEST_MYSQL_URL"},
};

// Source rows in a SQLite file; the target table `items` (id, name) on the parameter's database.
class RunSummary : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    if (GetParam().url_variable) {
      auto url = test::server_url(GetParam().url_variable);
      if (!url) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
      target_url_ = "\"${" + std::string(GetParam().url_variable) + "}\"";
      config_.url = Url::parse(*url);
    } else {
      target_url_ = "\"sqlite:dst.db\"";
      config_.url = Url::parse("sqlite:" + dir_.file("dst.db"));
    }
    db_ = db::connect(config_);
    table_ = "rs_" + test::unique_suffix();
    db_->execute("CREATE TABLE " + table_ + " (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50))");
    source_ = db::connect(db::ConnectionConfig{.name = "src", .url = Url::parse("sqlite:" + dir_.file("src.db")),
                                               .init_script = {}});
    source_->execute_script("CREATE TABLE src(id INTEGER PRIMARY KEY, name TEXT, doc TEXT)");
  }

  void TearDown() override {
    if (db_) db_->execute_script("DROP TABLE IF EXISTS " + table_);
  }

  // Rows id = first..last named "<prefix><id>" into the target.
  void seed_target(int first, int last, const std::string& prefix) {
    Batch batch(std::make_shared<const Schema>(std::vector<Column>{{"id", Type::int64, "", false}, {"name", Type::text, "", true}}));
    for (int i = first; i <= last; ++i) {
      std::span<Value> row = batch.append_row();
      row[0] = Value(i);
      row[1] = Value(prefix + std::to_string(i));
    }
    auto writer = db_->bulk_writer({db::TableRef{"", table_}, {"id", "name"}, db::WriteMode::insert, {}});
    writer->write(batch);
  }

  // Rows id = first..last named "<prefix><id>" into the source, doc a JSON object.
  void seed_source(int first, int last, const std::string& prefix) {
    source_->execute_script(fmt::format(
        "WITH RECURSIVE s(x) AS (SELECT {} UNION ALL SELECT x + 1 FROM s WHERE x < {}) "
        "INSERT INTO src SELECT x, '{}' || x, json_object('n', x) FROM s",
        first, last, prefix));
  }

  // Runs the pipeline `p` (input: the source's rows in id order; `filters`) into the target
  // with `mode`; returns stdout, expecting `exit_code` (3: completed with dead letters).
  std::string run(const std::string& mode, const std::string& filters = "", int exit_code = 0) {
    std::string yaml = fmt::format(R"(connections:
  src: "sqlite:src.db"
  dst: {}
pipelines:
  p:
    input: {{ sql_poll: {{ connection: src, query: "SELECT id, name, doc FROM src ORDER BY id" }} }}
{}    output: {{ sql_write: {{ connection: dst, table: {}, mode: {}, key: [id], columns: {{ id: id, name: name }} }} }}
)",
                                   target_url_, filters, table_, mode);
    test::write_file(dir_.file("p.yaml"), yaml);
    auto r = test::run_weir({"run", "--once", "--progress", "0s", dir_.file("p.yaml")}, dir_.path().string());
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    return r.out;
  }

  std::string count() { return test::scalar(*db_, "SELECT count(*) FROM " + table_); }

  test::TempDir dir_;
  db::ConnectionConfig config_;
  std::unique_ptr<db::Connection> db_, source_;
  std::string target_url_, table_;
};

INSTANTIATE_TEST_SUITE_P(Targets, RunSummary, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

// 5,001 keys sent, 5,000 there: the first batch of 5,000 rows (on PostgreSQL through the
// stage), then one row alone.
TEST_P(RunSummary, UpdateCountsTheKeyNotFound) {
  seed_target(1, 5000, "old");
  seed_source(1, 5001, "new");
  std::string out = run("update");
  EXPECT_NE(out.find("pipeline p: read 5001 rows, wrote 5000 rows (updated 5000), 1 not found in"), std::string::npos)
      << out;
  EXPECT_EQ(test::scalar(*db_, "SELECT count(*) FROM " + table_ + " WHERE name LIKE 'new%'"), "5000");
}

TEST_P(RunSummary, DeleteCountsTheKeysNotFound) {
  seed_target(1, 10, "old");
  seed_source(5, 14, "x");
  std::string out = run("delete");
  EXPECT_NE(out.find("pipeline p: read 10 rows, wrote 6 rows (deleted 6), 4 not found in"), std::string::npos) << out;
  EXPECT_EQ(count(), "4");
}

// 2 rows inserted, 2 updated and one left as it was, holding the values already.
TEST_P(RunSummary, UpsertSplitsInsertsFromUpdates) {
  seed_target(1, 3, "old");
  db_->execute("UPDATE " + table_ + " SET name = 'new1' WHERE id = 1");  // already what the source says
  seed_source(1, 5, "new");
  std::string out = run("upsert");
  EXPECT_NE(out.find("pipeline p: read 5 rows, wrote 5 rows (inserted 2, updated 2, unchanged 1) in"),
            std::string::npos)
      << out;
  EXPECT_EQ(count(), "5");
}

// 20 records: id 3's lookup fails (dead letter), id 5's second lookup fails (skip), id 1 is
// already in the target (the output's dead letter).
TEST_P(RunSummary, FilterDeadLettersAndSkipsAreCounted) {
  seed_target(1, 1, "old");
  seed_source(1, 20, "new");
  source_->execute_script("UPDATE src SET doc = 'not json' WHERE id IN (3, 5)");
  std::string out = run("insert", R"(    filters:
      - sql_call:
          connection: src
          when: "record.id != 5"
          queries: [{ sql: "SELECT json_extract({{record.doc}}, '$.n') AS n", on_error: dead_letter }]
      - sql_call:
          connection: src
          queries: [{ sql: "SELECT json_extract({{record.doc}}, '$.n') AS again", on_error: skip }]
)",
                        3);
  EXPECT_NE(out.find("pipeline p: read 20 rows, wrote 17 rows, 2 to dead letters, 1 skipped in"), std::string::npos)
      << out;
  EXPECT_EQ(count(), "18");
}

}  // namespace
}  // namespace weir
