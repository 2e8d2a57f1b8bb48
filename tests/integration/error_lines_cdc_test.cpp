// Errors that say where (issue 17, item 5), for the change-stream modules: sql_apply, jsonl and
// postgres_cdc. Each line is pinned whole: the stage's YAML path, and where they apply the
// table, the column, the row's key and the source position (LSN:index).
//   - a value the target refuses in sql_apply, on PostgreSQL, MariaDB and SQLite: where the
//     database's message names no column (PostgreSQL's "value too long for type character
//     varying(3)", "numeric field overflow"), weir names it from the target's catalog;
//   - a jsonl file that cannot be written (a full disk) or opened (no permission);
//   - a postgres_cdc table that does not exist, and one its publication leaves out;
//   - a change postgres_cdc cannot read mid-stream (a value in a binary form weir does not read).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "log_lines.hpp"
#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using test::lines_with;

struct Target {
  const char* name;
  const char* url_variable;  // nullptr: a SQLite file in the test's directory
  const char* columns;       // dst's columns: code refuses 'abcd' (SQLite: NULL), n refuses 123.45
  // The two warning lines, {0} the pipeline, {1} the target table, {2} and {3} the positions.
  const char* too_long;
  const char* overflow;
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

// A postgres_cdc pipeline into sql_apply on a target database, dst_ dropped at the end.
class ApplyTargetTest : public PostgresCdcTest {
 protected:
  void TearDown() override {
    if (target_) target_->connection->execute("DROP TABLE IF EXISTS " + dst_);
    if (target_) target_->connection->execute("DROP TABLE IF EXISTS " + dst_ + "_letters");
    PostgresCdcTest::TearDown();
  }
  std::optional<test::TargetDatabase> target_;
  std::string dst_;
};

class ErrorLinesCdcApply : public ApplyTargetTest, public ::testing::WithParamInterface<Target> {};

using ErrorLinesCdcApplyMariadb = ApplyTargetTest;

// One refused change per run (a run's first rejected row is the one it names in a line).
TEST_P(ErrorLinesCdcApply, AValueTheTargetRefusesNamesTheTableTheColumnTheKeyAndThePosition) {
  target_ = test::open_target(GetParam().url_variable, dir_, "dst.db");
  if (!target_) GTEST_SKIP() << test::no_server_reason(GetParam().url_variable);
  const std::string src = table("src", "id bigint PRIMARY KEY, code text, n numeric");
  dst_ = "dst_" + s_;
  target_->connection->execute(fmt::format("CREATE TABLE {} ({})", dst_, GetParam().columns));
  std::string file = pipeline_file({src}, "\"${WEIR_TEST_PG_URL}\"", "",
                                   fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", src, dst_),
                                   target_->yaml_url);
  test::write_file(file, test::read_file(file) + fmt::format("    dead_letter: {{ connection: dst, table: {}_letters }}\n", dst_));
  ASSERT_EQ(run_once(file).exit_code, 0);
  auto position_of = [&](const std::string& key) {
    return test::scalar(*target_->connection,
                        fmt::format("SELECT position FROM {}_letters WHERE record LIKE '%\"id\":{},%'", dst_, key));
  };

  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'abc', 1.5)", src));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, {}, 2.5)", src, GetParam().url_variable ? "'abcd'" : "NULL"));
  auto first = run_once(file);
  EXPECT_EQ(first.exit_code, 3) << first.err;
  auto warnings = lines_with(first.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << first.err;
  EXPECT_EQ(warnings[0], fmt::format(fmt::runtime(GetParam().too_long), pipeline_, dst_, position_of("2")));

  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 'xyz', 123.45)", src));
  auto second = run_once(file);
  EXPECT_EQ(second.exit_code, 3) << second.err;
  warnings = lines_with(second.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << second.err;
  EXPECT_EQ(warnings[0], fmt::format(fmt::runtime(GetParam().overflow), pipeline_, dst_, position_of("3")));
}

