// sql_apply's options and table routing, through the real runner on SQLite files: `tables`
// mixing target names and objects, column mapping with a configured key, a missing target
// table, two source tables falling on one target name. (Each database's writes are covered by
// tests/integration/sql_apply_test.cpp.)
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/yaml_document.hpp"
#include "pipeline/runner.hpp"
#include "support/scripted_input.hpp"
#include "support/test_support.hpp"

namespace weir::pipeline {
namespace {

std::shared_ptr<const Schema> docs(std::string schema) {
  std::vector<Column> columns(3);
  columns[0].name = "id", columns[0].type = Type::int64, columns[0].primary_key = true;
  columns[1].name = "note", columns[1].type = Type::text;
  columns[2].name = "doc", columns[2].type = Type::text;
  return std::make_shared<const Schema>(std::move(columns), SourceTable{std::move(schema), "docs"});
}

void change(Batch& b, ChangeOp op, std::int64_t id, const char* note) {
  auto row = b.append_change(op);
  row[0] = Value(id), row[1] = Value(note), row[2] = Value("doc");
}

class SqlApplyTest : public ::testing::Test {
 protected:
  SqlApplyTest() {
    test::open_sqlite(dir_.file("dst.db"))
        ->execute_script("CREATE TABLE labels (ident bigint PRIMARY KEY, label text, extra text DEFAULT 'kept');"
                         "CREATE TABLE docs (id bigint PRIMARY KEY, note text, doc text)");
  }

  // The YAML of a pipeline applying to dst.db with `options`.
  std::string yaml(const std::string& options) const {
    return fmt::format("connections:\n  src: \"sqlite:src.db\"\n  dst: \"sqlite:dst.db\"\npipelines:\n  p:\n"
                       "    input: {{ sql_poll: {{ connection: src, query: \"SELECT 1 AS id\" }} }}\n"
                       "    output: {{ sql_apply: {{ connection: dst{} }} }}\n",
                       options);
  }

  PipelineStats run(const std::string& options, std::vector<Batch> batches) {
    test::write_file(dir_.file("p.yaml"), yaml(options));
    Project project = load_project(dir_.file("p.yaml"));
    project.pipelines.at(0).input = std::make_unique<test::ScriptedInput>(std::move(batches));
    return run_all(project).at(0);
  }

  std::string query(const std::string& sql) { return test::scalar(*test::open_sqlite(dir_.file("dst.db")), sql); }

