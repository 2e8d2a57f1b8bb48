// The fixture of the sql_apply tests (sql_apply_test.cpp, cdc_apply_test.cpp): a target on
// each database (SQLite, PostgreSQL, MariaDB) with a table `ord_…` (id key, note, doc), batches
// of change records a test builds (Changes), and run(), which puts them through sql_apply with
// the real runner and commit engine.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <mutex>

#include "pipeline/runner.hpp"
#include "support/scripted_input.hpp"
#include "support/test_support.hpp"
#include "weir/db/driver.hpp"

namespace weir::pipeline::apply_test {

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* big_text;      // a column type holding 1 MB of text
  const char* rows_sql;      // {table}'s rows as "id:note id:note …" in id order
};

inline void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

const Target kSqlite{"Sqlite", nullptr, "text",
                     "SELECT coalesce(group_concat(id || ':' || note, ' '), '') FROM (SELECT * FROM {table} ORDER BY id)"};
const Target kPostgres{"Postgres", "WEIR_TEST_PG_URL", "text",
                       "SELECT coalesce(string_agg(id || ':' || note, ' ' ORDER BY id), '') FROM {table}"};
const Target kMariadb{"Mariadb", "WEIR_TEST_MYSQL_URL", "longtext",
                      "SELECT coalesce(group_concat(id, ':', note ORDER BY id SEPARATOR ' '), '') FROM {table}"};

// Changes of one source table (id key, note, doc), each at position "0/<lsn>:<index>".
class Changes {
 public:
  Changes(SourceTable source, std::uint64_t lsn) : batch(shape(std::move(source))), lsn_(lsn) {}
  Changes& insert(std::int64_t id, std::string note, std::string doc = "d") {
    return add(ChangeOp::insert, id, std::move(note), std::move(doc));
  }
  Changes& update(std::int64_t id, std::string note, std::optional<std::string> doc, std::int64_t old_id = 0) {
    add(ChangeOp::update, id, std::move(note), doc.value_or(""));
    if (!doc) batch.mark_unsent(batch.rows() - 1, 2);
    if (old_id) batch.set_before(batch.rows() - 1)[0] = Value(old_id);
    return *this;
  }
  Changes& remove(std::int64_t id) {
    add(ChangeOp::remove, 0, "", "");
    batch.row(batch.rows() - 1)[0] = Value(nullptr), batch.row(batch.rows() - 1)[1] = Value(nullptr);
    batch.set_before(batch.rows() - 1)[0] = Value(id);  // the key only, as REPLICA IDENTITY DEFAULT sends
    return *this;
  }
  Changes& truncate() { return add(ChangeOp::truncate, 0, "", ""); }
  Changes& end() {
    batch.end_transaction();
    ++lsn_;
    index_ = 0;
    return *this;
  }
  Batch batch;

 private:
  static std::shared_ptr<const Schema> shape(SourceTable source) {
    std::vector<Column> columns(3);
    columns[0].name = "id", columns[0].type = Type::int64, columns[0].primary_key = true;
    columns[1].name = "note", columns[1].type = Type::text;
    columns[2].name = "doc", columns[2].type = Type::text;
    return std::make_shared<const Schema>(std::move(columns), std::move(source));
  }
  Changes& add(ChangeOp op, std::int64_t id, std::string note, std::string doc) {
    auto row = batch.append_change(op);
    row[0] = Value(id), row[1] = Value(std::move(note)), row[2] = Value(std::move(doc));
    batch.set_position(batch.rows() - 1, ChangePosition{.commit_lsn = lsn_, .index = index_++});
    return *this;
  }
  std::uint64_t lsn_;
  std::uint64_t index_ = 0;
};

class SqlApply : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    auto opened = test::open_target(GetParam().url_variable, dir_, "dst.db");
    if (!opened) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
    yaml_url_ = opened->yaml_url;
    url_ = opened->url;
    db_ = std::move(opened->connection);
    const std::string suffix = test::unique_suffix();
    source_ = SourceTable{"public", "orders_" + suffix};
    table_ = "ord_" + suffix;
    letters_ = "letters_" + suffix;
    pipeline_ = "apply_" + suffix;  // its own checkpoint in the shared weir_state
    db_->execute_script(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, note varchar(40) NOT NULL, doc {})",
                                    table_, GetParam().big_text));
  }
  void TearDown() override {
    if (db_)
      db_->execute_script(fmt::format("DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {}", table_, letters_));
  }

  Changes changes(std::uint64_t lsn) const { return Changes(source_, lsn); }

  // Runs the batches through sql_apply with `options` (YAML flow-map entries).
  PipelineStats run(std::vector<Batch> batches, const std::string& options = "") {
    test::write_file(
        dir_.file("p.yaml"),
        fmt::format("connections:\n  src: \"sqlite:src.db\"\n  dst: {}\npipelines:\n  {}:\n"
                    "    input: {{ sql_poll: {{ connection: src, query: \"SELECT 1 AS id\" }} }}\n"
                    "    output: {{ sql_apply: {{ connection: dst, tables: {{ {}.{}: {} }}{}{} }} }}\n"
                    "    dead_letter: {{ connection: dst, table: {} }}\n"
                    "    state: {{ connection: dst }}\n    max_errors: 10\n",
                    yaml_url_, pipeline_, source_.schema, source_.name, route_.empty() ? table_ : route_, options.empty() ? "" : ", ", options, letters_));
    Project project = load_project(dir_.file("p.yaml"));
    // What the target held when the input heard that its checkpoint committed.
    acknowledged_.clear();
    project.pipelines.at(0).input = std::make_unique<test::ScriptedInput>(
        std::move(batches), true, [this](std::string_view checkpoint) {
          std::lock_guard lock(mutex_);
          acknowledged_.push_back(std::string(checkpoint) + " " + rows());
        });
    return run_all(project).at(0);
  }

  // The target's rows, read on a connection of its own.
  std::string rows() {
    db::ConnectionConfig config;
    config.url = Url::parse(url_);
    return test::scalar(*db::connect(config), fmt::format(fmt::runtime(GetParam().rows_sql), fmt::arg("table", table_)));
  }
  std::string scalar(const std::string& sql) { return test::scalar(*db_, sql); }

  test::TempDir dir_;
  std::string yaml_url_, url_, table_, letters_, pipeline_;
  std::string route_;  // `tables.<source>` when not table_: another name, or `{ table: …, columns: … }`
  SourceTable source_;
  std::unique_ptr<db::Connection> db_;
  std::mutex mutex_;
  std::vector<std::string> acknowledged_;
};

}  // namespace weir::pipeline::apply_test