const Target kApplyTargets[] = {
    {"Postgres", "WEIR_TEST_PG_URL", "id bigint PRIMARY KEY, code varchar(3), n numeric(4,2)",
     "warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=2 (source position {2}): "
     "column `code` (character varying(3)) cannot hold a text of 4 characters: writing to `{1}`, row 1 of the batch: "
     "value too long for type character varying(3) [SQLSTATE 22001]; it goes to the dead letters, as do later "
     "rejected rows (counted in the progress lines and the summary)",
     "warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=3 (source position {2}): "
     "column `n` (numeric(4,2)) cannot hold 123.45: at most 2 digits before the point: writing to `{1}`, row 1 of "
     "the batch: numeric field overflow "
     "(A field with precision 4, scale 2 must round to an absolute value less than 10^2.) [SQLSTATE 22003]; it goes "
     "to the dead letters, as do later rejected rows (counted in the progress lines and the summary)"},
    {"Mariadb", "WEIR_TEST_MYSQL_URL", "id bigint PRIMARY KEY, code varchar(3), n decimal(4,2)",
     "warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=2 (source position {2}): "
     "upserting rows 1\u2013" "1 of the batch into `{1}` through a stage: running statement: Data too long for "
     "column 'code' at row 1 [errno 1406, SQLSTATE 22001]; it goes to the dead letters, as do later rejected rows "
     "(counted in the progress lines and the summary)",
     "warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=3 (source position {2}): "
     "upserting rows 1\u2013" "1 of the batch into `{1}` through a stage: running statement: Out of range value "
     "for column 'n' at row 1 [errno 1264, SQLSTATE 22003]; it goes to the dead letters, as do later rejected rows "
     "(counted in the progress lines and the summary)"},
    {"Sqlite", nullptr, "id bigint PRIMARY KEY, code text NOT NULL, n numeric CONSTRAINT n_range CHECK (n < 100)",
     "warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=2 (source position {2}): "
     "writing row 1 of the batch to `{1}`: NOT NULL constraint failed: {1}.code; it goes to the dead letters, as do "
     "later rejected rows (counted in the "
     "progress lines and the summary)",
     "warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=3 (source position {2}): "
     "check `n_range` (n < 100) refuses column `n` = \"123.45\": writing row 1 of the batch to `{1}`: CHECK "
     "constraint failed: n_range; it goes to the dead letters, as do later rejected rows (counted in the "
     "progress lines and the summary)"},
};
INSTANTIATE_TEST_SUITE_P(Targets, ErrorLinesCdcApply, ::testing::ValuesIn(kApplyTargets),
                         [](const auto& info) { return std::string(info.param.name); });

// MariaDB names only the CHECK a row breaks ("CONSTRAINT `n_range` failed for `db`.`t`"): the
// line names the column its condition reads, with the value, on the real server.
TEST_F(ErrorLinesCdcApplyMariadb, ACheckConstraintNamesTheColumnItsConditionReads) {
  target_ = test::open_target("WEIR_TEST_MYSQL_URL", dir_, "dst.db");
  if (!target_) GTEST_SKIP() << test::no_server_reason("WEIR_TEST_MYSQL_URL");
  const std::string src = table("src", "id bigint PRIMARY KEY, n numeric");
  dst_ = "dst_" + s_;
  target_->connection->execute(
      fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, n decimal(10,2), CONSTRAINT n_range CHECK (n < 100))", dst_));
  std::string file = pipeline_file({src}, "\"${WEIR_TEST_PG_URL}\"", "",
                                   fmt::format("sql_apply: {{ connection: dst, tables: {{ public.{}: {} }} }}", src, dst_),
                                   target_->yaml_url);
  test::write_file(file, test::read_file(file) + fmt::format("    dead_letter: {{ connection: dst, table: {}_letters }}\n", dst_));
  ASSERT_EQ(run_once(file).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 1.5)", src));
  db_->execute(fmt::format("INSERT INTO {} VALUES (3, 123.45)", src));
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string position = test::scalar(*target_->connection, fmt::format("SELECT position FROM {}_letters", dst_));
  const std::string database = test::scalar(*target_->connection, "SELECT DATABASE()");
  auto warnings = lines_with(r.err, "warning");
  ASSERT_EQ(warnings.size(), 1u) << r.err;
  EXPECT_EQ(warnings[0],
            fmt::format("warning pipelines.{0}.output.sql_apply: table `{1}` rejected the row with key id=3 (source "
                        "position {2}): check `n_range` (`n` < 100) refuses column `n` = \"123.45\": upserting "
                        "rows 1\u2013" "1 of the batch into `{1}` through a stage: running statement: CONSTRAINT "
                        "`n_range` failed for `{3}`.`{1}` [errno 4025, SQLSTATE 23000]; it goes to the dead letters, as "
                        "do later rejected rows (counted in the progress lines and the summary)",
                        pipeline_, dst_, position, database));
  EXPECT_EQ(test::scalar(*target_->connection, "SELECT count(*) FROM " + dst_), "1") << "the change before it committed";
}

class ErrorLinesCdc : public PostgresCdcTest {
 protected:
  std::vector<std::string> failures(const test::CommandResult& r) { return lines_with(r.err, "failed"); }
  // The server's URL as weir shows it, password masked.
  std::string shown_url() { return Url::parse(*test::server_url("WEIR_TEST_PG_URL")).to_string(); }
};