  test::TempDir dir_;
};

// `columns` renames and selects; `key` finds rows by the target's name for it; a column not
// mapped keeps what the target holds.
TEST_F(SqlApplyTest, ColumnsAreMappedAndTheConfiguredKeyFindsTheRows) {
  Batch b(docs("public"));
  change(b, ChangeOp::insert, 1, "a");
  change(b, ChangeOp::insert, 2, "b");
  change(b, ChangeOp::update, 1, "a2");
  change(b, ChangeOp::remove, 2, "b");
  b.end_transaction();
  PipelineStats stats =
      run(", tables: { public.docs: { table: labels, columns: { ident: id, label: note }, key: [ident] } }", {b});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(query("SELECT group_concat(ident || ':' || label || ':' || extra, ' ') FROM labels"), "1:a2:kept");
}

TEST_F(SqlApplyTest, AMissingTargetTableStopsNamingIt) {
  Batch b(docs("public"));
  change(b, ChangeOp::insert, 1, "a");
  b.end_transaction();
  PipelineStats stats = run(", tables: { public.docs: nowhere }", {b});
  EXPECT_NE(stats.error.find("pipelines.p.output.sql_apply: table `nowhere` (changes of `public.docs`) does not "
                             "exist: create it first"),
            std::string::npos)
      << stats.error;
}

// Without `tables` each table goes to the table of its name: two schemas' `docs` would mix.
TEST_F(SqlApplyTest, TwoSourceTablesOnOneDefaultTargetStop) {
  Batch a(docs("public")), b(docs("archive"));
  change(a, ChangeOp::insert, 1, "a");
  a.end_transaction();
  change(b, ChangeOp::insert, 1, "b");
  b.end_transaction();
  PipelineStats stats = run("", {a, b});
  EXPECT_EQ(stats.error,
            "pipelines.p.output.sql_apply applying changes: `public.docs` and `archive.docs` would both go to table "
            "`docs`; name their targets in `tables`");
}

// An update of a row the target lacks: `upsert` inserts it when every column was sent;
// `update` counts it as not found, as `upsert` does for one with a cell not sent.
TEST_F(SqlApplyTest, AnUpdateOfAMissingRowIsInsertedOnlyByUpsertAndOnlyWhole) {
  Batch b(docs("public"));
  change(b, ChangeOp::update, 1, "whole");
  change(b, ChangeOp::update, 2, "partial");
  b.mark_unsent(1, 2);
  b.end_transaction();
  PipelineStats stats = run(", on_conflict: update", {b});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(stats.written, (db::WriteCounts{.not_found = 2}));
  EXPECT_EQ(query("SELECT count(*) FROM docs"), "0");

  stats = run(", on_conflict: upsert", {b});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(stats.written, (db::WriteCounts{.inserted = 1, .not_found = 1}));
  EXPECT_EQ(query("SELECT group_concat(id || ':' || note || ':' || doc, ' ') FROM docs"), "1:whole:doc");

  // The same for an update that changes the key: not found under its old key (7), it is put in
  // place under its new one by upsert only.
  Batch moved(docs("public"));
  change(moved, ChangeOp::update, 8, "moved");
  moved.set_before(0)[0] = Value(7);
  moved.end_transaction();
  EXPECT_EQ(run(", on_conflict: update", {moved}).written, (db::WriteCounts{.not_found = 1}));
  EXPECT_EQ(run(", on_conflict: upsert", {moved}).written, (db::WriteCounts{.inserted = 1}));
  EXPECT_EQ(query("SELECT group_concat(id || ':' || note, ' ') FROM docs"), "1:whole 8:moved");
}

// A table whose key is all its columns (a link table): a delete whose cells are empty finds
// its row by the before image all the same.
TEST_F(SqlApplyTest, DeletesFindTheirRowsByTheBeforeImageWhenTheKeyIsEveryColumn) {
  test::open_sqlite(dir_.file("dst.db"))->execute_script("CREATE TABLE links (a bigint, b bigint, PRIMARY KEY (a, b))");
  std::vector<Column> columns(2);
  columns[0].name = "a", columns[0].type = Type::int64, columns[0].primary_key = true;
  columns[1].name = "b", columns[1].type = Type::int64, columns[1].primary_key = true;
  Batch b(std::make_shared<const Schema>(std::move(columns), SourceTable{"public", "links"}));
  for (int a : {1, 3}) {
    auto row = b.append_change(ChangeOp::insert);
    row[0] = Value(a), row[1] = Value(a + 1);
  }
  b.end_transaction();
  ASSERT_EQ(run("", {b}).error, "");
  b.clear();
  auto gone = b.append_change(ChangeOp::remove);
  gone[0] = Value(nullptr), gone[1] = Value(nullptr);
  auto old = b.set_before(0);
  old[0] = Value(1), old[1] = Value(2);
  b.end_transaction();
  PipelineStats stats = run("", {b});
  ASSERT_EQ(stats.error, "");
  EXPECT_EQ(stats.written, (db::WriteCounts{.deleted = 1}));
  EXPECT_EQ(query("SELECT group_concat(a || '-' || b, ' ') FROM links"), "3-4");
}

// `weir validate --check-sql` finds a target table that is not there, naming its option.
TEST_F(SqlApplyTest, CheckingTheTargetsNamesAMissingTable) {
  test::write_file(dir_.file("p.yaml"), yaml(", tables: { public.docs: docs, public.gone: gone }"));
  Project project = load_project(dir_.file("p.yaml"));
  try {
    project.pipelines.at(0).output->probe(nullptr);
    ADD_FAILURE() << "a missing table passed the check";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pipelines.p.output.sql_apply.tables.public.gone: table `gone` on connection "
                                         "`dst`"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

// `tables` may mix target names and objects; an object's options are checked like any other.
TEST_F(SqlApplyTest, TablesMixNamesAndObjectsAndTheirOptionsAreChecked) {
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_NO_THROW(build_project(
      config::parse_document(yaml(", tables: { public.a: a, public.b: { table: b, key: [id] } }"), "p.yaml", env)));
  try {
    build_project(config::parse_document(yaml(", tables: { public.a: a, public.b: { tabel: b } }"), "p.yaml", env));
    ADD_FAILURE() << "a misspelt option loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pipelines.p.output.sql_apply.tables.public.b.tabel: unknown option `tabel` "
                                         "for sql_apply table (did you mean `table`?)"),
              std::string::npos)
        << e.what();
  }
  try {
    build_project(config::parse_document(yaml(", tables: { public.a: \"\" }"), "p.yaml", env));
    ADD_FAILURE() << "an empty table name loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pipelines.p.output.sql_apply.tables.public.a: "), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace weir::pipeline
