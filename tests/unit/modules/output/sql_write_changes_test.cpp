// sql_write given batches whose shape changes mid-stream and change rows whose cells the
// source did not send, through the real runner and commit engine on SQLite files.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pipeline/runner.hpp"
#include "support/scripted_input.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline {
namespace {

std::shared_ptr<const Schema> shape(std::vector<std::string> names) {
  std::vector<Column> columns;
  for (std::string& name : names) {
    Column c;
    c.name = std::move(name);
    c.type = c.name == "id" ? Type::int64 : Type::text;
    columns.push_back(std::move(c));
  }
  return std::make_shared<const Schema>(std::move(columns), SourceTable{"public", "customers"});
}

class SqlWriteChangesTest : public ::testing::Test {
 protected:
  std::unique_ptr<db::Connection> open_target() { return test::open_sqlite(dir_.file("dst.db")); }

  PipelineStats run(std::vector<Batch> batches) {
    test::write_file(dir_.file("p.yaml"),
                     "connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\npipelines:\n  p:\n"
                     "    input: { sql_poll: { connection: src, query: \"SELECT 1 AS id\" } }\n"
                     "    output: { sql_write: { connection: dst, table: customers, mode: upsert, key: [id],"
                     " create_table: true } }\n"
                     "    dead_letter: { connection: dst }\n"
                     "    max_errors: 10\n");
    Project project = load_project(dir_.file("p.yaml"));
    project.pipelines.at(0).input = std::make_unique<test::ScriptedInput>(std::move(batches));
    return run_all(project).at(0);
  }

  std::string rows() {
    return test::scalar(*open_target(),
                        "SELECT group_concat(id || ':' || name || ':' || coalesce(notes, 'NULL'), ' ') "
                        "FROM (SELECT * FROM customers ORDER BY id)");
  }

  test::TempDir dir_;
};

TEST_F(SqlWriteChangesTest, ABatchInAnotherShapeIsMappedByNameAndUnsentCellsAreNeverOverwritten) {
  Batch first(shape({"id", "name", "notes"}));
  for (auto [id, name, notes] : {std::tuple{1, "ann", "vip"}, std::tuple{2, "bob", "long text kept out of line"}}) {
    auto row = first.append_row();
    row[0] = Value(id), row[1] = Value(name), row[2] = Value(notes);
  }
  // The same table, its columns in another order (a new Schema mid-stream), as changes.
  Batch second(shape({"notes", "name", "id"}));
  auto insert = second.append_change(ChangeOp::insert);
  insert[0] = Value("new"), insert[1] = Value("cy"), insert[2] = Value(3);
  auto update = second.append_change(ChangeOp::update);
  update[0] = Value(nullptr), update[1] = Value("bobby"), update[2] = Value(2);
  second.mark_unsent(1, 0);  // notes: unchanged, not sent
  auto update_ann = second.append_change(ChangeOp::update);
  update_ann[0] = Value("vvip"), update_ann[1] = Value("ann"), update_ann[2] = Value(1);
  second.end_transaction();

  PipelineStats stats = run({first, second});
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(rows(), "1:ann:vvip 2:bob:long text kept out of line 3:cy:new");
  EXPECT_EQ(stats.rows_rejected, 1u);
  EXPECT_EQ(test::scalar(*open_target(), "SELECT error_kind || ' | ' || error_message || ' | ' || record "
                                         "FROM weir_dead_letters"),
            "data | column `notes`: the source did not send its value (unchanged and stored out of line, as "
            "PostgreSQL does with TOASTed values); sql_write would overwrite it | "
            R"({"id":2,"name":"bobby","notes":null})");
}

TEST_F(SqlWriteChangesTest, ABatchMissingAColumnTheTargetIsWrittenFromStopsWithItsName) {
  Batch first(shape({"id", "name", "notes"}));
  auto row = first.append_row();
  row[0] = Value(1), row[1] = Value("ann"), row[2] = Value("vip");
  Batch narrower(shape({"id", "name"}));
  auto next = narrower.append_row();
  next[0] = Value(2), next[1] = Value("bob");

  PipelineStats stats = run({first, narrower});
  EXPECT_NE(stats.error.find("pipelines.p.output.sql_write: the input's fields changed: `notes`, written to "
                             "`customers` from the first batch on, is missing"),
            std::string::npos)
      << stats.error;
  EXPECT_EQ(test::scalar(*open_target(), "SELECT count(*) FROM customers WHERE id = 2"), "0");
}

TEST_F(SqlWriteChangesTest, ABatchWithAFieldTheTargetDoesNotTakeStopsWithItsName) {
  Batch first(shape({"id", "name"}));
  auto row = first.append_row();
  row[0] = Value(1), row[1] = Value("ann");
  Batch wider(shape({"id", "name", "notes"}));
  auto next = wider.append_row();
  next[0] = Value(2), next[1] = Value("bob"), next[2] = Value("x");

  PipelineStats stats = run({first, wider});
  EXPECT_NE(stats.error.find("the input's fields changed: `notes` is not among the columns written to `customers` "
                             "(taken from the first batch: id, name)"),
            std::string::npos)
      << stats.error;
}

}  // namespace
}  // namespace weir::pipeline