// A full disk under the jsonl file (/dev/full refuses every write with ENOSPC): the line names
// the stage, the file and where in the stream the lines not on disk begin.
TEST_F(ErrorLinesCdc, AJsonlFileThatCannotBeWrittenNamesTheStageTheFileAndThePosition) {
  const std::string src = table("src", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({src}, "\"${WEIR_TEST_PG_URL}\"", "/dev/full");
  ASSERT_EQ(run_once(file).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one')", src));
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto lines = failures(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(std::regex_replace(lines[0], std::regex("[0-9A-F]+/[0-9A-F]+:0"), "LSN:0"),
            fmt::format("weir: pipeline {0} failed: {1}: pipelines.{0}.output.jsonl writing to /dev/full: /dev/full "
                        "is full: free space and run again; nothing of the failed batch was committed: writing "
                        "/dev/full (the lines from source position LSN:0 on): No space left on device",
                        pipeline_, file));
}

// A folder that does not exist (as a file without write permission would: weir's tests run as root).
TEST_F(ErrorLinesCdc, AJsonlFileThatCannotBeOpenedNamesTheStageAndTheFile) {
  const std::string src = table("src", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({src}, "\"${WEIR_TEST_PG_URL}\"", "missing/out.jsonl");
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto lines = failures(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0], fmt::format("weir: pipeline {0} failed: {1}: pipelines.{0}.output.jsonl writing to {2}: "
                                  "opening {2}: No such file or directory",
                                  pipeline_, file, dir_.file("missing/out.jsonl")));
}

TEST_F(ErrorLinesCdc, AMissingTableNamesTheStageTheTableAndTheServer) {
  std::string file = pipeline_file({"nowhere_" + s_});
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto lines = failures(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0], fmt::format("weir: pipeline {0} failed: {1}:11:17: pipelines.{0}.input.postgres_cdc.tables: table "
                                  "`public.nowhere_{2}` does not exist on connection `pg` ({3})",
                                  pipeline_, file, s_, shown_url()));
}

TEST_F(ErrorLinesCdc, ATableThePublicationLeavesOutNamesThePublicationAndTheTable) {
  const std::string a = table("a", "id bigint PRIMARY KEY"), b = table("b", "id bigint PRIMARY KEY");
  db_->execute(fmt::format("CREATE PUBLICATION {} FOR TABLE {}", slot_, a));
  std::string file = pipeline_file({a, b});
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto lines = failures(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0], fmt::format("weir: pipeline {0} failed: {1}:11:17: pipelines.{0}.input.postgres_cdc.tables: table "
                                  "`public.{2}` is not in publication `{3}`, so its changes would never be sent: "
                                  "ALTER PUBLICATION \"{3}\" ADD TABLE \"public\".\"{2}\", or name another "
                                  "publication",
                                  pipeline_, file, b, slot_));
}

// A dropped column under the default policy (drop_column: stop): the line names the option, the
// table, the column and the position of the change that met it.
TEST_F(ErrorLinesCdc, ASchemaChangeThatStopsTheStreamNamesTheTableTheColumnAndThePosition) {
  const std::string src = table("src", "id bigint PRIMARY KEY, v text, w text");
  std::string file = pipeline_file({src});
  ASSERT_EQ(run_once(file).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one', 'w')", src));
  db_->execute(fmt::format("ALTER TABLE {} DROP COLUMN w", src));
  db_->execute(fmt::format("INSERT INTO {} VALUES (2, 'two')", src));
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto lines = failures(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(std::regex_replace(lines[0], std::regex("[0-9A-F]+/[0-9A-F]+"), "LSN"),
            fmt::format("weir: pipeline {0} failed: {1}:8:9: pipelines.{0}.input.postgres_cdc: slot `{2}`: table "
                        "public.{3}: column `w` was dropped at LSN, and pipelines.{0}.input.postgres_cdc."
                        "schema_changes.drop_column is `stop`: alter the target to match if needed, set pipelines.{0}."
                        "input.postgres_cdc.schema_changes.drop_column to `apply` (weir alters the target) or `ignore` "
                        "(the target is left as it is), and run again; nothing from this change on was written",
                        pipeline_, file, slot_, src));
}

// A value the stream cannot read, met mid-stream: with `binary: on` chosen while every column
// had a binary reader, a column added later of a type weir reads only as text (point) comes in
// binary. The line names the stage, the slot, the table, the change's source position (commit
// LSN:index) and its transaction.
TEST_F(ErrorLinesCdc, AChangeThatCannotBeReadNamesTheTableThePositionAndTheTransaction) {
  const std::string src = table("src", "id bigint PRIMARY KEY, v text");
  std::string file = pipeline_file({src});
  std::string text = test::read_file(file);
  text.insert(text.find("    output:"), "        binary: \"on\"\n");
  test::write_file(file, text);
  ASSERT_EQ(run_once(file).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'one')", src));
  db_->execute(fmt::format("ALTER TABLE {} ADD COLUMN p point", src));
  const std::string txid = test::scalar(
      *db_, fmt::format("INSERT INTO {} VALUES (2, 'two', '(1,2)') RETURNING pg_current_xact_id()::text", src));
  // Gone again before the run starts: the run finds every column readable in binary.
  db_->execute(fmt::format("ALTER TABLE {} DROP COLUMN p", src));
  auto r = run_once(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto lines = failures(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(std::regex_replace(lines[0], std::regex("position [0-9A-F]+/[0-9A-F]+:"), "position LSN:"),
            fmt::format("weir: pipeline {0} failed: {1}:8:9: pipelines.{0}.input.postgres_cdc: slot `{2}`: table "
                        "public.{3}, source position LSN:0 (transaction {4}): pgoutput: column `p` (type OID 600) "
                        "came in binary form, which weir does not read for its type; set `binary: off` (or `auto`)",
                        pipeline_, file, slot_, src, txid));
}

}  // namespace
}  // namespace weir::cdc_test
