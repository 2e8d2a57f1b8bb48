// `weir validate`, `weir schema` and `weir run` on schedules, as a user drives them.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "support/test_support.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using test::run_weir;

class PipelineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    sql("src.db", "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, total NUMERIC);"
                  "INSERT INTO orders VALUES (1, 'Ana', 10.5), (2, 'Zoë', 20), (3, 'Bo', 30.25);");
  }

  void sql(const std::string& db, const std::string& text) {
    auto r = test::run_program({"sqlite3", dir_.file(db), text});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string scalar(const std::string& db, const std::string& text) {
    auto r = run_weir({"query", "--format", "csv", "sqlite:" + dir_.file(db), text});
    auto line = r.out.substr(r.out.find('\n') + 1);
    return line.substr(0, line.find('\n'));
  }
  std::string write(const std::string& name, const std::string& yaml) {
    test::write_file(dir_.file(name), yaml);
    return dir_.file(name);
  }

  test::TempDir dir_;
};

TEST_F(PipelineCli, ValidateListsEveryProblemWithFileLineAndPath) {
  std::string file = write("bad.yaml", R"(connections:
  src: "sqlite:src.db"
  dst: "sqlite:dst.db"
pipelines:
  p:
    input:
      sql_poll:
        connection: src
        qurey: "SELECT 1"
        schedule: "*/0 * * * *"
    output:
      sql_write: { connection: dts, table: t }
)");
  auto r = run_weir({"validate", file});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("bad.yaml:9:9: pipelines.p.input.sql_poll.qurey: unknown option `qurey` for sql_poll "
                       "(did you mean `query`?)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("missing required option `query`"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("connection `dts` is not defined under `connections:` (did you mean `dst`?)"),
            std::string::npos)
      << r.err;
}

TEST_F(PipelineCli, ValidateRejectsBadCronAndCursorMistakes) {
  std::string file = write("cron.yaml", R"(connections: { src: "sqlite:src.db" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders", schedule: "*/0 * * * *" } }
    output: { sql_write: { connection: src, table: t } }
  q:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders", cursor: { columns: [id] } } }
    output: { sql_write: { connection: src, table: t } }
)");
  auto r = run_weir({"validate", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pipelines.p.input.sql_poll.schedule: cron `*/0 * * * *`: minute step must be at least 1"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("must contain {{cursor}}"), std::string::npos) << r.err;
}

TEST_F(PipelineCli, ValidateCheckSqlAsksTheDatabases) {
  std::string good = write("good.yaml", R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders WHERE {{cursor}} ORDER BY id", cursor: { columns: [id] } } }
    output: { sql_write: { connection: dst, table: copy, create_table: true } }
)");
  auto r = run_weir({"validate", "--check-sql", good});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid (1 pipeline, 2 connections, every query prepared"), std::string::npos) << r.out;

  std::string bad2 = write("bad2.yaml", R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT id, custmer FROM orders" } }
    output: { sql_write: { connection: dst, table: nowhere } }
  q:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders WHERE {{cursor}}", cursor: { columns: [updated_at] } } }
    output: { sql_write: { connection: dst, table: copy, create_table: true } }
)");
  r = run_weir({"validate", "--check-sql", bad2});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("custmer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cursor column `updated_at` is not among the query's columns (id, customer, total)"),
            std::string::npos)
      << r.err;
}

TEST_F(PipelineCli, ValidateCheckSqlFindsTemplateFieldsTheInputCannotProduce) {
  sql("crm.db", "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);");
  std::string file = write("enrich.yaml", R"(connections: { src: "sqlite:src.db", crm: "sqlite:crm.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT id, customer FROM orders" } }
    filters:
      - sql_call:
          connection: crm
          queries:
            - sql: "SELECT name AS customer_name FROM customers WHERE id = {{record.custmer}}"
    output: { sql_write: { connection: dst, table: copy, create_table: true } }
)");
  auto r = run_weir({"validate", file});
  EXPECT_EQ(r.exit_code, 0) << "without --check-sql the input's columns are unknown: " << r.err;
  r = run_weir({"validate", "--check-sql", file});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("pipelines.p.filters[0].sql_call.queries[0].sql"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("custmer"), std::string::npos) << r.err;
}

TEST_F(PipelineCli, SchemaIsAJsonSchemaThatAcceptsTheExamplesAndRejectsTypos) {
  auto r = run_weir({"schema"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::write_file(dir_.file("schema.json"), r.out);
  std::string typo = write("typo.yaml", "pipelines:\n  p:\n    input: { sql_poll: { connection: a, qurey: x } }\n"
                                        "    output: { sql_write: { connection: a, table: t } }\n");
  // Validated by an independent implementation of JSON Schema (python3-jsonschema).
  std::string check = R"(
import glob, json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
examples = sorted(glob.glob(sys.argv[2] + "/examples/*.yaml"))
assert examples, "no examples"
for f in examples:
    errors = list(v.iter_errors(yaml.safe_load(open(f))))
    assert not errors, f + ": " + str(errors[0].message)
assert list(v.iter_errors(yaml.safe_load(open(sys.argv[3])))), "the typo passed"
print("checked", len(examples))
)";
  test::write_file(dir_.file("check.py"), check);
  auto v = test::run_program({"/usr/bin/python3", dir_.file("check.py"), dir_.file("schema.json"), WEIR_SOURCE_DIR,
                              typo});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("checked"), std::string::npos) << v.err;
}

TEST_F(PipelineCli, ScheduledPipelinePicksUpNewRowsUntilSigterm) {
  std::string file = write("every_second.yaml", R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input:
      sql_poll:
        connection: src
        query: "SELECT * FROM orders WHERE {{cursor}} ORDER BY id"
        cursor: { columns: [id] }
        schedule: "* * * * * *"
    output: { sql_write: { connection: dst, table: copy, create_table: true, batch: { rows: 100, interval: 50ms } } }
)");
  test::Background weir({"run", "--progress", "200ms", file}, dir_.path().string());
  auto wait_for = [&](const std::string& count) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline && weir.running()) {
      if (std::filesystem::exists(dir_.file("dst.db")) && scalar("dst.db", "SELECT count(*) FROM copy") == count)
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for("3")) << weir.err();
  sql("src.db", "INSERT INTO orders VALUES (4, 'Dee', 1), (5, 'Eli', 2)");
  ASSERT_TRUE(wait_for("5")) << "the next scheduled run reads the new rows: " << weir.err();
  weir.signal(SIGTERM);
  EXPECT_EQ(weir.wait(), 0) << weir.err();
  EXPECT_NE(weir.err().find("rows/s"), std::string::npos) << "progress lines: " << weir.err();
  EXPECT_NE(weir.out().find("read 5 rows, wrote 5 rows"), std::string::npos) << weir.out();
  EXPECT_EQ(scalar("dst.db", "SELECT group_concat(customer, ' ') FROM copy"), "Ana Zoë Bo Dee Eli");
}

TEST_F(PipelineCli, ResetForgetsTheCheckpoint) {
  std::string file = write("inc.yaml", R"(connections: { src: "sqlite:src.db", dst: "sqlite:dst.db" }
pipelines:
  p:
    input: { sql_poll: { connection: src, query: "SELECT * FROM orders WHERE {{cursor}} ORDER BY id", cursor: { columns: [id] } } }
    output: { sql_write: { connection: dst, table: copy, create_table: true, mode: upsert, key: [id] } }
)");
  auto r = run_weir({"run", file});
  EXPECT_NE(r.out.find("read 3 rows"), std::string::npos) << r.out;
  r = run_weir({"run", file});
  EXPECT_NE(r.out.find("read 0 rows"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir_.file(".weir/state.db"))) << "state lives next to the project file";
  r = run_weir({"run", "--reset", file});
  EXPECT_NE(r.out.find("read 3 rows"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace weir
